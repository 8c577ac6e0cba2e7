"""COCO's polygon ``area`` counted by the compiled rasteriser (``_fastmasks.ring_area``)
agrees with pycocotools' area of ``frPyObjects``, and the fallback path gives the same."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as pycoco_mask

from cococonv import masks
from cococonv.raster import speedups

fast = speedups.fastmasks()
needs_fast = pytest.mark.skipif(fast is None, reason="cococonv.raster._fastmasks is not built here")

coordinates = st.one_of(
    st.floats(-15, 75, allow_nan=False), st.integers(-5, 70).map(float),
    st.floats(-15, 75, allow_nan=False).map(lambda v: round(v, 2)))


def _pycocotools_area(ring: list[float], h: int, w: int) -> int:
    return int(pycoco_mask.area(pycoco_mask.frPyObjects([ring], h, w))[0])


@needs_fast
@settings(max_examples=500, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60),
       st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=12), st.booleans())
def test_ring_area_is_pycocotools_area(h, w, points, repeat):
    """Rings inside, across and outside the image, self-crossing, with repeated vertices."""
    if repeat:
        points = points[:1] + points
    ring = [float(v) for point in points for v in point]
    want = _pycocotools_area(ring, h, w)
    assert fast.ring_area(ring, h, w) == want
    assert masks.polygons_area([ring], h, w) == want


def test_both_paths_give_the_area(monkeypatch):
    ring = [10.25, 3.5, 200.75, 40.0, 120.5, 310.25, 4.0, 150.5]
    want = _pycocotools_area(ring, 480, 640)
    assert masks.polygons_area([ring], 480, 640) == want
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert masks.polygons_area([ring], 480, 640) == want


@needs_fast
@pytest.mark.parametrize("ring, h, w", [
    ([0.0, 0.0, 1e7, 0.0, 1e7, 1e7], 100, 100),      # pycocotools would walk 5e7 steps
    ([0.0, 0.0, 1.0, 0.0, float("nan"), 1.0], 10, 10),
    ([0.0, 0.0, 1.0, 0.0], 10, 10),                   # not a polygon
    ([0.0, 0.0, 1.0, 0.0, 1.0, 1.0], 0, 10),
    ([0.0, 0.0, 1.0, 0.0, 1.0, "1"], 10, 10),
], ids=["long-walk", "nan", "two-points", "empty-image", "not-a-number"])
def test_ring_area_refuses_what_the_fallback_handles(ring, h, w):
    """Refused rings raise, and polygons_area then takes pycocotools' path (which bounds
    long walks through cococonv.rings and names bad values)."""
    with pytest.raises((ValueError, TypeError)):
        fast.ring_area(ring, h, w)


def test_a_long_walked_ring_still_gets_its_area():
    ring = [0.0, 0.0, 1e7, 0.0, 1e7, 1e7]
    assert masks.polygons_area([ring], 100, 100) == masks.area(
        masks.polygons_to_rle([ring], 100, 100))
