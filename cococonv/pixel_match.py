"""Whether polygon rings rasterise (as pycocotools does) to exactly a mask's pixels.

The tracer checks every result so; building each ring's RLE, merging them and intersecting
with the mask cost more than the tracing itself for crowd regions. Here the comparison is
made on runs of ones in column-major order: each ring's sorted toggles from the compiled
rasteriser (``ring_positions``, pycocotools' pixels for every ring it accepts), their
union, and the mask's own runs. ``same_pixels`` gives None where that path does not apply
(no compiled helpers, a ring they refuse, run lengths that do not cover the image): the
caller then takes pycocotools' path.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def same_pixels(rings: Sequence[Sequence[float]], rle: dict[str, Any], height: int,
                width: int) -> bool | None:
    """Whether the union of ``rings`` is exactly the mask ``rle`` of ``height`` x
    ``width``, or None when this cannot tell."""
    import numpy as np

    from . import masks
    from .raster.speedups import fastmasks

    fast = fastmasks()
    if fast is None or not rings:
        return None
    counts = masks.counts_of(rle)
    if counts.size == 0 or int(counts.min()) < 0 or int(counts.sum()) != height * width:
        return None
    bounds = np.cumsum(counts)
    mask_runs = _merged(bounds[0:-1:2], bounds[1::2])
    starts, ends = [], []
    for ring in rings:
        try:
            at = np.frombuffer(fast.ring_positions(ring, height, width), dtype=np.int64)
        except (ValueError, TypeError, OverflowError):
            return None
        if at.size % 2:  # an odd last toggle runs to the end of the image
            at = np.append(at, height * width)
        starts.append(at[0::2])
        ends.append(at[1::2])
    ring_runs = _merged(np.concatenate(starts), np.concatenate(ends))
    return all(np.array_equal(a, b) for a, b in zip(mask_runs, ring_runs))


def _merged(starts: Any, ends: Any) -> tuple[Any, Any]:
    """The union of the runs ``[starts[i], ends[i])`` as disjoint, non-touching runs in
    order (empty runs dropped): one form for any two descriptions of the same pixels."""
    import numpy as np

    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, reach = starts[order], np.maximum.accumulate(ends[order])
    first = np.empty(starts.size, dtype=bool)
    first[0] = True
    first[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(first)
    return starts[heads], reach[np.append(heads[1:] - 1, starts.size - 1)]
