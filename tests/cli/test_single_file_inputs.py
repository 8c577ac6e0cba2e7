"""Each importer given one file of its dataset (not the folder) reads what that file holds,
or refuses in one line: never a run that writes 0 items and says nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cococonv.cli import cli
from cococonv.registry import default_registry

from ..builders import one_error_line

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def _images(out: Path) -> int:
    return sum(len(json.loads(f.read_bytes())["images"])
               for f in (out / "annotations").glob("instances_*.json"))


@pytest.mark.parametrize("fmt, rel, items", [
    ("voc", "voc_small/Annotations/2008_000002.xml", 1),
    ("labelme", "labelme_small/train/street.json", 1),
    ("yolo", "yolo_small/data.yaml", None),         # the YAML's dataset: its folder's items
    ("coco", "coco_small/annotations/instances_train.json", 2),
], ids=["voc-xml", "labelme-json", "yolo-yaml", "coco-json"])
def test_one_file_reads_its_items(tmp_path, fmt, rel, items):
    out, whole = tmp_path / "out", tmp_path / "whole"
    result = CliRunner().invoke(cli, ["convert", "-if", fmt, "-i", str(EXAMPLES / rel), "-f",
                                      "coco", "-o", str(out)])
    assert result.exit_code == 0, result.output
    if items is None:
        result = CliRunner().invoke(cli, ["convert", "-if", fmt, "-i",
                                          str((EXAMPLES / rel).parent), "-f", "coco", "-o",
                                          str(whole)])
        assert result.exit_code == 0, result.output
        items = _images(whole)
    assert _images(out) == items > 0


@pytest.mark.parametrize("fmt, rel, needle", [
    ("png_masks", "png_masks_small/labelmap.txt", "no png_masks dataset found"),
    ("yolo", "yolo_small/labels/test/beach2.txt", "a single file is not a YOLO dataset"),
], ids=["png-masks-map", "yolo-list"])
def test_one_file_that_holds_no_dataset_is_refused(tmp_path, fmt, rel, needle):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["convert", "-if", fmt, "-i", str(EXAMPLES / rel), "-f",
                                      "coco", "-o", str(out)])
    one_error_line(result.stderr, result.exit_code, Path(rel).name, needle)
    assert not out.exists()
