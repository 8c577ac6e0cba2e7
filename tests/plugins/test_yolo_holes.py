"""Hole filling from run lengths, against a flood fill of the pixels."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from cococonv import masks
from cococonv_plugins.yolo.holes import fill_holes
from cococonv_plugins.yolo.shapes import trace_mask


def rle(array):
    return masks.encode(np.asfortranarray(array.astype(np.uint8)))


def test_ring_hole_filled_and_open_bay_kept():
    array = np.zeros((12, 14), np.uint8)
    array[1:8, 1:8] = 1
    array[3:5, 3:5] = 0          # a hole
    array[2:10, 9:13] = 1
    array[4:10, 10:12] = 0       # a bay open at the bottom: not a hole
    array[9, 9:13] = 0
    filled = masks.decode(fill_holes(rle(array)))
    assert filled[3:5, 3:5].all() and not filled[4:9, 10:12].any()
    assert filled.sum() == array.sum() + 4


def test_no_hole_gives_none():
    array = np.zeros((5, 5), np.uint8)
    array[1:3, 1:4] = 1
    assert fill_holes(rle(array)) is None


def test_background_through_a_corner_is_not_a_hole():
    array = np.array([[0, 0, 0, 0, 0],
                      [0, 1, 1, 0, 0],
                      [0, 1, 0, 1, 0],
                      [0, 0, 1, 1, 0],
                      [0, 0, 0, 0, 0]], np.uint8)
    # the centre pixel touches outside background at its corners only
    filled = fill_holes(rle(array))
    rings = trace_mask(rle(array), Counter())
    assert rings is not None
    area = masks.area(masks.polygons_to_rle(rings, 5, 5))
    assert area in (array.sum(), array.sum() + 1)
    assert filled is None or masks.decode(filled).sum() == array.sum() + 1


@pytest.mark.parametrize("seed", range(12))
def test_random_masks_trace_to_their_filled_pixels(seed):
    rng = np.random.default_rng(seed)
    array = (rng.random((16, 18)) < 0.55).astype(np.uint8)
    rings = trace_mask(rle(array), Counter())
    if rings is None:
        pytest.skip("not traceable even filled")
    traced = masks.decode(masks.polygons_to_rle(rings, 16, 18)).astype(bool)
    assert (traced | ~array.astype(bool)).all()  # every pixel of the mask is covered
