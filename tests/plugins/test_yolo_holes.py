"""Hole filling from run lengths, against a flood fill of the pixels."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cococonv import masks
from cococonv_plugins.yolo.holes import fill_holes
from cococonv_plugins.yolo.shapes import trace_filled, trace_mask


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


@settings(max_examples=300, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 9), st.integers(1, 9))))
def test_tracing_first_gives_what_filling_first_gives(array):
    """trace_mask skips the hole search when the tracer takes the mask as it is: the
    same rings and report counts as searching first (trace_filled), on any mask."""
    shortcut, full = Counter(), Counter()
    assert trace_mask(rle(array), shortcut) == trace_filled(rle(array), full)
    assert shortcut == full


@pytest.mark.parametrize("seed", range(30))
def test_tracing_first_on_noisy_blobs(seed):
    rng = np.random.default_rng(seed)
    array = rng.random((30, 40)) < rng.uniform(0.3, 0.8)
    shortcut, full = Counter(), Counter()
    assert trace_mask(rle(array), shortcut) == trace_filled(rle(array), full)
    assert shortcut == full
