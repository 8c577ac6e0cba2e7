"""Tracing a binary mask into polygons that rasterise back to the same pixels.

The outline is followed along pixel edges (found with numpy, then chained in Python, so the
cost grows with the perimeter, not the area; ``cococonv/raster/_fasttrace.c`` does the same
walk ~50x faster when built, with the same rings). Regions touching only at a corner are kept
apart (4-connectivity). A mask with holes cannot be written as COCO polygons without
changing its area (users.md: keep the RLE, or report), so such masks are refused, and every
result is checked against pycocotools' rasterisation before it is returned.
"""
from __future__ import annotations

from typing import Any


def mask_to_polygons(rle: dict[str, Any]) -> list[list[float]] | None:
    """Flat rings whose union is exactly the mask, or None when that is not possible."""
    import numpy as np

    from . import masks
    from .pixel_match import same_pixels

    array = masks.decode(rle).view(bool)  # pycocotools' 0/1 bytes, read as bools: no copy
    rows = np.flatnonzero(array.any(axis=1))
    cols = np.flatnonzero(array.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = rows[0], rows[-1], cols[0], cols[-1]
    padded = np.zeros((y1 - y0 + 3, x1 - x0 + 3), dtype=bool)
    padded[1:-1, 1:-1] = array[y0:y1 + 1, x0:x1 + 1]
    flat_rings = _traced(padded, int(x0) - 1, int(y0) - 1)
    if flat_rings is None:
        return None
    height, width = array.shape
    same = same_pixels(flat_rings, rle, height, width)
    if same is None:  # pycocotools' own rasterisation, merge and intersection
        candidate = masks.polygons_to_rle(flat_rings, height, width)
        area = masks.area(rle)
        same = masks.area(candidate) == area and \
            masks.area(masks.merge([candidate, rle], intersect=True)) == area
    return flat_rings if same else None


def _traced(padded, dx: int, dy: int) -> list[list[float]] | None:
    """Flat rings of the padded mask, shifted by (dx, dy) into image coordinates."""
    import numpy as np

    from .raster import speedups

    fast = speedups.fasttrace()
    if fast is not None:
        return fast.trace(padded.view(np.uint8), *padded.shape, dx, dy)  # C-ordered zeros
    traced = _trace_rings(padded)
    if traced is None:
        return None
    flat_rings = []
    for ring in traced:
        flat: list[float] = []
        for x, y in ring:
            flat += (float(x + dx), float(y + dy))
        flat_rings.append(flat)
    return flat_rings


def _trace_rings(padded) -> list[list[tuple[int, int]]] | None:
    import numpy as np

    inner = padded[1:-1, 1:-1]
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def add(mask, dx0: int, dy0: int, dx1: int, dy1: int) -> None:
        ys, xs = np.nonzero(mask)
        for y, x in zip((ys + 1).tolist(), (xs + 1).tolist()):
            edges.setdefault((x + dx0, y + dy0), []).append((x + dx1, y + dy1))

    # Edge directions keep the region on the same side, so outer rings have positive area.
    add(inner & ~padded[:-2, 1:-1], 0, 0, 1, 0)      # top: left to right
    add(inner & ~padded[1:-1, 2:], 1, 0, 1, 1)       # right: downwards
    add(inner & ~padded[2:, 1:-1], 1, 1, 0, 1)       # bottom: right to left
    add(inner & ~padded[1:-1, :-2], 0, 1, 0, 0)      # left: upwards
    rings = []
    while edges:
        start = min(edges)
        ring = [start]
        previous = start
        current = _take(edges, start, None)
        while current != start:
            ring.append(current)
            incoming = (current[0] - previous[0], current[1] - previous[1])
            previous, current = current, _take(edges, current, incoming)
            if current is None:
                return None
        if _signed_area(ring) <= 0:
            return None  # a hole
        rings.append(_drop_collinear(ring))
    return rings


def _take(edges: dict, vertex: tuple[int, int], incoming: tuple[int, int] | None):
    options = edges.get(vertex)
    if not options:
        return None
    if len(options) > 1 and incoming is not None:
        # Turn towards the region the ring came from: keeps corner-touching regions apart.
        options.sort(key=lambda end: incoming[0] * (end[1] - vertex[1])
                     - incoming[1] * (end[0] - vertex[0]))
    end = options.pop()
    if not options:
        del edges[vertex]
    return end


def _signed_area(ring: list[tuple[int, int]]) -> float:
    total = 0
    for k in range(len(ring)):
        x0, y0 = ring[k - 1]
        x1, y1 = ring[k]
        total += x0 * y1 - x1 * y0
    return total / 2


def _drop_collinear(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept = []
    n = len(ring)
    for k in range(n):
        (ax, ay), (bx, by), (cx, cy) = ring[k - 1], ring[k], ring[(k + 1) % n]
        if (bx - ax) * (cy - by) - (by - ay) * (cx - bx) != 0:
            kept.append((bx, by))
    return kept
