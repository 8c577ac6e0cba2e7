"""One LabelMe shape (a dict of ``shapes[]``) into one model annotation.

What maps to what (docs/formats/labelme.md): rectangle (2 corners, or 4 corners),
oriented_rectangle and X-AnyLabeling's rotation -> Bbox (a rotation attribute when
turned), polygon (and an old file's shape without ``shape_type``) -> Polygon, circle ->
Ellipse with equal radii, line and linestrip -> Polyline, point and points -> Points,
mask -> Mask. ``flags`` and an ``attributes`` dict become attributes, a ``description``
the ``description`` attribute; every other key is kept in ``extra["labelme"]["keys"]``
and written back.
"""
from __future__ import annotations

import math
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import LimitError, coordinates_problem, finite_coordinates
from cococonv.model import (Annotation, Bbox, Categories, Ellipse, Mask, Points, Polygon,
                            Polyline)

from .mask_png import mask_to_rle

NAMESPACE = "labelme"
#: A point shape written for one keypoint of a set: ``{"of": label, "index": k,
#: "visibility": v}``. LabelMe keeps unknown shape keys, so the set survives a round trip.
KEYPOINT_KEY = "cococonv_keypoint"
#: The keys of a shape this module reads itself; any other is kept as it is.
OWN_KEYS = frozenset({"label", "points", "shape_type", "group_id", "flags", "description",
                      "mask", "attributes"})
SHAPE_TYPES = ("polygon", "rectangle", "oriented_rectangle", "circle", "line", "linestrip",
               "point", "points", "mask", "rotation")
#: Shape keys X-AnyLabeling (a LabelMe fork) writes beside the shape's own that are model
#: attributes: a prediction score and VOC's difficult flag. Written back where they were.
TOP_ATTRIBUTES = {"score": (int, float), "difficult": (bool,)}
#: Points each type needs: an exact count, or (at least,) for open-ended ones.
_COUNTS: dict[str, int | tuple[int]] = {
    "rectangle": 2, "oriented_rectangle": 4, "rotation": 4, "circle": 2, "line": 2,
    "point": 1, "mask": 2,
    "polygon": (3,), "linestrip": (2,), "points": (1,)}
_SCALARS = (str, int, float, bool)
#: Types whose model kind another type shares (Polyline, Points, Bbox): remembered in
#: ``extra["labelme"]["shape_type"]`` so a LabelMe -> LabelMe run writes the same type.
_REMEMBERED = ("line", "point", "oriented_rectangle", "rotation")


class KeypointPart:
    """A point shape that is one keypoint of a set written by cococonv (see KEYPOINT_KEY)."""

    __slots__ = ("name", "of", "index", "visibility", "x", "y", "group")

    def __init__(self, name: str, of: str, index: int, visibility: int, x: float, y: float,
                 group: int):
        self.name, self.of, self.index, self.visibility = name, of, index, visibility
        self.x, self.y, self.group = x, y, group


def shape_type_of(shape: dict[str, Any]) -> str:
    """The shape's type; a shape without one (LabelMe 3.x files) is a polygon."""
    kind = shape.get("shape_type")
    if kind is None:
        return "polygon"
    if not isinstance(kind, str) or kind not in SHAPE_TYPES:
        raise DataError(f"unknown shape_type {str(kind)[:40]!r} (LabelMe has "
                        f"{', '.join(SHAPE_TYPES)})", where="shape_type")
    return kind


def read_points(raw: Any, kind: str, size: tuple[int, int] | None) -> list[float]:
    """The flat coordinates of ``points``, checked for the shape type: DataError (where
    ``points``) for a list of the wrong shape or a value that is not a coordinate."""
    if not isinstance(raw, list) or not all(
            isinstance(p, list) and len(p) == 2 and
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)
            for p in raw):
        raise DataError("must be a list of [x, y] number pairs", where="points")
    need = _COUNTS[kind]
    noun = kind.replace("_", " ")
    article = "an" if noun[0] in "aeiou" else "a"
    if isinstance(need, int) and len(raw) != need and not (kind == "rectangle" and len(raw) == 4):
        raise DataError(f"{article} {noun} needs {need} point{'s' if need > 1 else ''}, "
                        f"got {len(raw)}", where="points")
    if isinstance(need, tuple) and len(raw) < need[0]:
        raise DataError(f"{article} {noun} needs at least {need[0]} points, got {len(raw)}",
                        where="points")
    try:
        flat = finite_coordinates([v for p in raw for v in p])
    except LimitError as err:
        raise DataError(err.message, where="points") from None
    problem = coordinates_problem(flat, *size) if size is not None else None
    if problem:
        raise DataError(problem, where="points")
    return flat


