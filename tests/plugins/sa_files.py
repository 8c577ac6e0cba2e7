"""Small SA-1B (segment_anything) files for the tests: each field overridable."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np


def block_rle(height: int, width: int, top: int, left: int, rows: int, cols: int
              ) -> dict[str, Any]:
    """Compressed RLE (str counts, as SA-1B stores them) of a filled rectangle."""
    from cococonv import masks

    array = np.zeros((height, width), np.uint8)
    array[top:top + rows, left:left + cols] = 1
    return masks.encode(array)


def annotation(ann_id: int = 1, height: int = 12, width: int = 16, **fields: Any
               ) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": ann_id, "segmentation": block_rle(height, width, 2, 3, 4, 5),
        "bbox": [3.0, 2.0, 5.0, 4.0], "area": 20, "predicted_iou": 0.91,
        "point_coords": [[5.25, 3.5]], "crop_box": [0.0, 0.0, float(width), float(height)],
        "stability_score": 0.97}
    record.update(fields)
    return record


def doc(image_id: int = 1, name: str = "sa_1.jpg", annotations: list | None = None,
        height: int = 12, width: int = 16, **image_fields: Any) -> dict[str, Any]:
    image: dict[str, Any] = {"image_id": image_id, "width": width, "height": height,
                             "file_name": name}
    image.update(image_fields)
    return {"image": image, "annotations": [annotation(height=height, width=width)]
            if annotations is None else annotations}


def jpeg(width: int = 16, height: int = 12) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def write(root: Path, files: dict[str, Any], *, images: bool = True) -> Path:
    """``{"sa_1.json": doc, "train/sa_2.json": doc}`` under root (a str value is written
    as it is), each with the JPEG its file_name names beside it when ``images``."""
    for rel, record in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record if isinstance(record, str) else json.dumps(record))
        if images and isinstance(record, dict) and isinstance(record.get("image"), dict):
            name = record["image"].get("file_name")
            image = record["image"]
            size = (image.get("width", 16), image.get("height", 12))
            if isinstance(name, str) and "/" not in name and ".." not in name and \
                    all(type(v) is int and 0 < v <= 4096 for v in size):
                (path.parent / name).write_bytes(jpeg(*size))
    return root


def sa_set(root: Path, count: int = 2) -> Path:
    """``count`` files sa_1.json ... beside their images, one mask each."""
    return write(root, {f"sa_{n}.json": doc(image_id=n, name=f"sa_{n}.jpg",
                                            annotations=[annotation(10 + n)])
                        for n in range(1, count + 1)})
