"""A window of a full-image RLE in and out without painting the full image.

Formats that store a mask as the pixels of its box (LabelMe's mask shapes) or as runs
in row order (Label Studio's brush) meet the model's RLE of the whole image. Going
through an image-sized plane makes a 2x2 mask of a 16384x16384 image cost a quarter of a
gigabyte and seconds, and a file of many such masks minutes; here the work is in the runs
of the patch or of the mask's box, so the declared image size costs nothing. RLE runs go
down the columns (column-major), starting with a run of zeros.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import masks


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
    # +1 where a piece of ones starts, -1 past its end, summed up in place: one byte a
    # pixel (the pieces are disjoint, so every partial sum is 0 or 1).
    steps = np.zeros(rows * cols + 1, dtype=np.int8)
    starts, ends = _ones(rle)
    if starts.size:
        column, row, row_end = _column_pieces(starts, ends, height)
        row, row_end = np.maximum(row, top), np.minimum(row_end, bottom + 1)
        keep = (column >= left) & (column <= right) & (row < row_end)
        base = (column[keep] - left) * rows - top
        np.add.at(steps, base + row[keep], 1)
        np.add.at(steps, base + row_end[keep], -1)
    np.cumsum(steps, out=steps)
    return steps[:-1].view(np.uint8).reshape((rows, cols), order="F")


def row_runs(rle: dict[str, Any]) -> np.ndarray:
    """The run bounds of a mask read row after row (row-major, as images are stored):
    ``[0, end of the first run of zeros, end of the next run of ones, ..., pixels]``,
    from the pixels of the mask's box alone."""
    height, width = (int(v) for v in rle["size"])
    x, y, w, h = (int(v) for v in masks.bbox(rle))
    bounds = [0]
    if w and h:
        crop = window(rle, y, x, y + h - 1, x + w - 1)
        step = max(1, (1 << 22) // (w + 2))  # rows at a time: a few MB of edges
        found = []
        for first in range(0, h, step):
            block = crop[first:first + step].view(np.int8)
            edges = np.diff(np.pad(block, ((0, 0), (1, 1))), axis=1)
            rows, cols = np.nonzero(edges)  # row by row, left to right: start, end, ...
            found.append((y + first + rows) * width + x + cols)
        at = np.concatenate(found)
        new = np.ones(at.size, dtype=bool)
        new[1:] = at[1:] != at[:-1]  # a run of ones ending a row and starting the next
        keep = np.flatnonzero(new)
        keep = keep[np.diff(np.append(keep, at.size)) % 2 == 1]
        bounds += at[keep].tolist()
    if bounds[-1] != height * width or len(bounds) == 1:
        bounds.append(height * width)
    return np.asarray(bounds, dtype=np.int64)
