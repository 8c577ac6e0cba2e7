"""The compiled mask helpers (cococonv._fastmasks): built where CI runs, switched off by
COCOCONV_NO_SPEEDUPS, and strict with what they are given: bad input raises ValueError and
the callers then take the numpy path, so output never depends on which path ran. (Their
results against pycocotools and brute force: tests/plugins/test_voc_masks.py.)"""
from __future__ import annotations

import os

import numpy as np
import pytest

from cococonv import masks, speedups
from cococonv_plugins.voc.segmentation import _Runs, paint_scanlines

fast = speedups.fastmasks()
needs_fast = pytest.mark.skipif(fast is None, reason="cococonv._fastmasks is not built here")


def test_ci_builds_the_helpers():
    """`pip install -e .` compiles them where a compiler is (CI machines have gcc), so the
    benchmark and the tests see the compiled path; a broken build must not go unnoticed."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI promises a C compiler")
    assert fast is not None


def test_the_switch_turns_them_off(monkeypatch):
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert speedups.fastmasks() is None
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "0")
    assert speedups.fastmasks() is fast


@needs_fast
@pytest.mark.parametrize("counts", [
    "~",  # outside the alphabet
    "0" + "o" * 14,  # a value longer than 64 bits
    "0\u00e9",  # not ASCII
    "0-5",  # below the alphabet
    "0P",  # ends inside a value
    "0e0",  # a run of 21 pixels in a 4x5 image
    "010A",  # a negative run
])
def test_paint_refuses_malformed_or_overlong_counts(counts):
    with pytest.raises(ValueError):
        fast.paint(4, 5, [(counts, 1, 1)], None, None)


@needs_fast
def test_paint_refuses_bad_arguments():
    with pytest.raises(ValueError):
        fast.paint(2, 2, [("04", 256, 1)], None, None)
    with pytest.raises(TypeError):
        fast.paint(2, 2, [([0, 4], 1, 1)], None, None)
    with pytest.raises(ValueError):
        fast.paint(2, 2, [], None, None, bytearray(5))
    with pytest.raises(ValueError):
        fast.paint(-1, 2, [], None, None)


@needs_fast
def test_runs_refuse_bad_planes():
    with pytest.raises(ValueError):
        fast.column_runs(None, None)
    with pytest.raises(ValueError):
        fast.column_runs(np.zeros((2, 3), np.uint8), np.zeros((3, 2), np.uint8))
    with pytest.raises(ValueError):
        fast.column_runs(np.zeros((2, 3), np.uint16), None)
    with pytest.raises(ValueError):
        fast.column_runs(np.zeros(6, np.uint8), None)


@needs_fast
def test_code_rles_refuse_unsorted_codes_and_runs():
    starts = np.array([0, 3], np.int64)
    values = np.array([1, 2], np.int64)
    assert fast.code_rles(starts, values, 2, 3, [1, 2]) == ["033", "33"]
    with pytest.raises(ValueError):
        fast.code_rles(starts, values, 2, 3, [2, 1])
    with pytest.raises(ValueError):
        fast.code_rles(starts[::-1].copy(), values, 2, 3, [1, 2])
    with pytest.raises(ValueError):
        fast.code_rles(starts, values[:1].copy(), 2, 3, [1])


@needs_fast
def test_code_rles_match_pycocotools():
    plane = np.array([[1, 1, 2], [2, 1, 2]], np.uint8)
    runs = _Runs(plane, None)
    assert runs.rles_of_codes([1, 2]) == [masks.encode(plane == 1), masks.encode(plane == 2)]


def test_odd_rles_paint_the_same_on_both_paths(monkeypatch):
    """List counts, strings the helper refuses and counts past the image all fall back to
    (or agree with) the numpy painter."""
    h, w = 3, 4
    units = [({"size": [h, w], "counts": [2, 3, 7]}, 1, 1),
             ({"size": [h, w], "counts": [0, 1, -1, 1, 9]}, 5, 5),
             ({"size": [h, w], "counts": "1" + "5"}, 2, 2),
             ({"size": [h, w], "counts": masks.from_counts([0, 30], h, w)["counts"]}, 3, 3)]
    void = {"size": [h, w], "counts": "7"}
    got = paint_scanlines(h, w, units, void, None)
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert tuple(map(bytes, got)) == tuple(map(bytes, paint_scanlines(h, w, units, void, None)))
