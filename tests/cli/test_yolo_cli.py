"""The yolo format from the command line: the README's two commands, detect, bad input."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cococonv.cli import cli
from cococonv.registry import default_registry

from ..builders import files_under, jpeg, one_error_line, write_files
from ..plugins.yolo_helpers import instances_pairs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "yolo_small"
COCO_SMALL = Path(__file__).resolve().parents[2] / "examples" / "coco_small"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_coco_to_yolo_and_back_with_detected_format(tmp_path):
    yolo, coco = tmp_path / "y", tmp_path / "c"
    result = run("convert", "-if", "coco", "-i", COCO_SMALL, "-f", "yolo", "-o", yolo,
                 "--task", "segment", "--save-images")
    assert result.exit_code == 0, result.output
    assert "lost" in result.stderr and "captions" in result.stderr
    assert "images/train/park.jpg" in files_under(yolo)
    assert run("detect", yolo).stdout.split()[0] == "yolo"
    result = run("convert", "-i", yolo, "-f", "coco", "-o", coco)
    assert result.exit_code == 0, result.output
    for subset, before, after in instances_pairs(COCO_SMALL, coco):
        # each object once again (a two-ring object included), same boxes and rings; the
        # person of person_keypoints_train.json comes back as an instance (its keypoints
        # are reported lost)
        extra = {"train": 1, "val": 0}[subset]
        assert len(after["annotations"]) == len(before["annotations"]) + extra
        for a in before["annotations"]:
            matches = [b for b in after["annotations"]
                       if (b["image_id"], b["category_id"]) == (a["image_id"], a["category_id"])
                       and b["bbox"] == pytest.approx(a["bbox"], abs=64e-6)]
            assert matches, a
            if isinstance(a["segmentation"], list):
                assert any(len(b["segmentation"]) == len(a["segmentation"]) and all(
                    ring_b == pytest.approx(ring_a, abs=64e-6)
                    for ring_a, ring_b in zip(a["segmentation"], b["segmentation"]))
                    for b in matches), a


def test_example_reads_and_converts(tmp_path):
    assert run("detect", EXAMPLE).stdout.split()[0] == "yolo"
    result = run("info", "-i", EXAMPLE)
    assert result.exit_code == 0, result.output
    result = run("convert", "-i", EXAMPLE, "-f", "cvat", "-o", tmp_path / "cvat.zip")
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(tmp_path / "cvat.zip")


def test_zip_input(tmp_path):
    root = write_files(tmp_path / "ds", {"data.yaml": "train: images/train\nnames: [a]\n",
                                        "images/train/x.jpg": jpeg(),
                                        "labels/train/x.txt": "0 0.5 0.5 1 1\n"})
    archive = tmp_path / "ds.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel in files_under(root):
            zf.write(root / rel, f"ds/{rel}")
    result = run("convert", "-i", archive, "-f", "coco", "-o", tmp_path / "c")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "c/annotations/instances_train.json").read_bytes())
    assert doc["annotations"][0]["bbox"] == [0.0, 0.0, 20.0, 10.0]


@pytest.mark.parametrize("archived", [False, True])
def test_a_label_file_past_the_cap_is_one_error_also_in_an_archive(tmp_path, monkeypatch,
                                                                   archived):
    from cococonv_plugins.yolo import reader

    monkeypatch.setattr(reader, "MAX_LABEL_BYTES", 40)
    root = write_files(tmp_path / "ds", {"data.yaml": "train: images/train\nnames: [a]\n",
                                        "images/train/x.jpg": jpeg(),
                                        "labels/train/x.txt": "0 0.5 0.5 1 1\n" * 3})
    source = root
    if archived:
        source = tmp_path / "ds.zip"
        with zipfile.ZipFile(source, "w") as zf:
            for rel in files_under(root):
                zf.write(root / rel, rel)
    result = run("convert", "-i", source, "-f", "coco", "-o", tmp_path / "c")
    one_error_line(result.output, result.exit_code,
                   "labels/train/x.txt: more than 40 bytes, too large for a label file")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("label, needle", [
    ("0 0.5 0.5 0.2\n", "labels/train/x.txt: line 1: 4 values, a box needs 5"),
    ("0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n",
     "labels/train/x.txt: line 2: class index 3 is past the 1 class names"),
    ("0 0.5 0.5 0.2 zz\n", "labels/train/x.txt: line 1: 'zz' is not a number"),
    ("0 0.5 0.5 0.2 9e9\n", "labels/train/x.txt: line 1: coordinate 9000000000.0"),
])
def test_bad_label_line_one_error_no_output(tmp_path, label, needle):
    root = write_files(tmp_path / "ds", {"data.yaml": "train: images/train\nnames: [a]\n",
                                        "images/train/x.jpg": jpeg(),
                                        "labels/train/x.txt": label})
    out = tmp_path / "out"
    result = run("convert", "-i", root, "-f", "coco", "-o", out)
    one_error_line(result.stderr, result.exit_code, needle)
    assert not out.exists()
    skipped = run("convert", "-i", root, "-f", "coco", "-o", out, "--on-error", "skip")
    assert skipped.exit_code == 0, skipped.output


def test_missing_image_size_is_an_error_naming_the_file(tmp_path):
    root = write_files(tmp_path / "ds", {"labels/train/x.txt": "0 0.5 0.5 0.2 0.2\n"})
    result = run("convert", "-if", "yolo", "-i", root, "-f", "coco", "-o", tmp_path / "o")
    one_error_line(result.stderr, result.exit_code, "labels/train/x.txt", "--image-size")
    result = run("convert", "-if", "yolo", "-i", root, "--image-size", "200x100", "-f",
                 "coco", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o/annotations/instances_train.json").read_bytes())
    assert doc["annotations"][0]["bbox"] == [80.0, 40.0, 40.0, 20.0]


def test_formats_page():
    result = run("formats", "yolo")
    assert result.exit_code == 0
    assert "--task" in result.stdout and "--image-size" in result.stdout


def _two_yaml_dataset(root: Path) -> Path:
    """A dataset whose data.yaml names classes a, b; a second YAML beside it renames them."""
    return write_files(root, {
        "data.yaml": "train: images/train\nnames: [a, b]\n",
        "other.yaml": "train: images/train\nnames: [x, y]\n",
        "images/train/p.jpg": jpeg(), "labels/train/p.txt": "1 0.5 0.5 1 1\n"})


@pytest.mark.parametrize("yaml_name, names", [("data.yaml", ["a", "b"]),
                                              ("other.yaml", ["x", "y"])])
def test_a_dataset_yaml_as_input_reads_its_folder(tmp_path, yaml_name, names):
    """`-i DATASET/data.yaml` reads the dataset the YAML describes (as Ultralytics does),
    through the YAML the user named, also without -if."""
    root = _two_yaml_dataset(tmp_path / "ds")
    for given in (["-if", "yolo"], []):
        out = tmp_path / f"c{len(given)}{yaml_name}"
        result = run("convert", *given, "-i", root / yaml_name, "-f", "coco", "-o", out)
        assert result.exit_code == 0, result.output
        doc = json.loads((out / "annotations/instances_train.json").read_bytes())
        assert [c["name"] for c in doc["categories"]] == names
        assert [(a["category_id"], a["bbox"]) for a in doc["annotations"]] == \
            [(2, [0.0, 0.0, 20.0, 10.0])]
    assert run("detect", root / "data.yaml").stdout.split()[0] == "yolo"


def test_a_single_label_file_or_a_piped_yaml_is_refused_in_one_line(tmp_path):
    root = _two_yaml_dataset(tmp_path / "ds")
    out = tmp_path / "out"
    result = run("convert", "-if", "yolo", "-i", root / "labels/train/p.txt", "-f", "coco",
                 "-o", out)
    one_error_line(result.stderr, result.exit_code, "p.txt", "a single file is not a YOLO "
                   "dataset: give its folder")
    result = CliRunner().invoke(cli, ["convert", "-if", "yolo", "-i", "-", "-f", "coco", "-o",
                                      str(out)], input=(root / "data.yaml").read_bytes())
    one_error_line(result.stderr, result.exit_code, "<stdin>", "a stream (stdin, a pipe) holds one file")
    assert not out.exists()
