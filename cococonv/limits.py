"""The bounds on what one value of a dataset may cost; docs/limits.md lists them for users.

Datasets are untrusted, so no single value (a coordinate, a claimed image size, a nesting
depth) decides how much memory or time a run takes: each is checked against a documented
bound here and refused with one line naming the file, item or annotation.
"""
from __future__ import annotations

import math
import struct
from functools import lru_cache
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import DataError
from .model import MAX_IMAGE_SIDE
from .text import shown

#: The most pixels one mask plane may have: painting (VOC PNGs, --crop-covered), decoding
#: an RLE to pixels and reading a mask PNG hold a few planes of this many bytes at once.
#: 2**28 is 16384 x 16384; beyond, a mask of any real dataset is far more than memory.
MAX_MASK_PIXELS = 1 << 28

#: The most pixels an RLE (pycocotools' 32-bit run lengths) can describe.
MAX_RLE_PIXELS = (1 << 32) - 1

#: How far outside its image a shape's coordinate may lie: by the image's size, and at
#: least this many pixels (x from -max(width, 1024) to width + max(width, 1024), y alike).
#: Tools clamp to the image or go a few pixels past it, and some files give a thumbnail's
#: size for full-size coordinates; a value further away is corrupt, not a drawing.
COORDINATE_MARGIN = 1024

#: Beyond this magnitude a number is not a coordinate at all (any image, any margin).
MAX_COORDINATE = 1e15


class LimitError(DataError, ValueError):
    """Raised when a value would cost more memory or time than the documented limits allow
    (also a ValueError, which the mask functions raise for unusable input)."""


def check_plane(height: int, width: int, what: str = "the mask") -> None:
    """Raise LimitError when a ``height`` x ``width`` pixel plane exceeds MAX_MASK_PIXELS."""
    if height * width > MAX_MASK_PIXELS:
        raise LimitError(f"{what} would be {width}x{height} = {height * width} pixels "
                         f"(width x height), above the limit of {MAX_MASK_PIXELS} "
                         f"(docs/limits.md)")


def use_our_pixel_limit(pil_image: Any) -> None:
    """Lift Pillow's decompression-bomb error (raised past twice ``MAX_IMAGE_PIXELS``,
    178,956,970 pixels by default) above MAX_MASK_PIXELS, so ``check_plane``, which runs
    first, is the limit that applies and its message the one users see."""
    if pil_image.MAX_IMAGE_PIXELS is not None and pil_image.MAX_IMAGE_PIXELS < MAX_MASK_PIXELS:
        pil_image.MAX_IMAGE_PIXELS = MAX_MASK_PIXELS


