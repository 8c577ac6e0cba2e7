"""Mask PNG bytes to a plane of mask values (uint8 or uint16), and a plane to RLEs.

Index PNGs (palette or grayscale, 1/8/16-bit) are read by value; RGB(A) PNGs by colour,
through the colour map (a colour outside it is an error naming the first pixel that has
it). The common 8-bit case is ``cococonv.raster.png``'s fast reader, the rest Pillow's;
RLEs come from ``cococonv.raster.runs`` (its compiled helper when built). A 16-bit PNG's
pixels and a plane's runs have their own bounds (MAX_WIDE_PIXELS, MAX_RUNS), so a small
file cannot ask for gigabytes.
"""
from __future__ import annotations

import struct
from typing import Any

from cococonv.errors import DataError
from cococonv.raster.png import decode_mask_png
from cococonv.raster.runs import Runs, sorted_unique


def read_plane(data: bytes, display: str, colors: dict[int, int] | None,
               map_name: str) -> Any:
    """The ``(h, w)`` plane of mask values of a PNG; RGB pixels are looked up in
    ``colors`` (packed ``0xRRGGBB`` -> value, -1 for void), which ``map_name`` names in
    messages. Void RGB pixels come back as -1 in an int32 plane."""
    check_wide_png(data, display)
    pixels = decode_mask_png(data, display, _by_mode)
    if pixels.dtype.itemsize < 4:  # an index plane (uint8, uint16), not colour codes
        return pixels
    return _by_colour(pixels, display, colors, map_name)


#: The most pixels of a 16-bit mask PNG: Pillow's decode buffer, numpy's copy of it and the
#: two byte planes hold 6 bytes a pixel at once (384 MiB at 8192 x 8192), where an 8-bit
#: PNG, read by cococonv's own reader, holds one plane of 1 byte a pixel.
MAX_WIDE_PIXELS = 1 << 26

#: The most runs (column by column, a run per stretch of equal pixels) of one mask plane:
#: the runs and their RLEs cost about 50 bytes each (200 MiB here), and a few hundred
#: bytes of PNG can give one per pixel. Real masks have far fewer (a 2048 x 1024
#: Cityscapes mask some 10^5).
MAX_RUNS = 1 << 22


#: The most pixels of an RGB(A) mask PNG: Pillow's buffer, the packed colour codes and the
#: int32 value plane (codes packed and looked up a block of rows at a time) peak at some
#: 10 bytes a pixel, measured on 4096 x 4096 RGB and RGBA masks (50 when the colour planes
#: were copied whole and np.unique sorted every pixel): about 1.3 GiB at 2^27 pixels
#: (16384 x 8192), less than the old 2^26 limit cost; without a limit a 1 MB PNG of
#: 65536 x 65536 could cost 40 GiB.
MAX_COLOUR_PIXELS = 1 << 27

#: PNG colour types read by colour (truecolour, truecolour with alpha), not by index.
_COLOUR_TYPES = (2, 6)


