"""Area shapes as pixels of a canvas region: masks (RLE decoded) and polygon rings filled
by the even-odd rule, both cut to the part of the canvas they cover.

Rings are rasterised by ``cococonv.masks`` (pycocotools, and ``cococonv.rings`` for rings
reaching far outside), whose cost follows the region, not the coordinates; Pillow's own
polygon fill walks every edge on every row of the image.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import masks
from .pngcanvas import Frame

Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in canvas pixels, x1/y1 exclusive


def ring_region(rings: Sequence[Sequence[float]], canvas: tuple[int, int]) -> Region | None:
    """The canvas pixels the rings' box covers (rings in canvas coordinates), or None."""
    xs = [v for ring in rings for v in ring[0::2]]
    ys = [v for ring in rings for v in ring[1::2]]
    return clamp_region(min(xs), min(ys), max(xs), max(ys), canvas)


def even_odd(rings: Sequence[Sequence[float]], region: Region) -> np.ndarray:
    """A 0/1 array of ``region``: the pixels inside an odd number of the rings (a ring
    inside another is a hole); rings in canvas coordinates, each at least 3 points."""
    x0, y0, x1, y1 = region
    shifted = [[v - (x0 if k % 2 == 0 else y0) for k, v in enumerate(ring)] for ring in rings]
    out = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    for rle in masks.polygons_to_rles(shifted, y1 - y0, x1 - x0):
        out ^= masks.decode(rle)
    return out


def mask_pixels(rle: dict[str, Any], frame: Frame) -> tuple[np.ndarray, Region] | None:
    """The canvas pixels of a mask (top-left aligned with the image, as the model keeps
    masks) and their region; None when none of it is on the canvas. ValueError for an RLE
    that is unreadable or too large to decode (``cococonv.limits``)."""
    masks.check_rle(rle)
    bx, by, bw, bh = masks.bbox(rle)
    x1, y1 = min(bx + bw, frame.width), min(by + bh, frame.height)
    if bw <= 0 or bh <= 0 or x1 <= bx or y1 <= by:
        return None
    region = clamp_region(bx * frame.scale, by * frame.scale, x1 * frame.scale, y1 * frame.scale,
                    frame.canvas)
    if region is None:
        return None
    crop = masks.decode(rle)[int(by):int(y1), int(bx):int(x1)]
    size = (region[2] - region[0], region[3] - region[1])
    if crop.shape[::-1] != size:
        from PIL import Image as PILImage

        picture = PILImage.fromarray(crop * 255).resize(size, PILImage.Resampling.NEAREST)
        crop = (np.asarray(picture) > 127).astype(np.uint8)
    return crop, region


def clamp_region(x0: float, y0: float, x1: float, y1: float, canvas: tuple[int, int]
                 ) -> Region | None:
    """The whole canvas pixels a box ``x0, y0`` to ``x1, y1`` touches, or None."""
    width, height = canvas
    left, top = max(0, math.floor(x0)), max(0, math.floor(y0))
    right, bottom = min(width, math.ceil(x1)), min(height, math.ceil(y1))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom
