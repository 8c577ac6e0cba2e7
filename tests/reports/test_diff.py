"""cococonv.diffing: a fixture against itself and against a copy with each kind of change."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cococonv import api
from cococonv.diffing import diff

FIXTURE = "datumaro/coco_dataset/coco_instances"


def _load(path: Path, name: str) -> dict:
    return json.loads((path / "annotations" / name).read_text())


def _save(path: Path, name: str, doc: dict) -> None:
    (path / "annotations" / name).write_text(json.dumps(doc))


def modified_copy(fixtures_root: Path, target: Path) -> Path:
    """The fixture with one change of each kind (see the assertions below)."""
    shutil.copytree(fixtures_root / FIXTURE, target)
    for name in ("instances_train.json", "instances_val.json"):
        doc = _load(target, name)
        doc["categories"][2]["supercategory"] = "x"  # 'c' changed
        doc["categories"].append({"id": 5, "name": "d", "supercategory": ""})  # added
        if name == "instances_train.json":
            doc["images"][0]["width"] = 12  # image size of train/a
            doc["images"].append({"id": 6, "file_name": "new.jpg", "width": 4, "height": 4})
            box = doc["annotations"][0]
            box["id"] = 11  # no id match: paired by IoU 0.75
            box["bbox"] = [2.0, 2.0, 4.0, 1.0]  # and its geometry changed
        else:
            polygon, _mask = doc["annotations"]
            polygon["category_id"] = 2  # label a -> b
            polygon["attributes"]["x"] = 2  # attribute
            doc["annotations"] = [polygon, {"id": 9, "image_id": 40, "category_id": 1,
                                            "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}]
        _save(target, name, doc)
    return target


@pytest.fixture
def pair(fixtures_root, tmp_path):
    a = api.load(str(fixtures_root / FIXTURE))
    b = api.load(str(modified_copy(fixtures_root, tmp_path / "b")))
    return a, b


def test_a_fixture_equals_itself(fixtures_root):
    path = str(fixtures_root / FIXTURE)
    result = diff(api.load(path), api.load(path))
    assert result["equal"]
    assert result["summary"]["annotations"] == {"added": 0, "removed": 0, "changed": 0,
                                                "same": 3, "matched_by_id": 3,
                                                "matched_by_iou": 0}


def test_every_kind_of_change_is_found(pair):
    result = diff(*pair)
    assert not result["equal"]
    summary = result["summary"]
    assert summary["items"] == {"added": 1, "removed": 0, "changed": 2, "same": 0}
    assert summary["categories"] == {"added": 1, "removed": 0, "changed": 1, "same": 2}
    assert summary["annotations"] == {"added": 1, "removed": 1, "changed": 2, "same": 0,
                                      "matched_by_id": 1, "matched_by_iou": 1}
    assert result["items"]["added"] == [{"subset": "train", "item": "new"}]
    changed_items = {e["item"]: e["changes"] for e in result["items"]["changed"]}
    assert "image size 10x5 -> 12x5" in changed_items["a"]
    assert result["categories"]["added"] == ["d"]
    assert result["categories"]["changed"] == [{"name": "c",
                                                "changes": ["supercategory '' -> 'x'"]}]
    anns = result["annotations"]
    assert [(e["id"], e["kind"]) for e in anns["added"]] == [(9, "bbox")]
    assert [(e["id"], e["kind"]) for e in anns["removed"]] == [(2, "mask")]
    changed = {e["kind"]: e for e in anns["changed"]}
    assert changed["bbox"]["matched_by"] == "iou" and changed["bbox"]["id_a"] == 1
    assert changed["bbox"]["changes"] == ["geometry"]
    assert changed["polygon"]["changes"] == ["label 'a' -> 'b'", "attribute x: 1 -> 2"]


def test_the_other_way_round_additions_are_removals(pair):
    result = diff(pair[1], pair[0])
    assert result["items"]["removed"] == [{"subset": "train", "item": "new"}]
    assert result["categories"]["removed"] == ["d"]


def test_iou_threshold_and_tolerance(pair):
    strict = diff(*pair, iou=0.8)  # the moved box no longer pairs
    assert strict["summary"]["annotations"]["matched_by_iou"] == 0
    assert strict["summary"]["annotations"]["added"] == 2
    loose = diff(*pair, tolerance=2.0)  # a box one pixel wider is the same geometry
    bbox = [e for e in loose["annotations"]["changed"] if e["kind"] == "bbox"]
    assert bbox == []
    with pytest.raises(ValueError):
        diff(*pair, iou=0)
