"""`cococonv` on Label Studio exports: detect, info, convert both ways, --predictions,
--config, bad input as one located line with exit 1 and no output."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cococonv.cli import cli
from cococonv.registry import default_registry

DATA = Path(__file__).parents[1] / "data" / "label_studio"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_detect_and_info_on_a_real_export():
    result = run("detect", DATA / "yolo_keypoints")
    assert result.exit_code == 0 and result.stdout.split()[0] == "label_studio"
    result = run("info", "-i", DATA / "yolo_keypoints" / "data_keypoints.json")
    assert result.exit_code == 0 and "bbox 1, points 3" in result.stdout


def test_convert_to_coco_and_back_detected(tmp_path):
    coco, back = tmp_path / "coco", tmp_path / "back"
    result = run("convert", "-i", DATA / "yolo_obb", "-f", "coco", "-o", coco)
    assert result.exit_code == 0, result.output
    assert "rotated boxes" in result.stderr  # COCO has no rotation: polygons, reported
    doc = json.loads((coco / "annotations" / "instances_default.json").read_text())
    assert len(doc["annotations"]) == 25
    result = run("convert", "-i", coco, "-f", "label_studio", "-o", back)
    assert result.exit_code == 0, result.output
    tasks = json.loads((back / "default.json").read_text())
    assert sum(len(t["annotations"][0]["result"]) for t in tasks) == 25
    assert (back / "labeling_config.xml").is_file()


def test_predictions_option_and_config_option(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    box = {"x": 0, "y": 0, "width": 5, "height": 5, "rectanglelabels": ["B"]}
    result = {"id": "a", "type": "rectanglelabels", "from_name": "l", "to_name": "image",
              "original_width": 10, "original_height": 10, "value": box}
    (src / "t.json").write_text(json.dumps([{"data": {"image": "a.jpg"}, "annotations": [],
                                             "predictions": [{"result": [result]}]}]))
    config = tmp_path / "config.xml"
    config.write_text('<View><Image name="image" value="$image"/><RectangleLabels name="l" '
                      'toName="image"><Label value="A"/><Label value="B"/></RectangleLabels>'
                      '</View>')
    out = run("convert", "-i", src, "-f", "coco", "-o", tmp_path / "c")
    assert out.exit_code == 0 and "predictions" in out.stderr  # not read, and said so
    out = run("info", "-if", "label_studio", "-i", src, "--predictions", "--config", config)
    assert out.exit_code == 0, out.output
    assert "bbox 1" in out.stdout and "labels (2): A, B" in out.stdout


def test_bad_input_is_one_line_exit_1_and_no_output(tmp_path):
    src = tmp_path / "bad.json"
    src.write_text(json.dumps([{"data": {"image": "a.jpg"}, "annotations": [{"result": [
        {"id": "a", "type": "polygonlabels", "original_width": 10, "original_height": 10,
         "value": {"points": [[1, 2], [3, 4, 5], [6, 7]], "polygonlabels": ["x"]}}]}]}]))
    out = tmp_path / "out"
    result = run("convert", "-if", "label_studio", "-i", src, "-f", "coco", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: bad.json: [0].annotations[0].result[0].value.points: point 1 is [3, 4, 5], "
        "not an [x, y] pair"]
    assert not out.exists()
    result = run("convert", "-if", "label_studio", "-i", src, "-f", "coco", "-o", out,
                 "--on-error", "skip")
    assert result.exit_code == 0 and "skipped" in result.stderr


@pytest.mark.parametrize("data, kind", [
    ({"video": "/data/upload/1/clip.mp4"}, "a video task (data.video)"),
    ({"audio_url": "s3://b/a.wav"}, "an audio task (data.audio_url)"),
    ({"text": "The quick brown fox"}, "a text task (data.text)"),
    ({"dialogue": [{"author": "a", "text": "hi"}]}, "a dialogue task (data.dialogue)"),
], ids=["video", "audio", "text", "dialogue"])
def test_tasks_of_other_media_are_refused_in_one_line(tmp_path, data, kind):
    src = tmp_path / "tasks.json"
    src.write_text(json.dumps([{"id": 7, "data": data, "annotations": [{"result": []}]}]))
    out = tmp_path / "out"
    result = run("convert", "-if", "label_studio", "-i", src, "-f", "coco", "-o", out)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert kind in result.stderr
    assert "tasks.json: [0].data:" in result.stderr and "image tasks only" in result.stderr
    assert not out.exists()


def test_a_two_point_open_line_to_labelme_is_reported_as_a_linestrip(tmp_path):
    src = tmp_path / "tasks.json"
    src.write_text(json.dumps([{"id": 1, "data": {"image": "a.jpg"}, "annotations": [
        {"result": [{"id": "l", "type": "polygonlabels", "original_width": 100,
                     "original_height": 50, "value": {"points": [[10, 20], [50, 40]],
                                                      "closed": False,
                                                      "polygonlabels": ["road"]}}]}]}]))
    out = tmp_path / "out"
    result = run("convert", "-if", "label_studio", "-i", src, "-f", "labelme", "-o", out)
    assert result.exit_code == 0, result.output
    line = [row for row in result.stderr.splitlines() if "2-point lines" in row]
    assert len(line) == 1 and "approximated" in line[0] and "linestrips" in line[0]
    (written,) = out.rglob("*.json")
    (shape,) = json.loads(written.read_text())["shapes"]
    assert shape["shape_type"] == "linestrip" and shape["points"] == [[10, 10], [50, 20]]


def test_example_from_a_zip_with_its_images_and_config(tmp_path):
    import zipfile

    example = Path(__file__).parents[2] / "examples" / "label_studio_small"
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(example.rglob("*")):
            if path.is_file():
                zf.write(path, "label_studio_small/" + path.relative_to(example).as_posix())
    result = run("info", "-i", archive, "--predictions")
    assert result.exit_code == 0, result.output
    assert "bbox 4, caption 1, ellipse 1, label 1, mask 1, points 1, polygon 2" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("labels (9): car, sign, tree")
