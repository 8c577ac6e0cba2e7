"""Small YOLO trees for the yolo tests: files from a {path: text or bytes} map."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def jpeg(width: int = 20, height: int = 10) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


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
