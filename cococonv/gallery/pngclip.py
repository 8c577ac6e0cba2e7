"""Outlines cut to the canvas before Pillow sees them.

A dataset's coordinate may be 1e15: Pillow would overflow its C integers or walk a line of
that length. Every segment is therefore clipped (Liang-Barsky) to the canvas grown by a
margin wider than any line drawn, so what Pillow draws inside the canvas is exactly the
unclipped line, and the work per segment is bounded by the canvas, not by the values.
"""
from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def clip_segment(a: Point, b: Point, box: tuple[float, float, float, float]
                 ) -> tuple[Point, Point] | None:
    """The part of segment ``a``-``b`` inside ``box`` = (x0, y0, x1, y1), or None."""
    x0, y0, x1, y1 = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return None
    return ((a[0] + low * dx, a[1] + low * dy), (a[0] + high * dx, a[1] + high * dy))


def clipped_runs(points: Sequence[float], box: tuple[float, float, float, float], *,
                 closed: bool) -> list[list[Point]]:
    """Flat ``x, y`` coordinates as runs of connected points inside ``box``: the polyline
    (closed: the ring, back to its first point) with the parts outside removed."""
    pts = list(zip(points[0::2], points[1::2]))
    if closed and len(pts) > 2:
        pts.append(pts[0])
    runs: list[list[Point]] = []
    current: list[Point] = []
    for a, b in zip(pts, pts[1:]):
        part = clip_segment(a, b, box)
        if part is None:
            if current:
                runs.append(current)
                current = []
            continue
        start, end = part
        if current and current[-1] == start:
            current.append(end)
        else:
            if current:
                runs.append(current)
            current = [start, end]
        if end != b:  # left the box: the next visible part starts a new run
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def scaled(points: Sequence[float], scale: float) -> list[float]:
    """Flat coordinates multiplied by ``scale`` (canvas pixels from image pixels)."""
    return [v * scale for v in points]