def check_wide_png(data: bytes, display: str) -> None:
    """DataError when a 16-bit or RGB(A) PNG's header claims more pixels than its budget
    (MAX_WIDE_PIXELS, MAX_COLOUR_PIXELS), before Pillow allocates its buffer."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 26:
        return
    width, height = struct.unpack_from(">II", data, 16)
    for applies, limit, kind in ((data[25] in _COLOUR_TYPES, MAX_COLOUR_PIXELS, "RGB"),
                                 (data[24] == 16, MAX_WIDE_PIXELS, "16-bit")):
        if applies and width * height > limit:
            raise DataError(f"the {kind} mask PNG would be {width}x{height} = "
                            f"{width * height} pixels (width x height), above the limit of "
                            f"{limit} for {kind} masks (docs/limits.md)", file=display)


def check_runs(plane: Any) -> None:
    """DataError when the plane has more than MAX_RUNS runs, counted a block of rows at a
    time before any run is kept (a run starts at the top of each column and wherever a
    pixel differs from the one above, as ``Runs`` finds them)."""
    import numpy as np

    height, width = plane.shape
    runs = width if height else 0
    step = max(1, (1 << 22) // max(width, 1))
    for top in range(0, max(height - 1, 0), step):
        bottom = min(top + step, height - 1)
        runs += int(np.count_nonzero(plane[top + 1:bottom + 1] != plane[top:bottom]))
        if runs > MAX_RUNS:
            raise DataError(f"the {width}x{height} mask has more than {MAX_RUNS} runs "
                            f"of equal pixels (column by column), the most a mask may have "
                            f"(docs/limits.md)")


def _by_mode(image: Any) -> Any:
    """The value plane of an index image (1-, 8- or 16-bit), or an RGB(A) image's
    ``(h, w, 3)`` colours."""
    import numpy as np

    mode = image.mode
    if mode in ("P", "L", "1"):
        return np.asarray(image.convert("L") if mode == "1" else image, dtype=np.uint8)
    if mode.startswith("I"):
        plane = np.asarray(image)
        if plane.size and (plane.min() < 0 or plane.max() > 65535):
            raise DataError(f"mask values {int(plane.min())}-{int(plane.max())} are not "
                            f"16-bit")
        return plane.astype(np.uint16, copy=False)  # a 16-bit PNG's plane is one already
    if mode in ("LA", "PA"):
        return np.asarray(image.getchannel(0), dtype=np.uint8)
    if mode not in ("RGB", "RGBA"):
        raise DataError(f"unsupported PNG mode {mode} (expected palette, grayscale or RGB)")
    return _packed(image)


#: Rows of an RGB(A) mask turned into colour codes (or looked up) at a time: the
#: temporaries of one block, not of the whole image.
_BLOCK_PIXELS = 1 << 20


def _packed(image: Any) -> Any:
    """The ``(h, w)`` uint32 plane of ``0xRRGGBB`` codes of an RGB(A) image, packed a block
    of rows at a time from Pillow's bytes: 4 bytes a pixel beside Pillow's buffer (its
    (h, w, 3) uint32 copy and the shifted temporaries cost 24)."""
    import numpy as np

    width, height = image.size
    codes = np.empty((height, width), dtype=np.uint32)
    step = max(1, _BLOCK_PIXELS // max(width, 1))
    for top in range(0, height, step):
        rows = image.crop((0, top, width, min(top + step, height)))
        block = np.asarray(rows.convert("RGB") if rows.mode != "RGB" else rows,
                           dtype=np.uint8)
        out = codes[top:top + block.shape[0]]
        np.copyto(out, block[..., 0])
        out <<= 8
        out |= block[..., 1]
        out <<= 8
        out |= block[..., 2]
    return codes


def _by_colour(codes: Any, display: str, colors: dict[int, int] | None, map_name: str) -> Any:
    """The int32 value plane of a plane of colour codes, through the map: a binary search
    among the map's (few) colours a block at a time, so the cost is the output plane,
    not np.unique's sort and inverse of every pixel (they took some 20 bytes a pixel)."""
    import numpy as np

    if not colors:
        raise DataError("an RGB mask needs a colour map (labelmap.txt, class_dict.csv or "
                        "labelmap.json beside the masks) to tell its classes",
                        file=display)
    keys = np.array(sorted(colors), dtype=np.uint32)
    values = np.array([colors[int(k)] for k in keys], dtype=np.int32)
    flat = codes.reshape(-1)
    out = np.empty(flat.shape, dtype=np.int32)
    for start in range(0, flat.size, _BLOCK_PIXELS):
        block = flat[start:start + _BLOCK_PIXELS]
        at = np.minimum(np.searchsorted(keys, block), len(keys) - 1)
        missing = keys[at] != block
        if missing.any():
            code = int(block[int(np.argmax(missing))])
            x, y = first_pixel(codes, code)
            color = ((code >> 16) & 255, (code >> 8) & 255, code & 255)
            raise DataError(f"colour {color} at x={x} y={y} is not in {map_name}",
                            file=display)
        out[start:start + block.size] = values[at]
    return out.reshape(codes.shape)


def first_pixel(plane: Any, value: int) -> tuple[int, int]:
    """``(x, y)`` of the first pixel (row by row) holding ``value``."""
    import numpy as np

    y, x = divmod(int(np.argmax(plane.reshape(-1) == value)), plane.shape[1])
    return x, y


def value_rles(plane: Any) -> dict[int, dict]:
    """Value -> compressed RLE of its pixels, for every value of the plane (uint8, uint16
    or int32 with -1 for void; -1 comes back as key -1)."""
    import numpy as np

    check_runs(plane)
    if plane.dtype == np.uint8:
        runs = Runs(plane, None)
        offset = 0
    else:
        # two byte planes: Runs' (instance, class) code of a pixel is then its 16-bit value
        offset = 1 if plane.dtype == np.int32 else 0
        if offset:
            # void (-1) and values up to 65534 as value + 1 in 16 bits, made in place of
            # one uint16 plane (an int64 copy of the plane cost 16 bytes a pixel)
            if plane.size and int(plane.max()) > 65534:
                raise DataError("mask values past 16 bits (65535 and void)")
            wide = np.empty(plane.shape, dtype=np.uint16)
            np.add(plane, 1, out=wide, casting="unsafe")
        else:
            wide = plane
        runs = Runs(_byte_plane(wide, 0), _byte_plane(wide, 8))
    codes = sorted_unique(runs.values).tolist()
    return {code - offset: rle for code, rle in zip(codes, runs.rles_of_codes(codes))}


def _byte_plane(wide: Any, shift: int) -> Any:
    """The low (``shift`` 0) or high (8) byte of a uint16 plane as a uint8 plane, made a
    block of rows at a time: no 16-bit temporary of the whole plane."""
    import numpy as np

    out = np.empty(wide.shape, dtype=np.uint8)
    step = max(1, (1 << 22) // max(wide.shape[1], 1))
    for top in range(0, wide.shape[0], step):
        np.right_shift(wide[top:top + step], shift, out=out[top:top + step],
                       casting="unsafe")
    return out
