"""Small Label Studio task builders for the label_studio tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

W, H = 200, 100


def result(rtype: str, value: dict, rid: str = "r1", **fields: Any) -> dict:
    """One result of a 200x100 image, from_name/to_name filled in."""
    out = {"id": rid, "type": rtype, "from_name": "label", "to_name": "image",
           "original_width": W, "original_height": H, "value": value}
    out.update(fields)
    return out


def task(*results: dict, image: str = "/data/upload/1/a1b2c3d4-cat.jpg",
         annotations: list | None = None, **fields: Any) -> dict:
    out = {"id": 7, "data": {"image": image},
           "annotations": annotations if annotations is not None else
           [{"id": 1, "completed_by": 3, "result": list(results)}]}
    out.update(fields)
    return out


def write(folder: Path, tasks: Any, name: str = "export.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(tasks))
    return path
