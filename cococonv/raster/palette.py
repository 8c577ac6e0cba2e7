"""The VOC palette: the colours most index-mask formats (VOC, png_masks, labelme's PNGs,
CVAT's VOC export) give mask indices that have no colour of their own."""
from __future__ import annotations


def voc_color(index: int) -> tuple[int, int, int]:
    """The VOC palette colour of a mask index: the index bits spread over r, g, b.

    Bit k of the index goes to bit (7 - k // 3) of channel k % 3, so 1 is dark red,
    2 dark green, 8 is (64, 0, 0) and 255 is the void colour (224, 224, 192).
    """
    r = g = b = 0
    for shift in range(7, -1, -1):
        r |= (index & 1) << shift
        g |= ((index >> 1) & 1) << shift
        b |= ((index >> 2) & 1) << shift
        index >>= 3
    return r, g, b


def voc_palette() -> list[int]:
    """The 256-entry VOC palette, flat ``[r0, g0, b0, r1, ...]`` as PIL wants it."""
    flat: list[int] = []
    for index in range(256):
        flat.extend(voc_color(index))
    return flat
