"""Objects the VOC masks lose: those left with no pixel once everything is painted.

A mask PNG holds one class and one instance index per pixel, so an object drawn entirely
under later ones (or under a crowd region, painted void), or too thin to cover a pixel, has
no pixel left, and reading the output back gives no mask for it. The painted object
scanlines say which instance indices survived.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def objects_without_pixels(instances_painted: Sequence[int | None], scanlines: Any,
                           present: bytes | bytearray = b"") -> int:
    """How many of the painted instance indices (None: painted without one) are missing
    from the object PNG's raw ``scanlines`` (bytes or a memoryview); ``present``, when the
    painter gave it (``paint_scanlines``), is the map of the indices it holds, read instead
    of the pixels."""
    wanted = [index for index in instances_painted if index is not None]
    if not wanted:
        return 0
    if len(present) == 256:
        return sum(1 for index in wanted if not present[index])
    # One copy and a memchr per object: about 20 us for a 640x427 image (numpy's bincount
    # takes 1 ms); row filter bytes are 0, which no instance uses.
    data = bytes(scanlines)
    return sum(1 for index in wanted if data.find(bytes((index,))) < 0)
