"""Where the page finds each item's picture: a relative, URL-encoded path from the HTML file
to the image (the file is never copied or touched), or with ``--embed-images`` a downscaled
JPEG thumbnail inlined as a data URI so the page can be mailed on its own."""
from __future__ import annotations

import base64
import io
import os
from urllib.parse import quote

from ..limits import MAX_MASK_PIXELS
from ..model import Item

#: The longest side of an embedded thumbnail, in pixels, and its JPEG quality: about 15-40 KB
#: a picture, enough for the grid and a readable (if soft) large view.
THUMB_SIDE = 384
THUMB_QUALITY = 80


def relative_url(path: str, html_folder: str) -> str:
    """``path`` as a URL relative to the folder holding the HTML file."""
    target = os.path.abspath(path)
    try:
        rel = os.path.relpath(target, html_folder)
    except ValueError:  # another Windows drive: only an absolute file URL reaches it
        return "file:///" + quote(target.replace(os.sep, "/").lstrip("/"))
    return quote(rel.replace(os.sep, "/"))


def thumbnail_uri(data: bytes) -> tuple[str, tuple[int, int]]:
    """A ``data:image/jpeg`` URI of the picture downscaled to THUMB_SIDE, and the picture's
    own ``(width, height)``; ValueError when Pillow cannot read it or it claims more than
    MAX_MASK_PIXELS pixels."""
    from PIL import Image as PILImage, UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_MASK_PIXELS:
                raise ValueError(f"{width}x{height} pixels is above {MAX_MASK_PIXELS}")
            if opened.format == "JPEG":
                opened.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # decode at 1/2-1/8 scale
            picture = opened.convert("RGB")
    except (OSError, UnidentifiedImageError, PILImage.DecompressionBombError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    picture.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=THUMB_QUALITY)
    return ("data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii"),
            (width, height))


Picture = tuple[str | None, str | None, tuple[int, int] | None]


def picture_of(item: Item, html_folder: str, embed: bool) -> Picture:
    """``(src, problem, size)``: the picture's address for the page (or None and why not),
    and its ``(width, height)`` when an embedded thumbnail was made of it."""
    image = item.image
    if image is None or not image.has_data:
        return None, "no image file", None
    if not embed:
        if image.path is None:
            return None, "image inside an archive (use --embed-images)", None
        if not os.path.isfile(image.path):
            return None, "image file missing", None
        return relative_url(image.path, html_folder), None, None
    try:
        data = image.read_bytes()
    except OSError:
        return None, "image file missing", None
    try:
        uri, size = thumbnail_uri(data)
    except ValueError:
        return None, "image not readable", None
    return uri, None, size
