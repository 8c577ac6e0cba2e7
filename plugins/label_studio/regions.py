"""One Label Studio region (a result's ``value``, in percent of the image) as a model
shape in pixels: boxes (rotation about the top-left corner becomes the model's rotation
about the centre), polygons (open ones as polylines), keypoints, ellipses, brush masks."""
from __future__ import annotations

import math
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import box_problem, coordinates_problem
from cococonv.model import Annotation, Bbox, Ellipse, Mask, Points, Polygon, Polyline


#: Result types that draw a region, by their base name (``rectangle`` and
#: ``rectanglelabels`` are one shape with and without its labels).
SHAPES = ("rectangle", "polygon", "keypoint", "ellipse", "brush")


def shape_of(rtype: str) -> str | None:
    """``rectanglelabels`` -> ``rectangle``; None for a type that draws nothing."""
    base = rtype[:-6] if rtype.endswith("labels") else rtype
    return base if base in SHAPES else None


class PercentError(DataError):
    """A value that is not a number where a percentage must be."""


def number(value: dict[str, Any], key: str, where: str) -> float:
    """``value[key]`` as a finite float; DataError naming ``where.key`` otherwise."""
    got = value.get(key)
    if got is None:
        raise DataError(f"missing {key!r}", where=where)
    if type(got) not in (int, float) or not math.isfinite(got) or abs(got) > 1e9:
        raise PercentError(f"must be a number, got {_shown(got)}", where=f"{where}.{key}")
    return float(got)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def to_shape(base: str, value: dict[str, Any], where: str, height: int,
             width: int) -> Annotation:
    """The model shape of a region in an image of ``height`` x ``width`` pixels; a
    coordinate far outside the image (docs/limits.md) is refused."""
    shape = _shape(base, value, where, height, width)
    problem = _far_out(shape, height, width)
    if problem:
        raise DataError(problem, where=where)
    return shape


def _far_out(shape: Annotation, height: int, width: int) -> str | None:
    if isinstance(shape, Bbox):
        return box_problem(shape.bounds(), height, width)
    if isinstance(shape, Ellipse):
        return box_problem([shape.cx - shape.rx, shape.cy - shape.ry, 2 * shape.rx,
                            2 * shape.ry], height, width)
    if isinstance(shape, (Polygon, Polyline, Points)):
        return coordinates_problem(shape.points, height, width)
    return None


def _extent(value: dict[str, Any], key: str, where: str) -> float:
    """A width, height or radius: a negative one is a corrupt region (COCO boxes too are
    refused for it), not a drawing that goes leftwards."""
    got = number(value, key, where)
    if got < 0:
        raise DataError(f"must not be negative, got {got:g}", where=f"{where}.{key}")
    return got


def _shape(base: str, value: dict[str, Any], where: str, height: int,
           width: int) -> Annotation:
    sx, sy = width / 100.0, height / 100.0
    if base == "rectangle":
        x, y = number(value, "x", where) * sx, number(value, "y", where) * sy
        w, h = _extent(value, "width", where) * sx, _extent(value, "height", where) * sy
        rotation = number(value, "rotation", where) if value.get("rotation") else 0.0
        box = Bbox(x=x, y=y, w=w, h=h)
        if rotation:
            # Label Studio turns the box about its top-left corner, the model about its
            # centre (as CVAT): same box, the corner moved to where the centre puts it.
            a = math.radians(rotation)
            cx = x + w / 2 * math.cos(a) - h / 2 * math.sin(a)
            cy = y + w / 2 * math.sin(a) + h / 2 * math.cos(a)
            box.x, box.y = cx - w / 2, cy - h / 2
            box.attributes["rotation"] = rotation
        return box
    if base == "polygon":
        closed = value.get("closed", True) is not False
        flat = _points(value, where, sx, sy, 3 if closed else 2)
        return Polygon(points=flat) if closed else Polyline(points=flat)
    if base == "keypoint":
        return Points(points=[number(value, "x", where) * sx, number(value, "y", where) * sy],
                      visibility=[2])
    if base == "ellipse":
        ellipse = Ellipse(cx=number(value, "x", where) * sx, cy=number(value, "y", where) * sy,
                          rx=_extent(value, "radiusX", where) * sx,
                          ry=_extent(value, "radiusY", where) * sy)
        if value.get("rotation"):
            ellipse.attributes["rotation"] = number(value, "rotation", where)
        return ellipse
    return _brush(value, where, height, width)


def _points(value: dict[str, Any], where: str, sx: float, sy: float,
            least: int) -> list[float]:
    """The pixel coordinates of a polygon's points: ``least`` of them at least (an open
    one, ``closed: false``, is a polyline: two points make a line)."""
    points = value.get("points")
    place = f"{where}.points"
    if type(points) is not list:
        raise DataError(f"must be a list of [x, y] points, got {_shown(points)}", where=place)
    flat: list[float] = []
    for k, point in enumerate(points):
        if type(point) is not list or len(point) != 2:
            raise DataError(f"point {k} is {_shown(point)}, not an [x, y] pair", where=place)
        for axis, scale in zip(point, (sx, sy)):
            if type(axis) not in (int, float) or not math.isfinite(axis):
                raise PercentError(f"point {k} holds {_shown(axis)}, not a number",
                                   where=place)
            flat.append(axis * scale)
    if len(points) < least:
        noun = "a polygon" if least == 3 else "an open polygon (a line)"
        raise DataError(f"{noun} needs {least} points, got {len(points)}", where=place)
    return flat


def _brush(value: dict[str, Any], where: str, height: int, width: int) -> Mask:
    fmt = value.get("format", "rle")
    if fmt != "rle":
        raise DataError(f"brush format {_shown(fmt)} is not read (only 'rle')",
                        where=f"{where}.format")
    from cococonv import masks  # numpy: not for loading the plugin

    from . import brush
    try:
        mask = brush.decode(value.get("rle"), height, width)
    except DataError as err:
        raise err.located(where=f"{where}.rle")
    return Mask(rle=masks.encode(mask))
