"""CVAT's mask RLE <-> COCO RLE.

CVAT writes a ``<mask>`` as run lengths over its own box (``left``, ``top``, ``width``,
``height``), row-major, starting with a run of zeros: ``rle="3, 2, 5"``. COCO RLE runs over
the whole image column-major. The conversion goes through a numpy array and
``cococonv.masks`` (the only module that talks to pycocotools).
"""
from __future__ import annotations

from typing import Any

from cococonv.limits import LimitError, check_plane


class RleError(ValueError):
    """The ``rle`` text is unreadable or does not cover its box."""


def parse_counts(text: str) -> list[int]:
    """Run lengths from CVAT's comma-separated text (spaces allowed)."""
    try:
        runs = [int(part) for part in text.split(",")] if text.strip() else []
    except ValueError:
        raise RleError("rle must be comma-separated whole numbers") from None
    if any(run < 0 for run in runs):
        raise RleError("rle run lengths must not be negative")
    return runs


def to_coco(runs: list[int], left: int, top: int, width: int, height: int,
            image_height: int, image_width: int) -> tuple[dict[str, Any], bool]:
    """A compressed COCO RLE over the image; the flag says the box had to be clipped."""
    import numpy as np

    from cococonv import masks

    for rows, columns, what in ((height, width, "the mask's box"),
                                (image_height, image_width, "the mask over its image")):
        try:
            check_plane(rows, columns, what)  # both are painted as pixels here
        except LimitError as exc:
            raise RleError(exc.message) from None
    total = sum(runs)
    if total != width * height:
        raise RleError(f"rle runs sum to {total}, expected width*height = {width * height}")
    values = np.zeros(len(runs), dtype=np.uint8)
    values[1::2] = 1
    box = np.repeat(values, runs).reshape(height, width)
    canvas = np.zeros((image_height, image_width), dtype=np.uint8)
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + width, image_width), min(top + height, image_height)
    clipped = (x0, y0, x1, y1) != (left, top, left + width, top + height)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = box[y0 - top:y1 - top, x0 - left:x1 - left]
    if clipped and box.sum() == canvas.sum():
        clipped = False  # only empty margins fell outside
    return masks.encode(canvas), clipped


def from_coco(rle: dict[str, Any], keep_box: list[int] | None = None
              ) -> tuple[str, int, int, int, int] | None:
    """CVAT ``(rle, left, top, width, height)`` of a mask, over its tight box.

    ``keep_box`` (the box the source used) is reused when it still holds the whole mask, so
    a CVAT -> CVAT run writes the same runs. None for an empty mask.
    """
    import numpy as np

    from cococonv import masks

    array = masks.decode(rle)
    x, y, w, h = (int(v) for v in masks.bbox(rle))
    if w == 0 or h == 0:
        return None
    if keep_box is not None and len(keep_box) == 4:
        kl, kt, kw, kh = keep_box
        if (0 <= kl <= x and 0 <= kt <= y and x + w <= kl + kw and y + h <= kt + kh
                and kl + kw <= array.shape[1] and kt + kh <= array.shape[0]):
            x, y, w, h = kl, kt, kw, kh
    flat = np.ascontiguousarray(array[y:y + h, x:x + w]).ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0] == 1:
        runs.insert(0, 0)
    return ", ".join(map(str, runs)), x, y, w, h
