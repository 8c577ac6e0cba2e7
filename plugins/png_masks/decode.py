"""Mask PNG bytes to a plane of mask values (uint8 or uint16), and a plane to RLEs.

Index PNGs (palette or grayscale, 1/8/16-bit) are read by value; RGB(A) PNGs by colour,
through the colour map (a colour outside it is an error naming the first pixel that has
it). The common 8-bit case is ``cococonv.raster.png``'s fast reader, the rest Pillow's;
RLEs come from ``cococonv.raster.runs`` (its compiled helper when built).
"""
from __future__ import annotations

from typing import Any

from cococonv.errors import DataError
from cococonv.raster.png import decode_mask_png
from cococonv.raster.runs import Runs, sorted_unique


def read_plane(data: bytes, display: str, colors: dict[int, int] | None,
               map_name: str) -> Any:
    """The ``(h, w)`` plane of mask values of a PNG; RGB pixels are looked up in
    ``colors`` (packed ``0xRRGGBB`` -> value, -1 for void), which ``map_name`` names in
    messages. Void RGB pixels come back as -1 in an int32 plane."""
    pixels = decode_mask_png(data, display, _by_mode)
    if pixels.ndim == 2:
        return pixels
    return _by_colour(pixels, display, colors, map_name)


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
    return np.asarray(image.convert("RGB"), dtype=np.uint32)


def _by_colour(rgb: Any, display: str, colors: dict[int, int] | None, map_name: str) -> Any:
    import numpy as np

    if not colors:
        raise DataError("an RGB mask needs a colour map (labelmap.txt, class_dict.csv or "
                        "labelmap.json beside the masks) to tell its classes",
                        file=display)
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    unique, inverse = np.unique(codes, return_inverse=True)
    lookup = np.zeros(len(unique), dtype=np.int32)
    for position, code in enumerate(unique.tolist()):
        value = colors.get(code)
        if value is None:
            x, y = first_pixel(codes, code)
            color = ((code >> 16) & 255, (code >> 8) & 255, code & 255)
            raise DataError(f"colour {color} at x={x} y={y} is not in {map_name}",
                            file=display)
        lookup[position] = value
    return lookup[inverse].reshape(codes.shape)


def first_pixel(plane: Any, value: int) -> tuple[int, int]:
    """``(x, y)`` of the first pixel (row by row) holding ``value``."""
    import numpy as np

    y, x = divmod(int(np.argmax(plane.reshape(-1) == value)), plane.shape[1])
    return x, y


def value_rles(plane: Any) -> dict[int, dict]:
    """Value -> compressed RLE of its pixels, for every value of the plane (uint8, uint16
    or int32 with -1 for void; -1 comes back as key -1)."""
    import numpy as np

    if plane.dtype == np.uint8:
        runs = Runs(plane, None)
        offset = 0
    else:
        # two byte planes: Runs' (instance, class) code of a pixel is then its 16-bit value
        shifted = plane.astype(np.int64) + 1 if plane.dtype == np.int32 else plane
        offset = 1 if plane.dtype == np.int32 else 0
        if int(shifted.max(initial=0)) > 65535:
            raise DataError("mask values past 16 bits (65535 and void)")
        wide = shifted.astype(np.uint16, copy=False)
        del shifted
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