class ShapeReader:
    """Reads the shapes of one dataset, adding their labels to ``categories``."""

    def __init__(self, categories: Categories):
        self.categories = categories
        self._labels: dict[str, int] = {}

    def label_index(self, name: str) -> int:
        index = self._labels.get(name)
        if index is None:
            index = self._labels[name] = self.categories.add(name)
        return index

    def read(self, shape: Any, size: tuple[int, int] | None,
             groups: "GroupIds") -> Annotation | KeypointPart:
        """The annotation of one shape (DataError with the place inside the shape)."""
        if not isinstance(shape, dict):
            raise DataError(f"a shape must be an object, got {type(shape).__name__}")
        label = shape.get("label")
        if not isinstance(label, str):
            raise DataError("must be text" if "label" in shape else "is missing",
                            where="label")
        if not label.strip():
            # LabelMe's own dialog refuses an empty label; no target has a class without a
            # name, and inventing one would put a class in the output the source never had.
            raise DataError(f"is empty ({label!r}): a shape needs a class name (--on-error "
                            f"skip drops such shapes, counted)", where="label")
        kind = shape_type_of(shape)
        flat = read_points(shape.get("points"), kind, size)
        group = groups.of(shape.get("group_id"))
        part = _keypoint_part(shape, kind, flat, group, label)
        if part is not None:
            return part
        ann, box = _geometry(kind, flat, shape, size)
        ann.label = self.label_index(label)
        ann.group = group
        ann.attributes = {**_attributes(shape), **ann.attributes}  # geometry (rotation) wins
        own = _kept_fields(shape, kind, flat, group, box, ann.attributes)
        if own:
            ann.extra[NAMESPACE] = own
        return ann


def _kept_fields(shape: dict[str, Any], kind: str, flat: list[float], group: int,
                 box: list[int] | None, attributes: dict[str, Any]) -> dict[str, Any]:
    """What ``extra["labelme"]`` keeps of a shape so a LabelMe -> LabelMe run writes it
    as it was: unknown keys, the form of its group id, its type and exact points where
    the model's kind is shared or recomputed. X-AnyLabeling's score and difficult keys
    move into ``attributes`` (remembered, to be written back at the top)."""
    own: dict[str, Any] = {}
    keys = {k: v for k, v in shape.items() if k not in OWN_KEYS}
    lifted = [k for k, types in TOP_ATTRIBUTES.items() if type(keys.get(k)) in types]
    for key in lifted:
        attributes.setdefault(key, keys.pop(key))
    if lifted:
        own["top_attributes"] = lifted
    if isinstance(shape.get("attributes"), dict):
        own["attributes_key"] = True  # written back even when empty
    if keys:
        own["keys"] = keys
    original = shape.get("group_id")
    if group and original != group:
        own["group_id"] = original
    if kind == "circle":
        own["rim"] = flat[2:4]
    if kind == "mask":
        own["mask_box"] = {"points": flat, "box": box}
    if kind in ("rectangle", "oriented_rectangle", "rotation") and len(flat) == 8:
        own["corners"] = flat  # as drawn (a rotated box's are recomputed otherwise)
    if kind in _REMEMBERED or (kind == "rectangle" and len(flat) == 8):
        own["shape_type"] = "rectangle4" if kind == "rectangle" else kind
    return own


class GroupIds:
    """An image's ``group_id`` values as model groups (1 and up): a positive id is kept,
    another (0, negative, a numeric string) gets a free number, the same for each."""

    def __init__(self, shapes: list[Any]):
        used = [s.get("group_id") for s in shapes if isinstance(s, dict)]
        self._next = max((g for g in used if type(g) is int and g > 0), default=0) + 1
        self._given: dict[Any, int] = {}

    def of(self, value: Any) -> int:
        if value is None or (isinstance(value, str) and not value.strip()):
            return 0
        if type(value) is int and value > 0:
            return value
        if type(value) is not int and not (isinstance(value, str) and
                                           value.strip().lstrip("-").isdigit()):
            raise DataError(f"must be a whole number or null, got {str(value)[:40]!r}",
                            where="group_id")
        group = self._given.get(value)
        if group is None:
            group = self._given[value] = self._next
            self._next += 1
        return group


