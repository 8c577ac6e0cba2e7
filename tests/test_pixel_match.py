"""``pixel_match.same_pixels`` says what pycocotools' rasterise, merge and intersect says,
for traced rings and for arbitrary ones (off the image, overlapping, a pixel off), on
compressed and list-count masks: the tracer's check may take either path."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv import masks
from cococonv.contours import mask_to_polygons
from cococonv.pixel_match import same_pixels
from cococonv.raster import speedups

needs_fast = pytest.mark.skipif(speedups.fastmasks() is None,
                                reason="cococonv.raster._fastmasks is not built here")


def _pycocotools(rings, rle, height, width) -> bool:
    candidate = masks.polygons_to_rle(rings, height, width)
    area = masks.area(rle)
    return masks.area(candidate) == area and \
        masks.area(masks.merge([candidate, rle], intersect=True)) == area


def _coordinate(limit: int):
    return st.one_of(st.integers(-2, limit + 2).map(float),
                     st.floats(-3, limit + 3, allow_nan=False))


@needs_fast
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_same_answer_as_pycocotools(data):
    height, width = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    seed = data.draw(st.integers(0, 2**32 - 1))
    array = (np.random.default_rng(seed).random((height, width)) < 0.5).astype(np.uint8)
    rle = masks.encode(array)
    if data.draw(st.booleans()):
        rle = masks.uncompress(rle)
    traced = mask_to_polygons(rle)
    ring = st.lists(st.tuples(_coordinate(width), _coordinate(height)), min_size=3, max_size=7)
    drawn = data.draw(st.lists(ring, min_size=1, max_size=3))
    candidates = [[[v for xy in r for v in xy] for r in drawn]]
    if traced:
        nudged = [list(r) for r in traced]
        nudged[0][0] += data.draw(st.sampled_from([0.5, -0.4, 1.0]))
        candidates += [traced, nudged, traced[:-1] or traced]
    for rings in candidates:
        assert same_pixels(rings, rle, height, width) == _pycocotools(rings, rle, height, width)


def test_no_answer_without_the_compiled_helpers(monkeypatch):
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    rle = masks.encode(np.ones((3, 3), np.uint8))
    assert same_pixels([[0.0, 0.0, 3.0, 0.0, 3.0, 3.0, 0.0, 3.0]], rle, 3, 3) is None
