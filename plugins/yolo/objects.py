"""Model annotations of a label file's objects: from the Python parser's lines (still
normalised) or from the compiled parser's rows (already pixels), the same shapes for the
same file either way (tests/plugins/test_yolo_fastlines.py)."""
from __future__ import annotations

from typing import Any

from cococonv.context import Context
from cococonv.model import Bbox, Points, Polygon

from .lines import LabelLine


def annotations(lines: list[LabelLine], size: tuple[int, int],
                 kpt_shape: tuple[int, int] | None, ctx: Context,
                 boxes: set[int], groups: list[int]) -> list:
    """The model annotations of a file's lines; ``boxes`` numbers the lines (from 0) the
    meta file says were boxes written as 4-corner polygons (segment task), ``groups``
    gives each line's object group (the meta file's, else 0)."""
    height, width = size
    out: list = []
    group = max(groups, default=0)  # pose lines without one get groups above these
    for index, line in enumerate(lines):
        attributes = {"score": line.score} if line.score is not None else {}
        if line.kind == "polygon":
            values = line.values
            points = values[:]
            points[0::2] = [x * width for x in values[0::2]]
            points[1::2] = [y * height for y in values[1::2]]
            if index in boxes and len(points) == 8:
                x0, y0 = min(points[0::2]), min(points[1::2])
                out.append(Bbox(label=line.cls, x=x0, y=y0, w=max(points[0::2]) - x0,
                                h=max(points[1::2]) - y0, attributes=attributes,
                                group=groups[index]))
                continue
            out.append(Polygon(label=line.cls, points=points, attributes=attributes,
                               group=groups[index]))
            continue
        cx, cy, w, h = line.values
        box = Bbox(label=line.cls, x=(cx - w / 2) * width, y=(cy - h / 2) * height,
                   w=w * width, h=h * height, attributes=attributes, group=groups[index])
        points = _keypoints(line.keypoints, kpt_shape, size, ctx) if line.keypoints else None
        if points is not None:
            if not groups[index]:
                group += 1
            box.group = points.group = groups[index] or group
            points.label = line.cls
            out += [box, points]
        else:
            out.append(box)
    return out


def _keypoints(values: list[float], kpt_shape: Any, size: tuple[int, int],
               ctx: Context) -> Points | None:
    """The pose line's keypoints; None when every value is 0 (a box without points)."""
    if not any(values):
        return None
    height, width = size
    dims = kpt_shape[1]
    points: list[float] = []
    visibility: list[int] = []
    fractional = 0
    for k in range(0, len(values), dims):
        x, y = values[k], values[k + 1]
        points += (x * width, y * height)
        if dims == 2:
            visibility.append(0 if x == 0 and y == 0 else 2)
            continue
        v = values[k + 2]
        if v in (0, 1, 2):
            visibility.append(int(v))
        else:
            fractional += 1
            visibility.append(2 if v >= 0.5 else 1)
    ctx.report.approximated("keypoints", "confidences read as visibility (2 from 0.5, "
                            "else 1)", fractional)
    return Points(points=points, visibility=visibility)


def row_annotations(rows: list[tuple[int, bool, float | None, int]], coords: bytes,
                    boxes: set[int], groups: list[int]) -> list:
    """``annotations`` for the compiled parser's rows (class, polygon, score, count) and
    their pixel coordinates packed as doubles: no pose lines (those take the Python
    parser), so each row is one box or one polygon."""
    values = memoryview(coords).cast("d")
    out: list = []
    pos = 0
    for index, (cls, polygon, score, count) in enumerate(rows):
        points = values[pos:pos + count].tolist()
        pos += count
        attributes = {"score": score} if score is not None else {}
        if not polygon:
            x, y, w, h = points
            out.append(Bbox(label=cls, x=x, y=y, w=w, h=h, attributes=attributes,
                            group=groups[index]))
        elif index in boxes and count == 8:
            xs, ys = points[0::2], points[1::2]
            x0, y0 = min(xs), min(ys)
            out.append(Bbox(label=cls, x=x0, y=y0, w=max(xs) - x0, h=max(ys) - y0,
                            attributes=attributes, group=groups[index]))
        else:
            out.append(Polygon(label=cls, points=points, attributes=attributes,
                               group=groups[index]))
    return out
