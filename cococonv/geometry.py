"""Shape conversions shared by exporters and transforms.

Faithful approximations only: an ellipse or a rotated box becomes a polygon on its outline,
any area shape can be rasterised to RLE. Heavy imports (numpy, pycocotools via masks) happen
inside the functions that need them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .model import Annotation, Bbox, Ellipse, Mask, Polygon
from .raster.speedups import fastcoords

ELLIPSE_POINTS = 64


def rotation_of(ann: Annotation) -> float:
    """The rotation attribute in degrees; anything but a number (text, bool) counts as 0."""
    value = ann.attributes.get("rotation")
    if type(value) in (int, float) and math.isfinite(value):
        return float(value)
    return 0.0


def ellipse_to_polygon(ellipse: Ellipse, segments: int = ELLIPSE_POINTS) -> list[float]:
    """Points on the ellipse outline (rotation in degrees, clockwise as CVAT draws it)."""
    angle = math.radians(rotation_of(ellipse))
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    points: list[float] = []
    for k in range(segments):
        t = 2 * math.pi * k / segments
        dx, dy = ellipse.rx * math.cos(t), ellipse.ry * math.sin(t)
        points.append(round(ellipse.cx + dx * cos_a - dy * sin_a, 3))
        points.append(round(ellipse.cy + dx * sin_a + dy * cos_a, 3))
    return points


def box_corners(box: Bbox) -> list[float]:
    """The four corners of a box, rotated about its centre by ``attributes["rotation"]``."""
    angle = math.radians(rotation_of(box))
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    corners = [(-box.w / 2, -box.h / 2), (box.w / 2, -box.h / 2),
               (box.w / 2, box.h / 2), (-box.w / 2, box.h / 2)]
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    out: list[float] = []
    for dx, dy in corners:
        out.append(cx + dx * cos_a - dy * sin_a)
        out.append(cy + dx * sin_a + dy * cos_a)
    return out


def is_rotated(box: Bbox) -> bool:
    return rotation_of(box) != 0.0


def points_bbox(points: Sequence[float]) -> list[float]:
    """``[x, y, w, h]`` around flat coordinates (no numpy needed; a list of floats takes
    the compiled ``ring_bounds``, the same values as min and max give here)."""
    fast = fastcoords()
    bounds = fast.ring_bounds(points) if fast is not None else None
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        return [x0, y0, round(x1 - x0, 10), round(y1 - y0, 10)]
    xs = points[0::2]
    ys = points[1::2]
    if not xs:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0 = min(xs), min(ys)
    # Rounded so 250.13 - 53.09 gives 197.04, not 197.04000000000002.
    return [x0, y0, round(max(xs) - x0, 10), round(max(ys) - y0, 10)]


def shoelace_area(points: Sequence[float]) -> float:
    """Exact area of a flat polygon ring (used when the image size is unknown)."""
    xs, ys = points[0::2], points[1::2]
    n = len(xs)
    total = 0.0
    for k in range(n):
        total += xs[k] * ys[(k + 1) % n] - xs[(k + 1) % n] * ys[k]
    return abs(total) / 2


def rasterize(shapes: Sequence[Annotation], height: int, width: int) -> dict[str, Any] | None:
    """Union of the area shapes (polygon, mask, box, ellipse) as one compressed RLE (a
    lone mask of the right size as it is)."""
    rings: list[list[float]] = []
    rles: list[dict[str, Any]] = []
    for shape in shapes:
        if isinstance(shape, Polygon):
            rings.append(shape.points)
        elif isinstance(shape, Mask):
            rle = shape.rle
            if list(rle.get("size", [])) != [height, width]:
                rle = resize_rle(rle, height, width)
            rles.append(rle)
        elif isinstance(shape, Bbox):
            rings.append(box_corners(shape))
        elif isinstance(shape, Ellipse):
            rings.append(ellipse_to_polygon(shape))
    if len(rles) == 1 and not rings:
        return rles[0]  # no pycocotools needed (nor its import, in a forked worker)
    from . import masks

    if rings:
        rles.append(masks.polygons_to_rle(rings, height, width))
    if not rles:
        return None
    return rles[0] if len(rles) == 1 else masks.merge(rles)


def resize_rle(rle: dict[str, Any], height: int, width: int) -> dict[str, Any]:
    """Crop or zero-pad a mask to another canvas size (top-left aligned)."""
    import numpy as np

    from . import masks
    from .limits import check_plane

    check_plane(height, width)
    array = masks.decode(rle)
    out = np.zeros((height, width), dtype=np.uint8)
    h, w = min(height, array.shape[0]), min(width, array.shape[1])
    out[:h, :w] = array[:h, :w]
    return masks.encode(out)
