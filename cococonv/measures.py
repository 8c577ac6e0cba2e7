"""The box and the area of one model annotation, as the reports (stats, validate, diff)
measure them: the source's declared values are theirs to compare against, so these are
always computed from the geometry itself."""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from .model import Annotation, Bbox, Ellipse, Item, Mask, Points, Polygon, Polyline


def shape_box(ann: Annotation) -> list[float] | None:
    """``[x, y, w, h]`` around the shape, None for a kind without geometry (labels,
    captions), keypoints with no visible point, or an RLE that cannot be decoded."""
    kind = type(ann)
    if kind is Bbox:
        return ann.bounds()
    if kind is Polygon or kind is Polyline:
        return _points_box(ann.points)
    if kind is Points:
        shown = [c for k, v in enumerate(ann.visibility) if v
                 for c in ann.points[2 * k:2 * k + 2]]
        return _points_box(shown)
    if kind is Ellipse:
        return [ann.cx - ann.rx, ann.cy - ann.ry, 2 * ann.rx, 2 * ann.ry]
    if kind is Mask:
        from . import masks
        try:
            masks.check_rle(ann.rle)
            return [float(v) for v in masks.bbox(ann.rle)]
        except (ValueError, TypeError, KeyError):
            return None
    return None


def shape_area(ann: Annotation, size: tuple[int, int] | None = None) -> float | None:
    """The area the shape covers: pixels of an RLE, pixels of a rasterised polygon when
    the image ``size`` (height, width) is known (as pycocotools computes it), else the
    exact polygon area; None for kinds without an area (lines, points, labels)."""
    kind = type(ann)
    if kind is Bbox:
        return float(ann.w * ann.h)
    if kind is Ellipse:
        return math.pi * ann.rx * ann.ry
    if kind is Polygon:
        if len(ann.points) < 6:
            return 0.0
        if size is not None:
            from . import masks
            return float(masks.polygons_area([ann.points], size[0], size[1]))
        from .geometry import shoelace_area
        return float(shoelace_area(ann.points))
    if kind is Mask:
        from . import masks
        try:
            masks.check_rle(ann.rle)
            return float(masks.area(ann.rle))
        except (ValueError, TypeError, KeyError):
            return None
    return None


def _points_box(points: list[float]) -> list[float] | None:
    if len(points) < 2:
        return None
    xs, ys = points[0::2], points[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def image_size(item: Item) -> tuple[int, int] | None:
    """The item's (height, width), None when the source gave none."""
    return item.image.size if item.image is not None and item.image.size else None


def objects_of(item: Item) -> Iterator[list[Annotation]]:
    """The item's annotations by source object: shapes one record gave (COCO rings of a
    polygon and keypoints share the record's ``extra`` dict and declared box) come
    together (even when it left it empty), every other annotation alone, since each has
    its own. Order is the first shape's."""
    found: dict[int, list[Annotation]] = {}
    for ann in item.annotations:
        key = id(ann.extra)
        found.setdefault(key, []).append(ann)
    return iter(found.values())


def object_area(shapes: Iterable[Annotation], size: tuple[int, int] | None) -> float | None:
    """The area of one object: its mask's, or the union of its rings' when the image size
    is known (their sum otherwise), or its box's; None when none of those is there."""
    shapes = list(shapes)
    rings = [a.points for a in shapes if type(a) is Polygon and len(a.points) >= 6]
    masks_ = [a for a in shapes if type(a) is Mask]
    if masks_ and not rings and len(masks_) == 1:
        return shape_area(masks_[0], size)
    if rings and not masks_:
        if size is not None:
            from . import masks
            return float(masks.polygons_area(rings, size[0], size[1]))
        from .geometry import shoelace_area
        return float(sum(shoelace_area(r) for r in rings))
    boxes = [a for a in shapes if type(a) is Bbox]
    if boxes and not masks_ and not rings:
        return shape_area(boxes[0], size)
    return None
