"""Label Studio's brush RLE: the bit-packed run-length format of ``brushlabels`` results.

The ``rle`` list holds the bytes of a bit stream (most significant bit first) that packs
the RGBA bytes of the mask image, row after row: a 32-bit count of values, 5 bits of
word size minus one (8 for bytes), four 4-bit widths minus one of the run-length classes,
then chunks. A chunk is a flag bit (1: one value repeated, 0: literal values), 2 bits
choosing a width class, a count minus one in that width, then the value(s). The mask is
the alpha channel (every fourth byte): a pixel belongs to the region when it is opaque
past half (>= 128). Label Studio's converter writes all four bytes 0 or 255; so do we.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cococonv.errors import DataError
from cococonv.limits import check_plane

#: The run-length class widths we write (Label Studio's own: 3, 4, 8 and 16 bits).
WRITE_WIDTHS = (3, 4, 8, 16)
_HEADER_BITS = 32 + 5 + 4 * 4


class _Bits:
    """Reads big-endian bit fields from a byte string; running past the end is an error."""

    def __init__(self, data: bytes):
        self.data = data
        self.total = len(data) * 8
        self.pos = 0

    def read(self, width: int) -> int:
        end = self.pos + width
        if end > self.total:
            raise DataError(f"the brush RLE ends inside a chunk (bit {self.pos} of "
                            f"{self.total})")
        first, last = self.pos >> 3, (end + 7) >> 3
        chunk = int.from_bytes(self.data[first:last], "big")
        value = (chunk >> ((last << 3) - end)) & ((1 << width) - 1)
        self.pos = end
        return value


def _as_bytes(rle: Any) -> bytes:
    if type(rle) is not list:
        raise DataError(f"must be a list of byte values, got {type(rle).__name__}")
    try:
        return bytes(rle)
    except (TypeError, ValueError):
        raise DataError("must be a list of integers from 0 to 255") from None


def decode(rle: Any, height: int, width: int) -> np.ndarray:
    """The ``(height, width)`` 0/1 uint8 mask of a brush RLE, in column-major memory as
    the RLE encoder takes it (no copy there); DataError when the stream is malformed or
    describes another number of pixels than ``height`` x ``width``. Only the opaque runs
    are kept while reading, so the stream costs no more than its pixels' one plane."""
    check_plane(height, width, "the brush mask")
    bits = _Bits(_as_bytes(rle))
    if bits.total < _HEADER_BITS:
        raise DataError("the brush RLE is shorter than its header")
    count = bits.read(32)
    word = bits.read(5) + 1
    widths = [bits.read(4) + 1 for _ in range(4)]
    if count != 4 * height * width:
        raise DataError(f"the brush RLE holds {count} values, the {width}x{height} image "
                        f"needs {4 * height * width} (4 per pixel)")
    opaque: list[int] = []  # [first, last) pixel ranges, row-major, in stream order
    shift = max(word - 8, 0)  # keep the top 8 bits of wider words
    i = 0
    while i < count:
        repeated = bits.read(1)
        run = bits.read(widths[bits.read(2)]) + 1
        end = min(i + run, count)
        if repeated:
            if bits.read(word) >> shift >= 128:
                _add(opaque, max(-(-(i - 3) // 4), 0), -(-(end - 3) // 4))
        else:
            for k in range(i, end):
                if bits.read(word) >> shift >= 128 and k % 4 == 3:
                    _add(opaque, k // 4, k // 4 + 1)
        i = end
    return _paint(opaque, height, width)


def _add(ranges: list[int], first: int, last: int) -> None:
    if first >= last:
        return
    if ranges and ranges[-1] == first:
        ranges[-1] = last  # goes on from the previous range
    else:
        ranges += (first, last)


def _paint(ranges: list[int], height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), dtype=np.uint8, order="F")
    for first, last in zip(ranges[0::2], ranges[1::2]):
        top, left = divmod(first, width)
        bottom, right = divmod(last, width)  # the pixel past the range
        if top == bottom:
            mask[top, left:right] = 1
            continue
        mask[top, left:] = 1
        mask[top + 1:bottom, :] = 1
        if bottom < height:
            mask[bottom, :right] = 1
    return mask


class _Writer:
    """Appends big-endian bit fields; ``bytes()`` pads the last byte with zeros."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.nbits = 0

    def write(self, value: int, width: int) -> None:
        self.acc = (self.acc << width) | value
        self.nbits += width
        while self.nbits >= 8:
            self.nbits -= 8
            self.out.append((self.acc >> self.nbits) & 0xFF)
        self.acc &= (1 << self.nbits) - 1

    def getvalue(self) -> bytes:
        if self.nbits:
            return bytes(self.out) + bytes([(self.acc << (8 - self.nbits)) & 0xFF])
        return bytes(self.out)


def encode(mask: np.ndarray) -> list[int]:
    """The brush RLE (a list of byte values) of a 2-D mask, its pixels RGBA 0 or 255."""
    flat = np.asarray(mask, dtype=bool).ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    first = [0, 0] if flat.size and flat[0] else [0]
    return encode_runs(np.concatenate((first, change, [flat.size])).astype(np.int64))


def encode_rle(rle: dict[str, Any]) -> list[int]:
    """The brush RLE of a model mask, from the pixels of its box alone (a small mask of
    a huge image costs no image-sized plane)."""
    from cococonv.mask_window import row_runs

    return encode_runs(row_runs(rle))


def encode_runs(bounds: np.ndarray) -> list[int]:
    """The brush RLE of a mask given as row-major run bounds ``[0, end of the zeros, end
    of the ones, ..., pixels]`` (runs alternate, zeros first), RGBA 0 or 255."""
    out = _Writer()
    out.write(4 * int(bounds[-1]), 32)
    out.write(8 - 1, 5)
    for bits in WRITE_WIDTHS:
        out.write(bits - 1, 4)
    longest = 1 << WRITE_WIDTHS[-1]
    edges = bounds.tolist()
    for k in range(len(edges) - 1):
        value = 255 if k % 2 else 0
        left = 4 * (edges[k + 1] - edges[k])
        while left:
            run = min(left, longest)
            cls = next(c for c, bits in enumerate(WRITE_WIDTHS) if run <= 1 << bits)
            out.write(1, 1)
            out.write(cls, 2)
            out.write(run - 1, WRITE_WIDTHS[cls])
            out.write(value, 8)
            left -= run
    return list(out.getvalue())
