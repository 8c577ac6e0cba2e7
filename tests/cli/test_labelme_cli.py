"""`cococonv` with LabelMe folders: detected, converted to coco/voc/cvat and back, options,
bad input as one line with exit 1 and no output."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import jpeg
from ..plugins.labelme_files import doc, shape, write

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "labelme_small"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


#: What each target cannot hold of examples/labelme_small, as its report says it.
REPORTED = {"coco": ["lost         polylines", "approximated rotated boxes",
                     "approximated ellipses"],
            "voc": ["lost         polylines", "lost         keypoints"],
            "cvat": []}


@pytest.mark.parametrize("fmt", sorted(REPORTED))
def test_a_labelme_folder_converts_to_each_format_with_a_report(runner, cli, tmp_path, fmt):
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", fmt, "-o",
                                 str(tmp_path / fmt)])
    assert result.exit_code == 0, result.output
    for line in REPORTED[fmt]:
        assert line in result.stderr, result.stderr
    if not REPORTED[fmt]:
        assert "conversion report" not in result.stderr, result.stderr
    info = runner.invoke(cli, ["info", "-i", str(tmp_path / fmt)])
    assert info.exit_code == 0 and "items: 3" in info.output, info.output


def test_detect_names_labelme_on_the_example_and_on_its_own_output(runner, cli, tmp_path):
    assert runner.invoke(cli, ["detect", str(EXAMPLE)]).output.split()[0] == "labelme"
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "labelme", "-o",
                                 str(tmp_path / "out.zip"), "--save-images"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["detect", str(tmp_path / "out.zip")]).output.split()[0] \
        == "labelme"
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = archive.namelist()
    assert "train/street.json" in names and "train/street.jpg" in names


def test_embed_images_from_the_command_line(runner, cli, tmp_path):
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "labelme", "-o",
                                 str(tmp_path / "out"), "--embed-images"])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "train" / "street.json").read_text())
    assert written["imageData"].startswith("/9j/")  # a JPEG's base64


def test_one_labelme_file_on_stdin(runner, cli, tmp_path):
    data = json.dumps(doc([shape("cat", [[1, 1], [4, 4]], "rectangle")]))
    result = runner.invoke(cli, ["convert", "-if", "labelme", "-i", "-", "-f", "coco", "-o",
                                 str(tmp_path / "coco")], input=data)
    assert result.exit_code == 0, result.output
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_default.json").read_text())
    assert coco["annotations"][0]["bbox"] == [1, 1, 3, 3]


def test_bad_points_give_one_line_exit_1_and_no_output(runner, cli, tmp_path):
    write(tmp_path / "in", {"a.json": doc([shape(), shape(), shape(), shape(
        "box", [[1, 1], [2, 2], [3, 3]], "rectangle")])})
    (tmp_path / "in" / "a.jpg").write_bytes(jpeg(width=30, height=20))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "coco", "-o",
                                 str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: a.json: shapes[3].points: a rectangle needs 2 points, got 3"]
    assert not (tmp_path / "out").exists()
    skipped = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "coco", "-o",
                                  str(tmp_path / "out"), "--on-error", "skip"])
    assert skipped.exit_code == 0, skipped.output
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    assert len(coco["annotations"]) == 3


def test_an_empty_label_is_refused_in_one_line_and_skipped_counted(runner, cli, tmp_path):
    write(tmp_path / "in", {"a.json": doc([shape(), shape(" ")])})
    (tmp_path / "in" / "a.jpg").write_bytes(jpeg(width=30, height=20))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "voc", "-o",
                                 str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: a.json: shapes[1].label: is empty (' '): a shape needs a class name "
        "(--on-error skip drops such shapes, counted)"]
    assert not (tmp_path / "out").exists()
    skipped = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "coco", "-o",
                                  str(tmp_path / "out"), "--on-error", "skip"])
    assert skipped.exit_code == 0 and "skipped" in skipped.stderr
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["cat"]


def test_formats_lists_the_options(runner, cli):
    result = runner.invoke(cli, ["formats", "labelme"])
    assert result.exit_code == 0
    assert "--save-images" in result.output and "--embed-images" in result.output
