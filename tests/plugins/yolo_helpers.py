"""Small YOLO trees for the yolo tests: files from a {path: text or bytes} map."""
from __future__ import annotations

from pathlib import Path


def shapes(dataset, subset: str, item_id: str) -> list[tuple]:
    """(kind, label name, rounded geometry) of an item's annotations."""
    item = dataset.get(subset, item_id)
    out = []
    for ann in item.annotations:
        name = dataset.categories.name_of(ann.label)
        if ann.kind == "bbox":
            geometry = [ann.x, ann.y, ann.w, ann.h]
        else:
            geometry = list(ann.points)
        out.append((ann.kind, name, [round(v, 3) + 0.0 for v in geometry]))
    return out


def instances_pairs(before_root: Path, after_root: Path):
    """(before, after) instances documents of each subset, checked to hold the same
    categories (id, name) and images (id, file name, size) in the same order."""
    import json

    for subset in ("train", "val"):
        name = f"annotations/instances_{subset}.json"
        before = json.loads((before_root / name).read_bytes())
        after = json.loads((after_root / name).read_bytes())
        assert [(c["id"], c["name"]) for c in after["categories"]] == \
            [(c["id"], c["name"]) for c in before["categories"]]
        assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in after["images"]] \
            == [(i["id"], i["file_name"], i["width"], i["height"]) for i in before["images"]]
        yield subset, before, after
