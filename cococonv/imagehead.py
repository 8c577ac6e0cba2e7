"""Image sizes parsed from the first bytes of PNG and JPEG files, without Pillow.

Why: an importer that reads sizes from image headers (yolo) opens thousands of files, and
``PIL.Image.open`` costs dozens of small reads and a plugin search per file. One bounded
read and this parser do the same for the usual files. The parser accepts only headers for
which Pillow's own open succeeds with the same size (every structure Pillow checks is
checked here, every chunk or segment whose Pillow handler could fail is refused); for
anything else it answers None and the caller asks Pillow, so sizes and failures stay
what Pillow gives.
"""
from __future__ import annotations

import zlib

#: Bytes read from the start of a file for :func:`header_size` (Pillow reads the rest).
HEAD_PREFIX_BYTES = 64 * 1024
#: Pillow's default MAX_IMAGE_PIXELS: above it Pillow warns or raises, so Pillow decides.
_PILLOW_QUIET_PIXELS = 89_478_485

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: (bit depth, colour type) pairs Pillow opens.
_PNG_MODES = frozenset({(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3),
                        (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6), (16, 6)})
#: Chunks Pillow parses before IDAT, with the least length its parser needs; a parsed
#: chunk not listed (iCCP, tRNS, cHRM, text, eXIf, APNG...) is left to Pillow.
_PNG_PARSED_OK = {b"PLTE": 0, b"gAMA": 4, b"sRGB": 1, b"pHYs": 9}
_PNG_PARSED_OTHER = frozenset({b"IHDR", b"IEND", b"iCCP", b"tRNS", b"cHRM", b"tEXt", b"zTXt",
                               b"iTXt", b"eXIf", b"acTL", b"fcTL", b"fdAT"})
_CID_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                       0xCE, 0xCF})
#: Segments Pillow skips or stores without parsing (DHT, DAC, DNL, DRI, DHP, EXP, COM).
_JPEG_SKIPPED = frozenset({0xC4, 0xCC, 0xDC, 0xDD, 0xDE, 0xDF, 0xFE})
_JPEG_SOS = 0xDA


def header_size(head: bytes) -> tuple[int, int] | None:
    """``(height, width)`` of a PNG or JPEG starting with ``head``, or None: another
    format, a header longer than ``head``, or anything Pillow should judge itself."""
    if head.startswith(_PNG_SIGNATURE):
        size = _png_size(head)
    elif head.startswith(b"\xff\xd8\xff"):
        size = _jpeg_size(head)
    else:
        return None
    if size is None or not (0 < size[0] and 0 < size[1]) \
            or size[0] * size[1] > _PILLOW_QUIET_PIXELS:
        return None
    return size


def _png_size(head: bytes) -> tuple[int, int] | None:
    size = None
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(head):
        length = int.from_bytes(head[pos:pos + 4], "big")
        cid = head[pos + 4:pos + 8]
        if not _CID_BYTES.issuperset(cid):
            return None
        if cid == b"IDAT":
            return size
        end = pos + 8 + length
        if end + 4 > len(head):
            return None
        data = head[pos + 8:end]
        if zlib.crc32(data, zlib.crc32(cid)) != int.from_bytes(head[end:end + 4], "big"):
            return None
        if pos == len(_PNG_SIGNATURE):  # IHDR first, once
            if cid != b"IHDR" or length != 13 or (data[8], data[9]) not in _PNG_MODES \
                    or data[11] != 0:
                return None
            size = (int.from_bytes(data[4:8], "big"), int.from_bytes(data[0:4], "big"))
        elif cid in _PNG_PARSED_OK:
            if length < _PNG_PARSED_OK[cid]:
                return None
        elif cid in _PNG_PARSED_OTHER:
            return None
        pos = end + 4
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    size = None
    seen_exif = has_dpi = False
    pos = 2
    while pos + 2 <= len(head):
        if head[pos] != 0xFF:
            return None  # junk between segments: Pillow's byte-wise scan decides
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if pos + 4 > len(head):
            return None
        length = int.from_bytes(head[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > len(head):
            return None
        data = head[pos + 4:end]
        if marker == _JPEG_SOS:
            # Pillow reads Exif only for a dpi the JFIF header did not give: left to it
            return size if not (seen_exif and not has_dpi) else None
        if marker in _JPEG_SOF:
            if len(data) < 6 or (len(data) - 6) % 3 or data[0] != 8 \
                    or data[5] not in (1, 3, 4):
                return None
            size = (int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:5], "big"))
        elif marker == 0xDB:
            if not _dqt_ok(data):
                return None
        elif 0xE0 <= marker <= 0xEF:
            verdict = _app_verdict(marker, data)
            if verdict is None:
                return None
            seen_exif |= verdict == "exif"
            has_dpi |= verdict == "dpi"
        elif marker not in _JPEG_SKIPPED:
            return None  # markers without a length, or ones Pillow rejects
        pos = end
    return None


def _dqt_ok(data: bytes) -> bool:
    """Whether Pillow's quantization-table parser accepts ``data``."""
    pos = 0
    while pos < len(data):
        pos += 1 + (64 if data[pos] < 16 else 128)
    return pos == len(data)


def _app_verdict(marker: int, data: bytes) -> str | None:
    """How an APPn segment reads for Pillow: ``"dpi"`` (a JFIF density in dots), ``"exif"``,
    ``"ok"``, or None when Pillow parses it in a way that might fail (left to Pillow)."""
    if marker == 0xE0 and data.startswith(b"JFIF"):
        if len(data) < 12:
            return None
        return "dpi" if data[7] in (1, 2) else "ok"
    if marker == 0xE1 and data.startswith(b"Exif\0\0"):
        return "exif"
    if marker == 0xE2 and data.startswith((b"ICC_PROFILE\0", b"MPF\0")):
        return None
    if marker in (0xED, 0xEE) and data.startswith((b"Photoshop 3.0\x00", b"Adobe")):
        return None
    return "ok"
