"""VOC task exporters through the CLI: what one task cannot hold is reported by name
(ellipses, boxes, image sizes), a part-only label survives classification, an action-only
export keeps its subsets, and a list that is not UTF-8 is one error line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv import Bbox, Categories, Dataset, Ellipse, Image, Item, Label, save
from cococonv.registry import default_registry
from tests.builders import files_under, one_error_line


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def _cvat_input(tmp_path: Path) -> Path:
    """A CVAT file (it holds ellipses): a person with a head part (a group), an ellipse, an image label,
    images of known size in subsets train and val."""
    categories = Categories()
    for name in ("person", "car", "head"):
        categories.add(name)
    items = []
    for subset in ("train", "val"):
        items.append(Item(id=f"{subset}_1", subset=subset, image=Image(f"{subset}_1.jpg", (40, 60)),
                          annotations=[
                              Bbox(id=1, label=0, group=1, x=2, y=2, w=20, h=30),
                              Bbox(id=2, label=2, group=1, x=5, y=3, w=6, h=6),
                              Ellipse(id=3, label=1, cx=40, cy=20, rx=8, ry=5),
                              Label(id=4, label=1)]))
    root = tmp_path / "cvat"
    save(Dataset(categories, items), "cvat", str(root), jobs=1)
    return root


def _convert(runner, cli, source: Path, fmt: str, out: Path):
    result = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(source), "-f", fmt,
                                 "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def _lost(report: dict) -> dict[str, int]:
    return {entry["what"]: entry["count"] for entry in report["lost"]}


def test_detection_without_masks_names_the_ellipses_it_drops(runner, cli, tmp_path):
    report = _convert(runner, cli, _cvat_input(tmp_path), "voc_detection", tmp_path / "out")
    assert _lost(report)["ellipses"] == 2
    assert "masks and polygons" not in _lost(report)  # no polygon or mask was there


def test_classification_reports_boxes_and_sizes_and_keeps_a_part_only_label(runner, cli,
                                                                              tmp_path):
    out = tmp_path / "out"
    lost = _lost(_convert(runner, cli, _cvat_input(tmp_path), "voc_classification", out))
    assert lost["boxes"] == 2 and lost["image sizes"] == 2 and lost["ellipses"] == 2
    assert lost["layout parts"] == 2
    assert not (out / "Annotations").exists()
    info = runner.invoke(cli, ["info", "-if", "voc_classification", "-i", str(out), "--json"])
    assert info.exit_code == 0, info.stderr
    labels = json.loads(info.stdout)["labels"]
    assert "head" in labels, labels  # declared as person's part in labelmap.txt


def test_action_export_without_actions_keeps_subsets_and_is_detected(runner, cli, tmp_path):
    out = tmp_path / "out"
    _convert(runner, cli, _cvat_input(tmp_path), "voc_action", out)
    assert "ImageSets/Action/train.txt" in files_under(out)
    assert (out / "ImageSets/Action/val.txt").read_text() == "val_1\n"
    found = runner.invoke(cli, ["detect", str(out), "--json"])
    assert found.exit_code == 0, found.stderr
    assert "voc_action" in found.stdout, found.stdout
    info = runner.invoke(cli, ["info", "-if", "voc_action", "-i", str(out), "--json"])
    assert sorted(json.loads(info.stdout)["subsets"]) == ["train", "val"], info.stdout


def test_a_class_list_that_is_not_utf8_is_one_error_line(runner, cli, tmp_path):
    out = tmp_path / "out"
    _convert(runner, cli, _cvat_input(tmp_path), "voc_classification", out)
    flags = out / "ImageSets/Main/car_train.txt"
    flags.write_bytes(flags.read_bytes() + b"train_\xff2 -1\n")
    result = runner.invoke(cli, ["info", "-if", "voc_classification", "-i", str(out)])
    one_error_line(result.stderr, result.exit_code, "car_train.txt", "line 2", "not UTF-8")
