"""Mask tracing: polygons must rasterise (pycocotools) back to exactly the same pixels."""
from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from cococonv import masks
from cococonv.contours import mask_to_polygons


def _rasterise(rings, height, width):
    rles = coco_mask.frPyObjects(rings, height, width)
    return coco_mask.decode(coco_mask.merge(rles))


@pytest.mark.parametrize("seed", range(40))
def test_traced_polygons_rasterise_to_the_same_pixels(seed):
    rng = np.random.default_rng(seed)
    array = np.zeros((16, 21), np.uint8)
    for _ in range(rng.integers(1, 4)):
        y, x = rng.integers(0, 14), rng.integers(0, 18)
        array[y:y + rng.integers(1, 7), x:x + rng.integers(1, 7)] = 1
    rings = mask_to_polygons(masks.encode(array))
    if rings is None:  # only holes may refuse
        return
    assert (_rasterise(rings, 16, 21) == array).all()


def test_corner_touching_regions_become_separate_rings():
    array = np.zeros((5, 5), np.uint8)
    array[1, 1] = array[2, 2] = 1
    rings = mask_to_polygons(masks.encode(array))
    assert rings is not None and len(rings) == 2


def test_mask_with_a_hole_is_refused():
    array = np.zeros((7, 7), np.uint8)
    array[1:6, 1:6] = 1
    array[3, 3] = 0
    assert mask_to_polygons(masks.encode(array)) is None


def test_empty_mask_is_refused():
    assert mask_to_polygons(masks.encode(np.zeros((4, 4), np.uint8))) is None