def _geometry(kind: str, flat: list[float], shape: dict[str, Any],
              size: tuple[int, int] | None) -> tuple[Annotation, list[int] | None]:
    """The annotation of a shape, and (for a mask) the pixel box of its patch."""
    if kind == "mask":
        if size is None:
            raise DataError("a mask shape needs the image size (no imageHeight/imageWidth "
                            "and no readable image)", where="mask")
        try:
            rle, box = mask_to_rle(shape.get("mask"), flat, *size)
        except DataError as err:
            raise err.located(where="mask") from None
        return Mask(rle=rle), box
    return _outline(kind, flat), None


def _outline(kind: str, flat: list[float]) -> Annotation:
    if kind == "polygon":
        return Polygon(points=flat)
    if kind in ("line", "linestrip"):
        return Polyline(points=flat)
    if kind in ("point", "points"):
        return Points(points=flat, visibility=[2] * (len(flat) // 2))
    if kind == "circle":
        cx, cy, px, py = flat
        radius = math.hypot(px - cx, py - cy)
        return Ellipse(cx=cx, cy=cy, rx=radius, ry=radius)
    if len(flat) == 8:
        return box_of_corners(flat)
    xs, ys = flat[0::2], flat[1::2]
    return Bbox(x=min(xs), y=min(ys), w=max(xs) - min(xs), h=max(ys) - min(ys))


def box_of_corners(flat: list[float]) -> Bbox:
    """A box from 4 corners in drawing order: axis-aligned, or turned about its centre
    (rotation in degrees, clockwise on screen as CVAT counts it)."""
    (x0, y0), (x1, y1), (x2, y2) = flat[0:2], flat[2:4], flat[4:6]
    xs, ys = flat[0::2], flat[1::2]
    if len({round(x, 9) for x in xs}) <= 2 and len({round(y, 9) for y in ys}) <= 2:
        return Bbox(x=min(xs), y=min(ys), w=max(xs) - min(xs), h=max(ys) - min(ys))
    width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
    cx, cy = sum(xs) / 4, sum(ys) / 4
    rotation = round(math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360, 6)
    return Bbox(x=cx - width / 2, y=cy - height / 2, w=width, h=height,
                attributes={"rotation": rotation})


def _attributes(shape: dict[str, Any]) -> dict[str, Any]:
    """Shape flags, an ``attributes`` dict (X-AnyLabeling and forks write one) and the
    description, as model attributes. An ``attributes`` value may be any JSON value (a
    list, an object): our exporter writes a COCO attribute of any kind there, and a tool's
    own export must read back (red-team R4)."""
    out: dict[str, Any] = {}
    for key in ("flags", "attributes"):
        value = shape.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise DataError(f"must be an object, got {type(value).__name__}", where=key)
        for name, v in value.items():
            if key == "flags" and not isinstance(v, _SCALARS) and v is not None:
                raise DataError(f"{name!r} must be a plain value (text, number, true/false)",
                                where=key)
            out[name] = v  # a null too: a form field left empty, kept as it was
    description = shape.get("description")
    if description is not None and not isinstance(description, str):
        raise DataError("must be text", where="description")
    if description:
        out["description"] = description
    return out


def _keypoint_part(shape: dict[str, Any], kind: str, flat: list[float], group: int,
                   name: str) -> KeypointPart | None:
    marker = shape.get(KEYPOINT_KEY)
    if kind != "point" or not isinstance(marker, dict):
        return None
    of, index, visibility = marker.get("of"), marker.get("index"), marker.get("visibility", 2)
    if not isinstance(of, str) or type(index) is not int or not 0 <= index < 10000 or \
            visibility not in (1, 2):
        raise DataError("must be {\"of\": label, \"index\": 0.., \"visibility\": 1 or 2}",
                        where=KEYPOINT_KEY)
    return KeypointPart(name, of, index, visibility, flat[0], flat[1], group)
