"""Smallest valid inputs, each field overridable: tests change only what they test."""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


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


def jpeg(*, width: int = 20, height: int = 10) -> bytes:
    """A small JPEG of one colour (keyword-only: image helpers disagree on the order)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: text or bytes}`` under root (folders made); returns root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def clone(doc: dict) -> dict:
    return copy.deepcopy(doc)


def json_differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every place where two parsed JSON values differ; types count (1 != 1.0, 0 != False).

    Dicts are compared by key (order ignored), lists item by item.
    """
    if type(expected) is not type(actual):
        return [(f"{path}: expected {expected!r:.120} ({type(expected).__name__}), "
                 f"got {actual!r:.120} ({type(actual).__name__})")]
    if isinstance(expected, dict):
        found = []
        for key in expected:
            if key not in actual:
                found.append(f"{path}.{key}: missing (expected {expected[key]!r:.120})")
            else:
                found += json_differences(expected[key], actual[key], f"{path}.{key}")
        for key in actual:
            if key not in expected:
                found.append(f"{path}.{key}: unexpected key (got {actual[key]!r:.120})")
        return found
    if isinstance(expected, list):
        found = []
        if len(expected) != len(actual):
            found.append(f"{path}: expected {len(expected)} items, got {len(actual)}")
        for index, (left, right) in enumerate(zip(expected, actual)):
            found += json_differences(left, right, f"{path}[{index}]")
        return found
    if expected != actual:
        return [f"{path}: expected {expected!r:.120}, got {actual!r:.120}"]
    return []


def assert_same_json(expected: Any, actual: Any, path: str = "$") -> None:
    """Fail with the first differences (path, expected, got) unless the values are equal."""
    found = json_differences(expected, actual, path)
    assert not found, "\n".join(found[:30]) + (f"\n... {len(found)} in all" if len(found) > 30
                                                  else "")


def files_under(root: Path) -> list[str]:
    """Relative posix paths of every file below ``root``, sorted."""
    root = Path(root)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def one_error_line(stderr: str, exit_code: int, *needles: str) -> str:
    """The one ``error:`` line of a run that had to fail with exit 1 (the CLI's promise:
    one line, no traceback, no internal error), holding each of ``needles``."""
    lines = stderr.splitlines()
    assert exit_code == 1, stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "internal error" not in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- VOC ----------------------------------------------------------------------------------
OBJECT = ("<object><name>cat</name><pose>Left</pose><truncated>1</truncated>"
          "<difficult>0</difficult><bndbox><xmin>11</xmin><ymin>21</ymin><xmax>31.5</xmax>"
          "<ymax>41</ymax></bndbox></object>")


def voc_xml(objects: str = OBJECT, *, size: str = "<size><width>60</width><height>50</height>"
            "<depth>3</depth></size>", filename: str = "a.jpg", extra: str = "") -> str:
    """The smallest VOC annotation; each part overridable."""
    return (f"<annotation><folder>VOC</folder><filename>{filename}</filename>{size}"
            f"<segmented>0</segmented>{extra}{objects}</annotation>")


def write_voc(root: Path, xmls: dict[str, str], lists: dict[str, str] | None = None,
              files: dict[str, bytes] | None = None) -> Path:
    for item_id, text in xmls.items():
        path = root / "Annotations" / f"{item_id}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for rel, text in (lists or {}).items():
        path = root / "ImageSets" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for rel, data in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def png(array: np.ndarray, palette: bool = True) -> bytes:
    from PIL import Image as PILImage
    image = PILImage.fromarray(array.astype(np.uint8))
    if palette:
        from cococonv_plugins.voc.layout import voc_palette
        image.putpalette(voc_palette())
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@contextlib.contextmanager
def numpy_only(off: bool = True) -> Iterator[None]:
    """COCOCONV_NO_SPEEDUPS for a block (hypothesis tests cannot take monkeypatch): the
    compiled mask helpers off (``off``) or on."""
    before = os.environ.get("COCOCONV_NO_SPEEDUPS")
    os.environ["COCOCONV_NO_SPEEDUPS"] = "1" if off else "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["COCOCONV_NO_SPEEDUPS"]
        else:
            os.environ["COCOCONV_NO_SPEEDUPS"] = before
