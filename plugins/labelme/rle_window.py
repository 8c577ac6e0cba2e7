"""A mask shape's patch in and out of a full-image RLE without painting the full image.

LabelMe stores only a mask's box, while the model holds an RLE of the whole image. Going
through an image-sized canvas makes a 2x2 mask in a file declaring 16384x16384 cost a
quarter of a gigabyte and two seconds, and a file of many such shapes minutes; here the
work is in the runs of the patch (or of the crop), so the declared size costs nothing.
RLE runs go down the columns (column-major), starting with a run of zeros.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cococonv import masks


def _column_pieces(starts: np.ndarray, ends: np.ndarray,
                   rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs ``[start, end)`` of a column-major stream with ``rows`` rows split where a
    column ends: the column, first row and row past the end of each piece."""
    first, last = starts // rows, (ends - 1) // rows
    spans = last - first + 1
    owner = np.repeat(np.arange(starts.size), spans)
    column = np.repeat(first, spans) + (np.arange(int(spans.sum())) -
                                        np.repeat(np.cumsum(spans) - spans, spans))
    top = np.maximum(starts[owner], column * rows) - column * rows
    bottom = np.minimum(ends[owner], (column + 1) * rows) - column * rows
    return column, top, bottom


def _ones(rle: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the runs of ones of an RLE."""
    counts = masks.counts_of(rle)
    ends = np.cumsum(counts)
    starts = ends - counts
    keep = (np.arange(ends.size) % 2 == 1) & (ends > starts)
    return starts[keep], ends[keep]


def place(patch: np.ndarray, top: int, left: int, height: int,
          width: int) -> dict[str, Any]:
    """The RLE of a ``height`` x ``width`` image holding the 0/1 ``patch`` with its
    top-left pixel at ``(top, left)``, the parts outside the image cut off."""
    r0, r1 = max(top, 0), min(top + patch.shape[0], height)
    c0, c1 = max(left, 0), min(left + patch.shape[1], width)
    bounds = [0]
    if r0 < r1 and c0 < c1:
        sub = patch[r0 - top:r1 - top, c0 - left:c1 - left]
        starts, ends = _ones(masks.encode(sub))
        if starts.size:
            column, row, row_end = _column_pieces(starts, ends, sub.shape[0])
            begin = (c0 + column) * height + r0 + row
            end = begin + (row_end - row)
            new = np.ones(begin.size, dtype=bool)
            new[1:] = begin[1:] != end[:-1]  # a run going on in the next column
            last = np.append(np.flatnonzero(new)[1:] - 1, begin.size - 1)
            bounds += np.column_stack((begin[new], end[last])).ravel().tolist()
    if bounds[-1] != height * width or len(bounds) == 1:
        bounds.append(height * width)  # the last run of zeros (none when ones end it)
    return masks.from_counts(np.diff(np.asarray(bounds, dtype=np.int64)), height, width)


def window(rle: dict[str, Any], top: int, left: int, bottom: int,
           right: int) -> np.ndarray:
    """The 0/1 uint8 pixels of rows ``top..bottom`` and columns ``left..right``
    (inclusive) of an RLE, decoded from its runs alone."""
    height = int(rle["size"][0])
    rows, cols = bottom - top + 1, right - left + 1
    steps = np.zeros(rows * cols + 1, dtype=np.int32)
    starts, ends = _ones(rle)
    if starts.size:
        column, row, row_end = _column_pieces(starts, ends, height)
        row, row_end = np.maximum(row, top), np.minimum(row_end, bottom + 1)
        keep = (column >= left) & (column <= right) & (row < row_end)
        base = (column[keep] - left) * rows - top
        np.add.at(steps, base + row[keep], 1)
        np.add.at(steps, base + row_end[keep], -1)
    flat = np.cumsum(steps[:-1], dtype=np.int32).astype(np.uint8)
    return flat.reshape((rows, cols), order="F")
