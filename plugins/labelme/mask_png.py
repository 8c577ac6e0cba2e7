"""LabelMe's mask shapes: a base64 PNG of the box region, placed by the shape's two points.

LabelMe stores a mask as the pixels of its box only (``points`` = the top-left and the
bottom-right pixel, both inclusive, as whole numbers) and a PNG whose non-zero pixels are
the mask. The model holds a full-image RLE, so reading places the patch on an image-sized
canvas and writing crops the mask to its tight box. The PNG header is checked against the
pixel limit before anything is decoded (docs/limits.md).
"""
from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import check_plane, check_png_header, use_our_pixel_limit


#: base64 characters decoded at a time when an embedded image is only checked.
CHUNK_CHARS = 1 << 20


def decode_base64(text: Any, what: str) -> bytes:
    """The bytes of a base64 string (line breaks allowed, as ``base64.encodebytes``
    writes them); DataError naming ``what`` when it is none."""
    return b"".join(iter_base64(text, what))


def iter_base64(text: Any, what: str):
    """The bytes of a base64 string, CHUNK_CHARS characters at a time, so a large embedded
    image is checked (and its header read from the first piece) in bounded memory."""
    if not isinstance(text, str):
        raise DataError(f"{what} must be a base64 string, got {type(text).__name__}")
    carry = ""
    try:
        for start in range(0, max(len(text), 1), CHUNK_CHARS):
            piece = carry + "".join(text[start:start + CHUNK_CHARS].split())
            last = start + CHUNK_CHARS >= len(text)
            cut = len(piece) if last else len(piece) - len(piece) % 4
            carry = piece[cut:]
            yield base64.b64decode(piece[:cut], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataError(f"{what} is not valid base64 ({exc})") from None


def mask_to_rle(text: Any, corners: list[float], height: int,
                width: int) -> tuple[dict[str, Any], list[int]]:
    """The full-image RLE of a mask shape: its PNG (base64 ``text``) placed at ``corners``
    (``[x1, y1, x2, y2]``) on a ``height`` x ``width`` canvas, clipped to it; and the
    patch's pixel box ``[left, top, right, bottom]`` (inclusive). Whole-number corners
    give the patch's extent (LabelMe checks it against the PNG); fractional ones only its
    top-left pixel, rounded, as LabelMe places them."""
    from cococonv.mask_window import place

    patch = _patch(decode_base64(text, "mask"))
    check_plane(height, width, "the image of a mask shape")
    x1, y1, x2, y2 = corners
    left, top = round(x1), round(y1)
    if all(float(v).is_integer() for v in corners):
        rows, cols = round(y2) - top + 1, round(x2) - left + 1
        if rows != patch.shape[0] or cols != patch.shape[1]:
            raise DataError(f"the mask PNG is {patch.shape[1]}x{patch.shape[0]} pixels but "
                            f"its points span {cols}x{rows}")
    box = [left, top, left + patch.shape[1] - 1, top + patch.shape[0] - 1]
    return place(patch, top, left, height, width), box


def _patch(data: bytes) -> Any:
    """The 0/1 array of a mask PNG (any non-zero pixel is in the mask)."""
    import numpy as np
    from PIL import Image as PILImage

    check_png_header(data, "the mask PNG")
    use_our_pixel_limit(PILImage)
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            check_plane(height, width, "the mask PNG")
            array = np.asarray(opened)
    except DataError:
        raise
    except PILImage.UnidentifiedImageError:  # its message names a Python object
        raise DataError("the mask is not an image (no PNG or other known header)") from None
    except Exception as exc:  # Pillow raises many types for a corrupt file
        raise DataError(f"the mask is not a readable image ({exc})") from None
    if array.ndim == 3:
        array = array.any(axis=2)
    if array.ndim != 2:
        raise DataError("the mask PNG is not a 2-D image")
    return (array != 0).astype(np.uint8)


def rle_to_mask(rle: dict[str, Any], kept: Any = None) -> tuple[list[float], str] | None:
    """The mask-shape form of an RLE: its box corners (inclusive pixels) and the base64 PNG
    of the box region (0/1 grayscale, as LabelMe writes it); None for an empty mask. The
    box is the mask's tight one; or, when the mask lies inside the patch it was read from
    (``kept``: ``{"points": corners, "box": [left, top, right, bottom]}``), that patch
    and those corners, so a LabelMe -> LabelMe run writes the same shape."""
    import numpy as np
    from PIL import Image as PILImage

    from cococonv import masks

    from cococonv.mask_window import window

    x, y, w, h = (int(v) for v in masks.bbox(rle))
    if w == 0 or h == 0:
        return None
    height, width = (int(v) for v in rle["size"])
    top, bottom, left, right = y, y + h - 1, x, x + w - 1
    corners = [float(left), float(top), float(right), float(bottom)]
    box = kept.get("box") if isinstance(kept, dict) else None
    if isinstance(box, list) and len(box) == 4 and all(type(v) is int for v in box):
        x1, y1, x2, y2 = box
        if 0 <= x1 <= left and 0 <= y1 <= top and right <= x2 < width and \
                bottom <= y2 < height:
            left, top, right, bottom = box
            corners = list(kept["points"])
    crop = np.ascontiguousarray(window(rle, top, left, bottom, right))
    buffer = io.BytesIO()
    PILImage.fromarray(crop).save(buffer, "PNG")
    text = base64.b64encode(buffer.getvalue()).decode("ascii")
    return corners, text

