"""8-bit index PNGs (class and instance masks, as VOC keeps them): a fast writer and reader,
and the checked reading of any other mask PNG through Pillow (decode_mask_png).

Both stay out of PIL for the common case because PIL's PNG codec costs several times the
work itself: masks are written with one deflate pass over the scanlines, and read with one
inflate call when the PNG is a plain 8-bit palette or grayscale image. The deflate is the
compiled label-image encoder (``_fastpng.c``: runs and repeats of the row above,
~0.1 ms and ~4 KB for 640x480) when it is built, else zlib-ng's run-length strategy
(~0.15 ms, a few % bigger).
zlib-ng is a dependency (its inflate is ~3x the stdlib's on these files); the stdlib zlib is
used when it is missing, with the same output bytes apart from compression choices.
"""
from __future__ import annotations

import functools
import io
import struct
import warnings
from collections.abc import Callable
from typing import Any

from . import speedups

try:
    from zlib_ng import zlib_ng as zlib
except ImportError:  # pragma: no cover - zlib-ng is a declared dependency
    import zlib  # type: ignore[no-redef]

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


_END = _chunk(b"IEND", b"")


def encode_index_png(scanlines: bytes, height: int, width: int,
                     palette: bytes | None) -> bytes:
    """An 8-bit palette PNG (grayscale when ``palette`` is None) from its raw scanlines:
    ``height`` rows of a filter byte (0) and ``width`` index bytes."""
    if len(scanlines) != height * (width + 1):
        raise ValueError(f"expected {height * (width + 1)} scanline bytes, got {len(scanlines)}")
    data = _deflate(scanlines, height, width)
    head = _head(height, width, palette) if palette is None or type(palette) is bytes \
        else _head.__wrapped__(height, width, palette)  # a bytearray cannot be a cache key
    return head + _chunk(b"IDAT", data) + _END


@functools.lru_cache(maxsize=64)
def _head(height: int, width: int, palette: bytes | None) -> bytes:
    """Signature, IHDR and PLTE: the same for every mask of one size and palette (a
    dataset has a few), so their CRCs are computed once."""
    kind = 3 if palette is not None else 0
    head = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
    return SIGNATURE + head + (_chunk(b"PLTE", palette) if palette is not None else b"")


def _deflate(scanlines: bytes, height: int, width: int) -> bytes:
    """The zlib stream of the scanlines: by the compiled encoder when it is built and the
    picture is a label image (at most one symbol per 8 bytes), else by zlib-ng."""
    fast = speedups.fastpng()
    if fast is not None:
        raw = fast.deflate_rows(scanlines, height, width, len(scanlines) // 8)
        if raw is not None:
            # zlib header: deflate, 32 KiB window, no dictionary, check bits
            return b"\x78\x01" + raw + struct.pack(">I", zlib.adler32(scanlines))
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    return packer.compress(scanlines) + packer.flush()


def decode_plain_png(data: bytes) -> Any:
    """The ``(h, w + 1)`` uint8 scanlines (filter byte first) of an 8-bit palette or
    grayscale, non-interlaced PNG whose rows all use filter 0 (what cococonv and most
    tools write for masks); None for anything else (PIL then reads it, or says what is
    wrong)."""
    import numpy as np

    if data[:8] != SIGNATURE:
        return None
    pos, size, idat = 8, len(data), []
    header = None
    palette = False
    while pos + 12 <= size:
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if end + 4 > size:
            return None
        if zlib.crc32(data[pos + 4:end]) & 0xFFFFFFFF != struct.unpack_from(">I", data, end)[0]:
            return None
        if header is None:
            if kind != b"IHDR" or length != 13:
                return None
            header = struct.unpack(">IIBBBBB", data[pos + 8:end])
        elif kind == b"IDAT":
            idat.append(data[pos + 8:end])
        elif kind == b"IEND":
            break
        elif kind == b"PLTE":
            palette = True
        elif not kind[:1].islower():
            return None  # an unknown critical chunk
        pos = end + 4
    else:
        return None
    if header is None or not idat:
        return None
    width, height, depth, color, compression, filtering, interlace = header
    if depth != 8 or color not in (0, 3) or compression or filtering or interlace or \
            not width or not height or (color == 3 and not palette):
        return None
    expected = height * (width + 1)
    try:
        # sized up front (no regrowth) unless the header claims more than 64 MiB
        raw = zlib.decompress(b"".join(idat), 15, expected + 1 if expected < 1 << 26
                              else 1 << 14)
    except zlib.error:
        return None
    if len(raw) != expected:
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, width + 1)
    if rows[:, 0].any():
        return None
    return rows


def decode_mask_png(data: bytes, display: str, convert: Callable[[Any], Any]) -> Any:
    """A mask PNG's pixels: the ``(h, w)`` uint8 plane of a plain 8-bit palette or
    grayscale PNG (:func:`decode_plain_png`), else ``convert(image)`` of the Pillow image,
    loaded within cococonv's pixel limit (checked from the header before anything is
    decoded). A PNG that cannot be read, or a DataError ``convert`` raises, is one
    DataError naming ``display``."""
    from cococonv.errors import DataError
    from cococonv.limits import check_plane, check_png_header, use_our_pixel_limit

    try:
        check_png_header(data)
    except DataError as err:
        raise err.located(file=display) from None
    rows = decode_plain_png(data)
    if rows is not None:
        return rows[:, 1:]
    from PIL import Image as PILImage  # here: a worker reading plain PNGs never needs it

    use_our_pixel_limit(PILImage)
    try:
        with warnings.catch_warnings():
            # our own pixel limit applies (checked above and below), not Pillow's warning
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as image:
                width, height = image.size
                check_plane(height, width, "the mask image")
                image.load()
                return convert(image)
    except DataError as err:
        raise err.located(file=display) from None
    except PILImage.UnidentifiedImageError:
        raise DataError("cannot read the PNG (not an image Pillow knows)",
                        file=display) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error,
            PILImage.DecompressionBombError) as exc:
        # what Pillow raises for a corrupt file: SyntaxError "broken PNG file", zlib errors
        raise DataError(f"cannot read the PNG ({exc})", file=display) from None
