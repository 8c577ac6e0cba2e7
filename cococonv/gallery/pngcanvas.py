"""The picture an item's overlay is drawn on: its image scaled to the canvas, or a neutral
canvas of the item's size when the image cannot be shown.

Annotations are in the coordinates of the item's declared size (``Item.image.size``), else
of the image file's, else of the smallest box holding them. The canvas is that size scaled
down to at most MAX_CANVAS_SIDE pixels a side, so a claimed size of 10^6 x 10^6 costs what
a 4096 x 4096 canvas costs. An image beyond MAX_MASK_PIXELS is not decoded at all; a JPEG
is decoded at the reduced size Pillow's ``draft`` gives, never above what the canvas needs.
"""
from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import CococonvError
from ..images import is_image_head
from ..limits import MAX_MASK_PIXELS, use_our_pixel_limit
from ..localfs import open_regular
from ..model import MAX_IMAGE_SIDE, Bbox, Ellipse, Item, Mask, Points, Polygon, Polyline

#: The longest side of a canvas in pixels; larger items are drawn scaled down.
MAX_CANVAS_SIDE = 4096
#: A canvas whose longer side is below this is drawn enlarged by a whole factor (a 5x10
#: test image would show nothing); pixels stay squares.
MIN_CANVAS_SIDE = 256
#: The colour of a canvas without its image (mid grey: every label colour shows on it).
NEUTRAL = (112, 112, 112)
#: The side of a canvas when neither the item, its image nor its annotations give a size.
DEFAULT_SIDE = 256

#: The formats an image is decoded from: the raster formats datasets use. Not EPS and
#: the like, which Pillow hands to Ghostscript, an interpreter, to decode.
DECODED_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "PPM", "TGA", "ICO",
                   "MPO", "JPEG2000")
#: Why an image is not shown, as the report says it (the canvas is neutral instead).
MISSING = "image file missing: drawn on a neutral canvas"
UNREADABLE = "image file not readable as an image: drawn on a neutral canvas"
TOO_LARGE = (f"image file above {MAX_MASK_PIXELS} pixels, not decoded: drawn on a neutral "
             f"canvas (docs/limits.md)")


@dataclass(slots=True)
class Frame:
    """The coordinate space (``height`` x ``width`` image pixels) and the canvas it maps to
    at ``scale`` (canvas pixels per image pixel: at most 1, or a whole number for a small
    image)."""

    height: int
    width: int
    scale: float
    canvas: tuple[int, int]  # (width, height), as Pillow gives sizes


def open_image(item: Item) -> tuple[Any, str | None]:
    """The item's image opened by Pillow (pixels not decoded yet), or None and why not."""
    image = item.image
    if image is None or not image.has_data:
        return None, MISSING
    from PIL import Image as PILImage

    use_our_pixel_limit(PILImage)
    try:
        if image.path is not None:
            with open_regular(image.path, image.name) as fh:
                data = fh.read()
        else:
            data = image.read_bytes()
    except (OSError, CococonvError):  # gone, not a regular file, an unreadable zip member
        return None, MISSING
    try:
        if not is_image_head(data[:16], io.BytesIO(data)):
            return None, UNREADABLE
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            opened = PILImage.open(io.BytesIO(data), formats=DECODED_FORMATS)
    except _PIL_ERRORS + (PILImage.DecompressionBombError,):
        return None, UNREADABLE
    width, height = opened.size
    if width * height > MAX_MASK_PIXELS:
        opened.close()
        return None, TOO_LARGE
    return opened, None


def frame_for(item: Item, opened: Any) -> tuple[Frame, bool]:
    """The item's frame, and whether its size was guessed from the annotations."""
    size = item.image.size if item.image is not None else None
    guessed = False
    if not _usable(size):
        size = (opened.size[1], opened.size[0]) if opened is not None else None
    if not _usable(size):
        size, guessed = _extent(item), True
    height, width = size  # type: ignore[misc]
    longer = max(height, width)
    scale = min(1.0, MAX_CANVAS_SIDE / longer) if longer >= MIN_CANVAS_SIDE else \
        float(MIN_CANVAS_SIDE // longer)
    canvas = (max(1, round(width * scale)), max(1, round(height * scale)))
    return Frame(height, width, scale, canvas), guessed


def pixels(opened: Any, frame: Frame) -> tuple[Any, str | None]:
    """The RGBA picture of ``frame.canvas`` size: the image's pixels, else the neutral
    canvas (and why: the image would not decode)."""
    from PIL import Image as PILImage

    if opened is not None:
        try:
            with opened, warnings.catch_warnings():
                warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
                if opened.format == "JPEG":
                    opened.draft("RGB", frame.canvas)
                picture = opened.convert("RGB")
                if picture.size != frame.canvas and frame.scale > 1:
                    picture = picture.resize(frame.canvas, PILImage.Resampling.NEAREST)
                elif picture.size != frame.canvas:
                    picture = picture.resize(frame.canvas, PILImage.Resampling.BILINEAR,
                                             reducing_gap=2.0)
                return picture.convert("RGBA"), None
        except _PIL_ERRORS + (PILImage.DecompressionBombError,):
            return PILImage.new("RGBA", frame.canvas, NEUTRAL + (255,)), UNREADABLE
    return PILImage.new("RGBA", frame.canvas, NEUTRAL + (255,)), None


# What Pillow raises for a corrupt or unsupported file.
_PIL_ERRORS: tuple[type[BaseException], ...] = (OSError, SyntaxError, ValueError, EOFError,
                                                IndexError, KeyError, struct.error)


def _usable(size: Any) -> bool:
    return (isinstance(size, tuple) and len(size) == 2 and
            all(type(v) is int and 0 < v <= MAX_IMAGE_SIDE for v in size))


def _extent(item: Item) -> tuple[int, int]:
    """The smallest size from the origin holding every annotation (finite values only),
    within 1..MAX_IMAGE_SIDE, DEFAULT_SIDE a side when nothing gives one."""
    xs: list[float] = []
    ys: list[float] = []
    for ann in item.annotations:
        if isinstance(ann, Bbox):
            xs.append(ann.x + ann.w)
            ys.append(ann.y + ann.h)
        elif isinstance(ann, (Polygon, Polyline, Points)):
            xs.extend(ann.points[0::2])
            ys.extend(ann.points[1::2])
        elif isinstance(ann, Ellipse):
            xs.append(ann.cx + abs(ann.rx))
            ys.append(ann.cy + abs(ann.ry))
        elif isinstance(ann, Mask) and isinstance(ann.rle.get("size"), list) \
                and len(ann.rle["size"]) == 2:
            ys.append(ann.rle["size"][0])
            xs.append(ann.rle["size"][1])
    return _side(ys), _side(xs)


def _side(values: list[Any]) -> int:
    finite = [v for v in values if type(v) in (int, float) and math.isfinite(v) and v > 0]
    if not finite:
        return DEFAULT_SIDE
    return max(1, min(MAX_IMAGE_SIDE, math.ceil(max(finite)) + 1))  # + 1: the edge pixel
