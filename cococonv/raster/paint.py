"""Painting an index mask: RLE layers and polygon rings to class and instance scanlines.

The writer's side of ``runs``: the compiled painter (``_fastmasks.c``) when it is built,
else numpy over the layers' run boundaries; both give the same bytes. Index 255 is void
(VOC's border, the ignore index of most index-mask formats): the compiled painter fixes it.
"""
from __future__ import annotations

from typing import Any

from cococonv.limits import check_plane, coordinate_bounds, coordinates_problem, ring_checker
from cococonv.rings import MAX_RING_CROSSINGS

from . import speedups
from .runs import sorted_unique

VOID_INDEX = 255  # what a void layer or region paints, as _fastmasks.c's VOID_INDEX


# -- painting ------------------------------------------------------------------------------
# Masks here are runs, not pixels: the layers are painted over the union of their RLE
# boundaries and the pixels exist only once, as the PNG scanlines. Later units cover earlier
# ones (callers sort by z_order); class 255 paints void in both planes (VOC's crowd
# regions); the two void regions (``void_class``, ``void_object``) are painted last.

def paint_scanlines(height: int, width: int, units: list[tuple[Any, int, int | None]],
                    void_class: dict | None, void_object: dict | None, *,
                    scratch: bytearray | None = None,
                    present: bytearray | None = None) -> tuple[Any, Any]:
    """The class and object PNGs' raw scanlines (``height`` rows of a filter byte 0 and
    ``width`` indices), painted from the units' RLEs (``(rle, class, instance)``); a unit
    may hold a polygon ring instead of an RLE dict, as a flat *list* of coordinates (the
    painters tell the two apart by type: a list is always a ring), painted as pycocotools
    rasterises it (by the compiled painter, else through pycocotools).

    With a ``scratch`` bytearray the compiled painter may return memoryviews into it
    (grown as needed; valid until the next call with it): a loop over many images then
    reuses one buffer instead of mapping fresh pages for every mask. A ``present``
    bytearray then becomes the compiled painter's 256-byte map of the instance indices the
    object plane holds (byte i is 1 for index i), which it knows as it paints; it is left
    empty where the picture was painted otherwise.

    The runs of the picture are found column by column (RLE order) over the union of the
    layers' bounds, then each PNG is rebuilt row-major without a transpose: a row differs
    from the one above only where a run starts, so the picture is the running XOR, down the
    rows, of those differences (done 8 bytes at a time).
    """
    check_plane(height, width, "the masks")
    units = _tame_rings(units, height, width)
    if present is not None:
        del present[:]
    painted = _paint_compiled(height, width, units, void_class, void_object, scratch,
                              present)
    if painted is not None:
        return painted
    # Imported here, not above: with the compiled painter a worker never needs numpy or
    # pycocotools (their import is ~0.1 s of CPU in every forked worker).
    import numpy as np

    from cococonv import masks

    rings = [k for k, unit in enumerate(units) if type(unit[0]) is list]
    if rings:
        rles = iter(masks.polygons_to_rles([units[k][0] for k in rings], height, width))
        units = [(next(rles), cls, inst) if type(layer) is list else (layer, cls, inst)
                 for layer, cls, inst in units]
    row = width + 1
    n = height * width
    if n == 0:
        blank = bytes(height * row)
        return blank, blank
    extra = [v for v in (void_class, void_object) if v is not None]
    decoded = masks.bounds_of_many([rle for rle, _cls, _inst in units] + extra)
    layers = decoded[:len(units)]
    rest = iter(decoded[len(units):])
    voids = [next(rest) if v is not None else None for v in (void_class, void_object)]
    # every column's top is a point too, so each point's predecessor is in its column
    column_tops = np.arange(0, n, height, dtype=np.int64)
    points = sorted_unique(np.concatenate([column_tops] + decoded))
    points = points[:np.searchsorted(points, n)]
    rank = _top_layer(layers, points)
    cls_lut = np.array([0] + [c for _r, c, _i in units], dtype=np.uint8)
    inst_lut = np.array([0] + [VOID_INDEX if c == VOID_INDEX else (i or 0)
                               for _r, c, i in units], dtype=np.uint8)
    planes = [cls_lut[rank], inst_lut[rank]]
    for plane, bounds in zip(planes, voids):
        if bounds is not None:
            plane[(np.searchsorted(bounds, points, "right") & 1).astype(bool)] = VOID_INDEX
    ys, xs = np.divmod(points, height)[::-1]
    top = ys == 0
    stride = (row + 7) // 8 * 8
    where = ys * stride + xs + 1
    out = []
    for plane in planes:
        delta = plane.copy()
        delta[1:] ^= plane[:-1]
        delta[top] = plane[top]
        grid = np.zeros(height * stride, dtype=np.uint8)
        grid[where] = delta
        words = grid.view(np.uint64).reshape(height, stride // 8)
        np.bitwise_xor.accumulate(words, axis=0, out=words)
        out.append(grid.reshape(height, stride)[:, :row].tobytes())
    return out[0], out[1]


def _tame_rings(units: list[tuple[Any, int, int | None]], height: int,
                width: int) -> list[tuple[Any, int, int | None]]:
    """The units with every ring that reaches far outside the image (past the coordinate
    margin) rasterised to its RLE first: the painters walk a ring's edges over their
    whole length, ``cococonv.rings`` only over the image."""
    # The usual ring has every coordinate in the tighter axis's range (so no
    # coordinates_problem) and too few points to reach MAX_RING_CROSSINGS even across the
    # whole width: one compiled pass says so, which reads the floats without touching
    # their reference counts (a forked worker then copies none of the parent's pages).
    within = ring_checker()
    low, high = coordinate_bounds(height, width)
    short = MAX_RING_CROSSINGS // max(width, 1)
    wild = [k for k, unit in enumerate(units) if type(unit[0]) is list and not (
            len(unit[0]) // 2 <= short and within(unit[0], low, high)) and (
            coordinates_problem(unit[0], height, width) is not None or
            _crossings_bound(unit[0], width) > MAX_RING_CROSSINGS)]
    if not wild:
        return units
    from cococonv import masks

    rles = masks.polygons_to_rles([units[k][0] for k in wild], height, width)
    units = list(units)
    for k, rle in zip(wild, rles):
        units[k] = (rle, units[k][1], units[k][2])
    return units


def _crossings_bound(ring: list[float], width: int) -> int:
    """At most how many column crossings a ring has (each edge crosses a column once):
    past MAX_RING_CROSSINGS it goes to ``cococonv.rings``, which counts them exactly and
    refuses a ring that really has that many, before anything is allocated."""
    xs = ring[0::2]
    return len(xs) * min(width, int(max(xs) - min(xs)) + 2)


def _paint_compiled(height: int, width: int, units: list[tuple[Any, int, int | None]],
                    void_class: dict | None, void_object: dict | None,
                    scratch: bytearray | None, present: bytearray | None = None) -> Any:
    """``paint_scanlines`` by the compiled helper, or None when it is not built or the RLEs
    are not all compressed strings it can read (the numpy code then paints them)."""
    fast = speedups.fastmasks()
    if fast is None:
        return None
    voids = [_painter_counts(v) if v is not None else None for v in (void_class, void_object)]
    layers = [(rle if type(rle) is list else _painter_counts(rle), cls,
               VOID_INDEX if cls == VOID_INDEX else (instance or 0))
              for rle, cls, instance in units]
    if not all(type(v) in (str, tuple) for v in voids if v is not None) or \
            not all(type(layer[0]) in (str, list, tuple) for layer in layers):
        return None
    size = height * (width + 1)
    if scratch is not None and len(scratch) < 2 * size:
        try:
            scratch.extend(bytes(2 * size - len(scratch)))
        except BufferError:  # the caller still holds the last result
            scratch = None
    try:
        if scratch is None:
            return fast.paint(height, width, layers, *voids)
        held = fast.paint(height, width, layers, *voids, scratch)
    except ValueError:
        return None
    if present is not None:
        present[:] = held
    view = memoryview(scratch)
    return view[:size], view[size:2 * size]


def _painter_counts(rle: dict) -> Any:
    """An RLE's counts as the compiled painter reads them: compressed strings as they are,
    lists of run lengths (COCO's crowd regions) as tuples (a list would be a ring)."""
    counts = rle["counts"]
    return tuple(counts) if type(counts) is list else counts


def _top_layer(layers: list[Any], points: Any) -> Any:
    """For each point, 1 + the index of the last layer covering it (0 for none); a layer
    covers a point when an odd number of its bounds are at or before it. All layers at
    once: every bound is one of the points (or past the last), so the counts are a
    cumulative sum of bound hits per (layer, point)."""
    import numpy as np

    size = points.size
    rank = np.zeros(size, dtype=np.int64)
    if not layers:
        return rank
    every = np.concatenate(layers)
    lens = np.array([b.size for b in layers], dtype=np.int64)
    steps = np.diff(every)
    joins = np.cumsum(lens)[:-1] - 1  # last bound of each layer but the last
    steps[joins[(joins >= 0) & (joins < steps.size)]] = 0
    if steps.size and (steps < 0).any():  # not sorted (never for valid RLE): one by one
        for k, bounds in enumerate(layers):
            rank[(np.searchsorted(bounds, points, "right") & 1).astype(bool)] = k + 1
        return rank
    column = np.searchsorted(points, every)
    layer = np.repeat(np.arange(lens.size, dtype=np.int64), lens)
    hits = np.bincount(layer * (size + 1) + column, minlength=lens.size * (size + 1))
    covered = np.cumsum(hits.reshape(lens.size, size + 1)[:, :size], axis=1) & 1
    covered *= np.arange(1, lens.size + 1, dtype=np.int64)[:, None]
    return covered.max(axis=0)
