"""Smallest valid inputs, each field overridable: tests change only what they test."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any


def coco_image(**fields: Any) -> dict:
    record = {"id": 1, "file_name": "a.jpg", "width": 10, "height": 8}
    record.update(fields)
    return record


def coco_ann(**fields: Any) -> dict:
    record = {"id": 1, "image_id": 1, "category_id": 1,
              "segmentation": [[1.0, 1.0, 5.0, 1.0, 5.0, 4.0]], "area": 6.0,
              "bbox": [1.0, 1.0, 4.0, 3.0], "iscrowd": 0}
    record.update(fields)
    return record


def coco_doc(*, images: list | None = None, annotations: list | None = None,
             categories: list | None = None, **top: Any) -> dict:
    doc = {
        "info": {"description": "test"},
        "licenses": [],
        "images": [coco_image()] if images is None else images,
        "annotations": [coco_ann()] if annotations is None else annotations,
        "categories": [{"id": 1, "name": "cat", "supercategory": "animal"}]
        if categories is None else categories,
    }
    doc.update(top)
    return doc


def write_coco(root: Path, docs: dict[str, dict]) -> Path:
    """Write ``{"instances_train": doc, ...}`` as root/annotations/<name>.json."""
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (root / "annotations" / f"{name}.json").write_text(json.dumps(doc))
    return root


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def clone(doc: dict) -> dict:
    return copy.deepcopy(doc)
