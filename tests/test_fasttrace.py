"""The compiled outline tracer (cococonv.raster._fasttrace) gives the Python tracer's rings,
vertex for vertex and in the same order, and the same refusals (holes), on random masks:
which path ran never shows in the output."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cococonv import masks
from cococonv.contours import mask_to_polygons
from cococonv.raster import speedups
from tests.builders import numpy_only

fast = speedups.fasttrace()
needs_fast = pytest.mark.skipif(fast is None, reason="cococonv.raster._fasttrace is not built here")


def _both(array: np.ndarray):
    rle = masks.encode(np.asfortranarray(array.astype(np.uint8)))
    with numpy_only(False):
        compiled = mask_to_polygons(rle)
    with numpy_only(True):
        python = mask_to_polygons(rle)
    return compiled, python


@needs_fast
@settings(max_examples=300, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 9), st.integers(1, 9))))
def test_compiled_and_python_tracers_give_the_same_rings(array):
    compiled, python = _both(array)
    assert compiled == python


@needs_fast
@pytest.mark.parametrize("seed", range(20))
def test_same_rings_on_larger_blobs(seed):
    rng = np.random.default_rng(seed)
    array = np.zeros((60, 80), bool)
    for _ in range(rng.integers(1, 8)):
        y, x = rng.integers(0, 55), rng.integers(0, 75)
        array[y:y + rng.integers(1, 20), x:x + rng.integers(1, 20)] = True
    array ^= rng.random(array.shape) < 0.02  # specks, corner touches, holes
    compiled, python = _both(array)
    assert compiled == python


@needs_fast
@pytest.mark.parametrize("shape", [(2, 5), (5, 2), (0, 0)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises(ValueError):
        fast.trace(bytes(shape[0] * shape[1]), *shape)
    with pytest.raises(ValueError):
        fast.trace(bytes(7), 3, 3)


def test_the_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert speedups.fasttrace() is None


def test_ci_builds_it():
    if os.environ.get("CI") != "true":
        pytest.skip("only CI promises a C compiler")
    assert fast is not None


@needs_fast
@pytest.mark.parametrize("seed", range(5))
def test_shifted_rings_are_the_floats_of_the_shifted_ints(seed):
    rng = np.random.default_rng(seed)
    padded = np.zeros((30, 40), np.uint8)
    padded[1:-1, 1:-1] = rng.random((28, 38)) < 0.7
    plain, shifted = fast.trace(padded, 30, 40), fast.trace(padded, 30, 40, 7, -3)
    if plain is None:
        assert shifted is None
        return
    assert shifted == [[float(v + (7, -3)[k % 2]) for k, v in enumerate(r)] for r in plain]
    assert all(type(v) is float for r in shifted for v in r)
