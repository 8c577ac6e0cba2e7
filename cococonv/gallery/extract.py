"""From a Source to the gallery's compact embedded data: one record per annotation, short
keys, geometry exactly as the dataset holds it (a user checks that a box did not move by a
pixel, so nothing is rounded).

Masks travel as their RLE (``{"size": [h, w], "counts": ...}``, a compressed string or a
list) and the page decodes them to a canvas; RLE is already the compact form, and no
pycocotools or numpy is needed to write a gallery. Labels are unified by name across inputs
so a colour means the same label in both panes of ``show -i A -i B``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..model import (Bbox, Caption, Categories, Ellipse, Item, Label, Mask, Points, Polygon,
                     Polyline)

#: Attribute values longer than this many characters are cut in the hover box (a caption
#: or a base64 blob a tool stored as an attribute would otherwise fill the file).
MAX_ATTRIBUTE_CHARS = 200


class LabelTable:
    """Label names of every input in one list, first seen first; per input, its index map."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.skeletons: dict[int, list[list[int]]] = {}

    def add_categories(self, categories: Categories) -> list[int]:
        """Map one input's label indices to the shared ones (and keep its skeletons)."""
        mapping = []
        for index, label in enumerate(categories.labels):
            shared = self._index.get(label.name)
            if shared is None:
                shared = self._index[label.name] = len(self.names)
                self.names.append(label.name)
            mapping.append(shared)
            schema = categories.keypoints.get(index)
            if schema is not None and schema.skeleton and shared not in self.skeletons:
                self.skeletons[shared] = [list(edge)[:2] for edge in schema.skeleton
                                          if len(edge) >= 2]
        return mapping


def _plain(value: Any) -> Any:
    """A JSON value for any attribute: numbers, booleans and short strings as they are."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= MAX_ATTRIBUTE_CHARS else \
            value[:MAX_ATTRIBUTE_CHARS] + "…"
    if kind is bool or value is None:
        return value
    if kind is int:
        return value if -2**53 < value < 2**53 else str(value)
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value[:50]]
    return _plain(value if isinstance(value, (str, int, float)) else repr(value))


def _common(ann: Any, mapping: list[int]) -> dict[str, Any]:
    label = ann.label
    record: dict[str, Any] = {
        "l": mapping[label] if label is not None and 0 <= label < len(mapping) else -1}
    if ann.id is not None:
        record["i"] = _plain(ann.id)
    attrs = ann.attributes
    if attrs:
        if attrs.get("is_crowd"):
            record["c"] = 1
        shown = {k if type(k) is str else str(k): _plain(v) for k, v in attrs.items()
                 if k != "is_crowd"}
        if shown:
            record["at"] = shown
    if ann.group:
        record["G"] = _plain(ann.group)
    if ann.declared_area is not None:
        record["ar"] = _plain(ann.declared_area)
    box = ann.declared_bbox
    if box is not None and not isinstance(ann, Bbox) and len(box) >= 4:
        record["db"] = list(box[:4])  # numbers the importer checked
    return record


def _rotation(ann: Any) -> float:
    value = ann.attributes.get("rotation", 0) if ann.attributes else 0
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _bbox(ann: Bbox, rec: dict[str, Any]) -> None:
    rec["g"] = [ann.x, ann.y, ann.w, ann.h]
    if _rotation(ann):
        rec["r"] = _rotation(ann)


def _points(ann: Points, rec: dict[str, Any]) -> None:
    rec["g"] = list(ann.points)
    rec["v"] = list(ann.visibility)


def _ellipse(ann: Ellipse, rec: dict[str, Any]) -> None:
    rec["g"] = [ann.cx, ann.cy, ann.rx, ann.ry]
    if _rotation(ann):
        rec["r"] = _rotation(ann)


def _mask(ann: Mask, rec: dict[str, Any]) -> None:
    counts = ann.rle.get("counts", "")
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", "replace")
    rec["m"] = {"size": list(ann.rle.get("size", [0, 0]))[:2], "counts": counts}


_GEOMETRY: dict[type, tuple[str, Callable[[Any, dict[str, Any]], None]]] = {
    Bbox: ("bbox", _bbox),
    Polygon: ("polygon", lambda ann, rec: rec.__setitem__("g", list(ann.points))),
    Polyline: ("polyline", lambda ann, rec: rec.__setitem__("g", list(ann.points))),
    Points: ("points", _points),
    Ellipse: ("ellipse", _ellipse),
    Mask: ("mask", _mask),
    Label: ("label", lambda ann, rec: None),
    Caption: ("caption", lambda ann, rec: rec.__setitem__("t", ann.caption)),
}

#: The kinds a gallery draws, in legend order.
KINDS = tuple(kind for kind, _ in _GEOMETRY.values())


def annotation_records(item: Item, mapping: list[int],
                       skipped: dict[str, int]) -> list[dict[str, Any]]:
    """The drawable records of one item; a kind the gallery cannot draw (a plugin's own)
    is counted in ``skipped`` by kind name."""
    records = []
    for ann in item.annotations:
        entry = _GEOMETRY.get(type(ann))
        if entry is None:
            skipped[ann.kind] = skipped.get(ann.kind, 0) + 1
            continue
        rec = _common(ann, mapping)
        rec["k"] = entry[0]
        entry[1](ann, rec)
        records.append(rec)
    return records


def item_key(item: Item) -> tuple[str, str]:
    """How side-by-side inputs are matched: subset and image file name (the id without one)."""
    name = item.image.name if item.image is not None and item.image.name else item.id
    return item.subset, name.replace("\\", "/")


def item_size(item: Item) -> tuple[int, int]:
    """``(width, height)`` when the dataset knows it, else ``(0, 0)`` (the page then uses
    the picture's own size)."""
    if item.image is not None and item.image.size:
        height, width = item.image.size
        return int(width), int(height)
    return 0, 0
