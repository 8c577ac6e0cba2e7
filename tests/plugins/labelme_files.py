"""Small LabelMe files for the tests: each field overridable, written where a test wants."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np


def shape(label: str = "cat", points: Any = None, shape_type: str | None = "polygon",
          **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"label": label,
                              "points": [[1, 1], [8, 1], [8, 6]] if points is None else points,
                              "group_id": None, "description": "", "flags": {}, "mask": None}
    if shape_type is not None:
        record["shape_type"] = shape_type
    record.update(fields)
    return record


def doc(shapes: list | None = None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"version": "5.5.0", "flags": {},
                              "shapes": [shape()] if shapes is None else shapes,
                              "imagePath": "a.jpg", "imageData": None,
                              "imageHeight": 20, "imageWidth": 30}
    record.update(fields)
    return record


def write(root: Path, files: dict[str, dict[str, Any]]) -> Path:
    """Write ``{"a.json": doc, "sub/b.json": doc}`` under root."""
    for rel, record in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record))
    return root


def png_b64(array: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()
