"""YOLO coordinate text: the compiled path (``_fasttext.fractions``) writes the Python
path's bytes and counts the same clipping, for any coordinates and image size."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv.raster import speedups
from cococonv_plugins.yolo.shapes import LineMaker, fmt, fmt_all

fast = speedups.fasttext()
needs_fast = pytest.mark.skipif(fast is None, reason="cococonv.raster._fasttext is not built here")


def _python(points: list[float], width: int, height: int) -> tuple[str, bool]:
    maker = LineMaker("segment", {}, (height, width), 0, False)
    maker.events = Counter()
    text = fmt_all(maker._fractions(points))
    return text, bool(maker.events["clipped"])


pixels = st.one_of(
    st.floats(-50, 5000, allow_nan=False),
    st.integers(-5, 5000),
    st.integers(0, 4096 * 8).map(lambda k: k / 8),    # dyadic: decimal ties at 1e-10
    st.sampled_from([0.0, -0.0, 1e-12, -1e-12, 0.5]))


@needs_fast
@settings(max_examples=600, deadline=None)
@given(st.lists(pixels, max_size=24), st.integers(1, 4096), st.integers(1, 4096))
def test_fractions_are_the_python_text(points, width, height):
    assert fast.fractions(points, width, height) == _python(points, width, height)


@needs_fast
@pytest.mark.parametrize("value", [1 / 2048, 3 / 2048, 0.00048828125, 1.0, 0.0, 0.99999999995,
                                   0.12345678905, 5e-11, 1.5e-10])
def test_values_at_a_decimal_tie_round_as_python_does(value):
    assert fast.fractions([value, value], 1, 1)[0] == f"{fmt(value)} {fmt(value)}"


@needs_fast
@pytest.mark.parametrize("points, width, height", [
    ([1.0, "2"], 10, 10), ([float("nan"), 1.0], 10, 10), ([1.0, 2.0], 0, 10),
    ([1e308, 1.0], 1e-308, 1),
], ids=["not-a-number", "nan", "no-width", "overflow"])
def test_bad_values_are_left_to_the_python_path(points, width, height):
    with pytest.raises((ValueError, TypeError)):
        fast.fractions(points, width, height)


def test_both_paths_write_the_same_lines(monkeypatch):
    ring = [0.0, 0.0, 320.25, -3.0, 640.0, 481.5, 17.125, 100.0]
    made = LineMaker("segment", {}, (480, 640), 0, False)
    text = made._coords(ring)
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    slow = LineMaker("segment", {}, (480, 640), 0, False)
    assert slow._coords(ring) == text
    assert made.events["clipped"] == slow.events["clipped"] == 1
