"""Polygon rings rasterised as pycocotools does, computed only where they cross the image.

pycocotools' ``frPyObjects`` scales the vertices by 5, walks every edge point by point along
its major axis (allocating two ints per point) and keeps the steps that cross a pixel
column's centre (``u`` from ``5c + 2`` to ``5c + 3``) inside the image. A coordinate of
2**31 therefore allocates gigabytes, and past 2**31 / 5 its 32-bit arithmetic overflows.
Here only the kept steps are computed (at most one per edge and image column), in numpy,
with the same float operations, so the pixels inside the image are exactly pycocotools'
for every ring it can rasterise, and memory follows the image, not the coordinates.
``cococonv/raster/_fastmasks.c`` (``ring_toggles``) does the same in C for the VOC painter.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .limits import LimitError

#: The most column crossings one ring may have (each is 8 bytes while it is sorted): an
#: honest polygon crosses each column a few times, so this is far beyond any real one.
MAX_RING_CROSSINGS = 1 << 24
_CHUNK = 1 << 20  # crossings computed per numpy pass (bounds the temporaries)
SCALE = 5.0


def _scaled(ring: Sequence[float]) -> tuple[Any, Any]:
    """The vertices as pycocotools rounds them: ``(int)(5 * v + .5)`` (truncation)."""
    import numpy as np

    xy = np.asarray(ring, dtype=np.float64)
    scaled = np.trunc(SCALE * xy + 0.5).astype(np.int64)
    return scaled[0::2], scaled[1::2]


class _Edges:
    """Each edge as pycocotools walks it: start (``xs``, ``ys``, after its flip), slope,
    whether it steps along x, and the image columns whose centre it crosses."""

    def __init__(self, ring: Sequence[float], width: int):
        import numpy as np

        x0, y0 = _scaled(ring)
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        dx, dy = np.abs(x1 - x0), np.abs(y1 - y0)
        along_x = dx >= dy
        flip = np.where(along_x, x0 > x1, y0 > y1)
        self.xs, xe = np.where(flip, x1, x0), np.where(flip, x0, x1)
        self.ys, ye = np.where(flip, y1, y0), np.where(flip, y0, y1)
        self.along_x = along_x & (dx > 0)  # a single point crosses no column
        with np.errstate(divide="ignore", invalid="ignore"):
            self.slope = np.where(self.along_x, (ye - self.ys) / np.maximum(dx, 1),
                                  (xe - self.xs) / np.maximum(dy, 1))
        lo, hi = np.minimum(self.xs, xe), np.maximum(self.xs, xe)
        first = lo + (2 - lo) % 5  # the first column centre step (5c + 2) at or after lo
        levels = np.maximum((hi - first + 4) // 5, 0)  # steps whose end is still <= hi
        column = (first - 2) // 5
        self.column_lo = np.clip(column, 0, width)
        self.column_hi = np.clip(column + levels, 0, width)
        self.count = np.maximum(self.column_hi - self.column_lo, 0)


def ring_to_counts(ring: Sequence[float], height: int, width: int) -> Any:
    """The run lengths (int64, starting with zeros) of the ring's mask, as pycocotools'
    ``frPyObjects`` gives them. Coordinates must be finite; a ring with more than
    ``MAX_RING_CROSSINGS`` crossings is a LimitError (it would only exhaust memory)."""
    import numpy as np

    edges = _Edges(ring, width)
    total = int(edges.count.sum())
    if total > MAX_RING_CROSSINGS:
        raise LimitError(f"a polygon crosses the image's pixel columns {total} times, more "
                        f"than the {MAX_RING_CROSSINGS} cococonv rasterises (docs/limits.md)")
    found = []
    bounds = np.concatenate(([0], np.cumsum(edges.count)))
    start = 0
    while start < edges.count.size:
        # a chunk of whole edges holding about _CHUNK crossings
        end = int(np.searchsorted(bounds, bounds[start] + _CHUNK, "right"))
        end = max(end - 1, start + 1)
        found.append(_positions(edges, slice(start, end), height))
        start = end
    positions = np.concatenate(found) if found else np.zeros(0, np.int64)
    # equal positions cancel in pairs (pycocotools merges zero-length runs)
    values, multiplicity = np.unique(positions, return_counts=True)
    positions = values[multiplicity % 2 == 1]
    positions = positions[positions < height * width]
    return np.diff(np.concatenate(([0], positions, [height * width])))


def _positions(edges: _Edges, part: slice, height: int) -> Any:
    """Column-major positions ``c * h + y`` of the crossings of edges ``part``."""
    import numpy as np

    count = edges.count[part]
    which = np.repeat(np.arange(count.size), count)
    local = np.arange(which.size) - np.repeat(np.cumsum(count) - count, count)
    column = edges.column_lo[part][which] + local
    level = 5 * column + 2
    xs, ys = edges.xs[part][which], edges.ys[part][which]
    slope, along_x = edges.slope[part][which], edges.along_x[part][which]
    lower = np.empty(which.size, dtype=np.int64)
    # edges walked along x: one step per u; the crossing is the step from level to level+1
    a = np.flatnonzero(along_x)
    t = (level[a] - xs[a]).astype(np.float64)
    v0 = np.trunc(ys[a] + slope[a] * t + 0.5)
    v1 = np.trunc(ys[a] + slope[a] * (t + 1) + 0.5)
    lower[a] = np.minimum(v0, v1).astype(np.int64)
    # edges walked along y: the first step whose u has passed the level
    b = np.flatnonzero(~along_x)
    lower[b] = ys[b] + _crossing_step(xs[b], slope[b], level[b]) - 1
    yd = (lower + 0.5) / SCALE - 0.5
    yd = np.ceil(np.clip(yd, 0, height)).astype(np.int64)
    return column * height + yd


def _crossing_step(xs: Any, slope: Any, level: Any) -> Any:
    """For edges stepping along y (u = round(xs + s t)): the first t at which u has passed
    ``level`` (rising: reached level + 1; falling: come down to level). Estimated, then
    settled with the exact float expression, since the estimate may be a step off."""
    import numpy as np

    rising = slope > 0
    target = np.where(rising, level + 1, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.ceil((level + 0.5 - xs) / slope)
    guess = np.where(np.isfinite(estimate), estimate, 0).astype(np.int64)

    def passed(t: Any) -> Any:
        u = np.trunc(xs + slope * t.astype(np.float64) + 0.5)
        return np.where(rising, u >= target, u <= target)

    for _round in range(3):
        guess = guess - passed(guess - 1)
        guess = guess + ~passed(guess)
    return guess