def check_png_header(data: bytes, what: str = "the mask PNG") -> None:
    """``check_plane`` for the size a PNG's header claims, before a decoder allocates it
    (Pillow's own check raises at 2**27.4 pixels and warns on stderr from half that)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack_from(">II", data, 16)
        check_plane(height, width, what)


def check_rle_canvas(height: int, width: int) -> None:
    """Raise LimitError when an RLE of this size cannot hold its run lengths."""
    if height * width > MAX_RLE_PIXELS:
        raise LimitError(f"an image of {width}x{height} pixels (width x height) is more "
                         f"than an RLE mask can describe ({MAX_RLE_PIXELS} pixels)")


def finite_coordinates(points: Sequence[float]) -> list[float]:
    """The coordinates as floats; LimitError for a value that is not a finite number of at
    most MAX_COORDINATE (``10**400``, ``inf``, ``nan``)."""
    try:
        values = [float(v) for v in points]
    except (OverflowError, TypeError, ValueError):
        raise LimitError("a coordinate is not a number within range") from None
    if values and not (-MAX_COORDINATE <= min(values) and max(values) <= MAX_COORDINATE
                       and math.isfinite(math.fsum(values))):
        raise LimitError(f"a coordinate is not a finite number within {MAX_COORDINATE:g}")
    return values


def coordinates_problem(points: Sequence[float], height: int, width: int) -> str | None:
    """Why flat ``x, y`` coordinates cannot belong to a ``height`` x ``width`` image (one
    lies beyond COORDINATE_MARGIN), or None. Cheap: the importers call it per polygon."""
    if not points:
        return None
    low, high = coordinate_bounds(height, width)
    if low <= min(points) and max(points) <= high:
        return None  # within the tighter of the two ranges: no need to split x from y
    for axis, values, size in (("x", points[0::2], width), ("y", points[1::2], height)):
        if not values:
            return None
        lo, hi = min(values), max(values)
        margin = max(size, COORDINATE_MARGIN)
        low, high = -margin, size + margin
        if not low <= lo or not hi <= high:
            bad = lo if not low <= lo else hi
            return (f"{axis} = {_shown(bad)} is too far outside the {width}x{height} image "
                    f"(allowed {low:g} to {high:g}; docs/limits.md)")
    return None


@lru_cache(maxsize=256)
def coordinate_bounds(height: int, width: int) -> tuple[int, int]:
    """The range every coordinate of a ``height`` x ``width`` image may take whether it is
    an x or a y (the tighter of the two axes' ranges), so callers in hot loops can test
    ``low <= min(points) and max(points) <= high`` inline and call coordinates_problem
    only when that fails. Cached: a dataset has few image sizes."""
    small = min(height, width)
    margin = max(small, COORDINATE_MARGIN)
    return -margin, small + margin


_NUMBER_TYPES = frozenset((int, float))


def ring_within(ring: Any, low: float, high: float) -> bool:
    """Whether ``ring`` is a polygon COCO's reader accepts as it is: a list of at least 6
    (an even count) ints and floats, each in ``low..high`` (``coordinate_bounds``). False
    sends the caller to its full checks, which say what is wrong."""
    return (type(ring) is list and len(ring) >= 6 and not len(ring) % 2
            and set(map(type, ring)) <= _NUMBER_TYPES
            and low <= min(ring) and max(ring) <= high)


def ring_checker() -> Callable[[Any, float, float], bool]:
    """``ring_within``, compiled when ``cococonv/raster/_fastcoords.c`` is built (one pass,
    ~10x less time on COCO's 1.9 M coordinates per 5,000 images) and not turned off."""
    from .raster.speedups import fastcoords

    fast = fastcoords()
    return fast.ring_within if fast is not None else ring_within


def box_within(box: Any, low: float, high: float) -> bool:
    """Whether ``box`` is a bbox COCO's reader accepts as it is: ``[x, y, w, h]`` ints and
    floats, ``w, h >= 0``, every corner in ``low..high``. False sends the caller to its full
    checks, which say what is wrong."""
    if type(box) is not list or len(box) != 4 or not set(map(type, box)) <= _NUMBER_TYPES:
        return False
    x, y, w, h = box
    try:
        return w >= 0 and h >= 0 and low <= x <= high and low <= y <= high \
            and low <= x + w <= high and low <= y + h <= high
    except OverflowError:  # a float plus an int of hundreds of digits: box_problem says so
        return False


def box_checker() -> Callable[[Any, float, float], bool]:
    """``box_within``, compiled when ``_fastcoords`` is built and not turned off."""
    from .raster.speedups import fastcoords

    fast = fastcoords()
    return fast.box_within if fast is not None else box_within


def box_problem(box: Sequence[float], height: int, width: int) -> str | None:
    """``coordinates_problem`` for the corners of an ``[x, y, w, h]`` box."""
    try:
        corners = [box[0], box[1], box[0] + box[2], box[1] + box[3]]
    except OverflowError:  # a float plus an int of hundreds of digits
        return "a box value is not a number within range"
    return coordinates_problem(corners, height, width)


def declared_image_size(record: Mapping[str, Any], height_key: str = "height",
                        width_key: str = "width", prefix: str = "") -> tuple[int, int] | None:
    """``(height, width)`` as a record declares them, None when it gives neither; a side
    that is not a whole number in 1..MAX_IMAGE_SIDE is a DataError at ``prefix + key``
    (no claimed size decides memory)."""
    height, width = record.get(height_key), record.get(width_key)
    if height is None and width is None:
        return None
    for key, value in ((height_key, height), (width_key, width)):
        if type(value) is not int or not 0 < value <= MAX_IMAGE_SIDE:
            raise DataError(f"must be a whole number from 1 to {MAX_IMAGE_SIDE}, got "
                            f"{shown(value)}", where=prefix + key)
    return height, width


def _shown(value: float) -> str:
    """A number for a message, short even when it has hundreds of digits."""
    if isinstance(value, int) and abs(value) >= 10 ** 15:
        return f"{'-' if value < 0 else ''}a {int(value.bit_length() * 0.30103) + 1}-digit number"
    return f"{value:.10g}"
