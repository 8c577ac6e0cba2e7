"""Tracing a binary mask into polygons that rasterise back to the same pixels.

Each 4-connected pixel region's outer boundary is followed along pixel edges, so the
polygon is exact; a mask with holes cannot be written as COCO polygons without changing its
area (users.md: keep the RLE, or report), so such masks are refused and stay RLE.
"""
from __future__ import annotations

from typing import Any


def mask_to_polygons(rle: dict[str, Any]) -> list[list[float]] | None:
    """Polygons (flat rings) whose union is exactly the mask, or None when not possible."""
    import numpy as np

    from . import masks

    array = masks.decode(rle).astype(bool)
    if not array.any():
        return None
    height, width = array.shape
    padded = np.zeros((height + 2, width + 2), dtype=bool)
    padded[1:-1, 1:-1] = array
    labels, count = _label_regions(padded)
    rings: list[list[float]] = []
    for region in range(1, count + 1):
        region_mask = labels == region
        ring = _trace(region_mask)
        if ring is None:
            return None
        rings.append(ring)
    candidate = masks.polygons_to_rle(rings, height, width)
    if masks.area(masks.merge([candidate, rle], intersect=True)) != masks.area(rle) or \
            masks.area(candidate) != masks.area(rle):
        return None
    return rings


def _label_regions(padded):
    """4-connected component labelling (iterative flood fill; masks are small per object)."""
    import numpy as np

    labels = np.zeros(padded.shape, dtype=np.int32)
    count = 0
    ys, xs = np.nonzero(padded)
    for y0, x0 in zip(ys.tolist(), xs.tolist()):
        if labels[y0, x0]:
            continue
        count += 1
        stack = [(y0, x0)]
        labels[y0, x0] = count
        while stack:
            y, x = stack.pop()
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if padded[ny, nx] and not labels[ny, nx]:
                    labels[ny, nx] = count
                    stack.append((ny, nx))
    return labels, count


def _trace(region) -> list[float] | None:
    """The outer pixel-edge boundary of one region; None when the region has holes."""
    import numpy as np

    # Holes: background pixels not reachable from the border.
    background = ~region
    outside, _ = _label_regions_from_border(background)
    if (background & ~outside).any():
        return None
    # Directed boundary edges with the region on the left; corners are pixel corners.
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    ys, xs = np.nonzero(region)
    for y, x in zip(ys.tolist(), xs.tolist()):
        if not region[y - 1, x]:
            edges.setdefault((x, y), []).append((x + 1, y))
        if not region[y, x + 1]:
            edges.setdefault((x + 1, y), []).append((x + 1, y + 1))
        if not region[y + 1, x]:
            edges.setdefault((x + 1, y + 1), []).append((x, y + 1))
        if not region[y, x - 1]:
            edges.setdefault((x, y + 1), []).append((x, y))
    start = min(edges)
    ring: list[tuple[int, int]] = [start]
    current = start
    while True:
        nxt = edges[current].pop()
        if nxt == start:
            break
        ring.append(nxt)
        current = nxt
        if len(ring) > 4 * region.size:
            return None
    # Drop collinear corners; shift back by the padding of 1.
    simplified = []
    n = len(ring)
    for k in range(n):
        (ax, ay), (bx, by), (cx, cy) = ring[k - 1], ring[k], ring[(k + 1) % n]
        if (bx - ax) * (cy - by) - (by - ay) * (cx - bx) != 0:
            simplified.append((bx - 1, by - 1))
    flat: list[float] = []
    for x, y in simplified:
        flat += (float(x), float(y))
    return flat if len(flat) >= 6 else None


def _label_regions_from_border(background):
    import numpy as np

    outside = np.zeros(background.shape, dtype=bool)
    stack = [(0, 0)]
    outside[0, 0] = True
    height, width = background.shape
    while stack:
        y, x = stack.pop()
        for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
            if 0 <= ny < height and 0 <= nx < width and background[ny, nx] and not outside[ny, nx]:
                outside[ny, nx] = True
                stack.append((ny, nx))
    return outside, 1
