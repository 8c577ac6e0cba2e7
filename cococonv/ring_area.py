"""A lone polygon ring's pixel area as pycocotools rasterises it, without numpy.

``cococonv.masks`` imports numpy and pycocotools (0.1 s a process): a yolo -> coco export
measures 40,000 undeclared polygon areas and nothing else there, so its workers imported
both for the compiled ``ring_area`` alone. Callers take ``masks.polygons_area`` when this
gives None (no compiled helper, a ring it refuses, several rings).
"""
from __future__ import annotations

from collections.abc import Sequence

from .raster.speedups import fastmasks


def ring_area(rings: Sequence[Sequence[float]], height: int, width: int) -> int | None:
    """The area of ``rings`` when it is a single ring the compiled rasteriser takes, else
    None."""
    if len(rings) != 1:
        return None
    fast = fastmasks()
    if fast is None:
        return None
    try:
        return fast.ring_area(rings[0], height, width)
    except (ValueError, TypeError, OverflowError):
        return None
