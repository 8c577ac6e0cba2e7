"""Red-team follow-ups through the CLI. F33: two COCO categories of one name are one CVAT
label (declared once, reported), so read-back keeps every shape on it. F35: a COCO box of
negative width or height is a bad record (refused, or skipped and counted under
--on-error skip), never written on as an inverted VOC box."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, one_error_line, write_coco


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def _two_cats(tmp_path: Path) -> Path:
    doc = coco_doc(
        images=[coco_image(id=1, file_name="a.jpg", width=50, height=40)],
        categories=[{"id": 1, "name": "cat", "supercategory": ""},
                    {"id": 2, "name": "cat", "supercategory": ""},
                    {"id": 3, "name": "dog", "supercategory": ""}],
        annotations=[coco_ann(id=1, category_id=1, bbox=[1, 2, 10, 10], attributes={"a": 1}),
                     coco_ann(id=2, category_id=2, bbox=[3, 4, 5, 5], attributes={"b": "x"}),
                     coco_ann(id=3, category_id=3, bbox=[3, 4, 5, 6])])
    return write_coco(tmp_path / "in", {"instances_default": doc})


def test_f33_same_named_coco_categories_are_one_cvat_label(runner, cli, tmp_path):
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(_two_cats(tmp_path)),
                               "-f", "cvat", "-o", str(out), "--json"])
    assert done.exit_code == 0, done.stderr
    approximated = {e["what"]: e["count"] for e in json.loads(done.stdout)["approximated"]}
    assert approximated["labels sharing a name"] == 1
    xml = (out / "annotations.xml").read_text()
    assert xml.count("<name>cat</name>") == 1
    assert "<name>a</name>" in xml and "<name>b</name>" in xml  # both labels' attributes
    back = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(out), "-f", "coco",
                               "-o", str(tmp_path / "back")])
    assert back.exit_code == 0, back.stderr
    doc = json.loads((tmp_path / "back/annotations/instances_default.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    assert sorted(names.values()) == ["cat", "dog"]
    assert [names[a["category_id"]] for a in doc["annotations"]] == ["cat", "cat", "dog"]


def _negative_box(tmp_path: Path) -> Path:
    doc = coco_doc(images=[coco_image(id=1, file_name="a.jpg", width=50, height=40)],
                   annotations=[coco_ann(id=1, category_id=1, bbox=[1, 2, 10, 10]),
                                coco_ann(id=2, category_id=1, bbox=[30, 4, -5, 6])])
    return write_coco(tmp_path / "in", {"instances_default": doc})


def test_f35_negative_box_size_is_refused_on_coco_import(runner, cli, tmp_path):
    done = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(_negative_box(tmp_path)),
                               "-f", "voc", "-o", str(tmp_path / "out")])
    one_error_line(done.stderr, done.exit_code, "instances_default.json",
                   "annotations[1].bbox", "must not be negative")
    assert not (tmp_path / "out").exists()


def test_f35_negative_box_is_skipped_and_counted_with_on_error_skip(runner, cli, tmp_path):
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(_negative_box(tmp_path)),
                               "-f", "voc", "-o", str(out), "--on-error", "skip", "--json"])
    assert done.exit_code == 0, done.stderr
    skipped = json.loads(done.stdout)["skipped"]
    assert len(skipped) == 1 and "annotations[1].bbox" in skipped[0], skipped
    xml = next((out / "Annotations").glob("*.xml")).read_text()
    assert xml.count("<object>") == 1 and "<xmin>2</xmin>" in xml
