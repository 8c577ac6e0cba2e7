"""The compiled ring check (cococonv/raster/_fastcoords.c) against its Python fallback: it
may only answer "not sure" (False) where Python accepts, never accept what Python refuses,
and the COCO reader gives the same dataset or the same error line with either."""
from __future__ import annotations

import math

import pytest

from cococonv import api
from cococonv.errors import DataError
from cococonv.limits import ring_checker, ring_within
from cococonv.raster import speedups
from tests.builders import coco_ann, coco_doc, numpy_only, write_coco

fast = speedups.fastcoords()
needs_fast = pytest.mark.skipif(fast is None, reason="_fastcoords is not built")

OK = [1.0, 2.0, 3.5, 4.0, 5.0, 6.0]
RINGS = [
    pytest.param(OK, True, id="floats"),
    pytest.param([1, 2, 3, 4, 5, 6], True, id="ints"),
    pytest.param([1, 2.5, 3, 4, 5, 6.25], True, id="mixed"),
    pytest.param([-20.0, 0, 0, 0, 0, 0], True, id="at-low"),
    pytest.param([30.0, 0, 0, 0, 0, 0], True, id="at-high"),
    pytest.param([-20.5, 0, 0, 0, 0, 0], False, id="below-low"),
    pytest.param([0, 0, 0, 0, 0, 31], False, id="above-high"),
    pytest.param([True, 2, 3, 4, 5, 6], False, id="bool"),
    pytest.param(["1", 2, 3, 4, 5, 6], False, id="string"),
    pytest.param([None, 2, 3, 4, 5, 6], False, id="null"),
    pytest.param([[1], 2, 3, 4, 5, 6], False, id="nested"),
    pytest.param([1.0, 2.0, 3.0, 4.0], False, id="short"),
    pytest.param([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], False, id="odd"),
    pytest.param([], False, id="empty"),
    pytest.param((1.0, 2.0, 3.0, 4.0, 5.0, 6.0), False, id="tuple"),
    pytest.param({"counts": []}, False, id="dict"),
    pytest.param([math.inf, 0, 0, 0, 0, 0], False, id="inf"),
    pytest.param([-math.inf, 0, 0, 0, 0, 0], False, id="minus-inf"),
    pytest.param([10 ** 400, 0, 0, 0, 0, 0], False, id="huge-int"),
    pytest.param([-(10 ** 400), 0, 0, 0, 0, 0], False, id="huge-negative-int"),
    pytest.param([2 ** 53 + 1, 0, 0, 0, 0, 0], False, id="int-past-double"),
]


@pytest.mark.parametrize("ring, accepted", RINGS)
def test_python_ring_check(ring, accepted):
    assert ring_within(ring, -20, 30) is accepted


@needs_fast
@pytest.mark.parametrize("ring, accepted", RINGS)
def test_compiled_ring_check_agrees_with_python(ring, accepted):
    assert fast.ring_within(ring, -20, 30) is accepted


@needs_fast
@pytest.mark.parametrize("low, high", [(-20, 30), (-20.0, 30.0), (-(2 ** 60), 2 ** 60),
                                       (-(10 ** 400), 10 ** 400), (math.nan, 30), ("0", 30),
                                       (True, 30)])
def test_compiled_ring_check_never_accepts_what_python_refuses(low, high):
    for ring in [OK, [2 ** 52, 0, 0, 0, 0, 0], [2 ** 61, 0, 0, 0, 0, 0], [-1e300, 0, 0, 0, 0, 0]]:
        try:
            python = ring_within(ring, low, high)
        except TypeError:  # Python cannot compare "0" with a number: nor accept it
            python = False
        assert not fast.ring_within(ring, low, high) or python


@needs_fast
def test_compiled_ring_check_wants_three_arguments():
    with pytest.raises(TypeError):
        fast.ring_within(OK, 0)


def test_ring_checker_honours_the_switch():
    with numpy_only(True):
        assert ring_checker() is ring_within
    with numpy_only(False):
        assert ring_checker() is (fast.ring_within if fast is not None else ring_within)


@pytest.mark.parametrize("segmentation", [
    [[1.0, 1.0, 5.0, 1.0, 5.0, 4.0], [2, 2, 3, 2, 3, 3]],
    [[1.0, 1.0, 5.0, 1.0, 5.0, 5000.0]],
    [[1.0, 1.0, 5.0, 1.0, True, 4.0]],
    [[1.0, 1.0, 5.0, 1.0, 5.0]],
    [[1.0, 1.0, 5.0, 1.0, 5.0, 10 ** 400]],
    [[1.0, 1.0, 5.0, 1.0, 5.0, -2000]],
])
def test_coco_reader_is_the_same_with_and_without_the_compiled_check(tmp_path, segmentation):
    root = write_coco(tmp_path / "in", {"instances_default": coco_doc(
        annotations=[coco_ann(segmentation=segmentation)])})
    outcomes = []
    for off in (True, False):
        with numpy_only(off):
            try:
                dataset = api.load(str(root), "coco")
                outcomes.append([(type(a).__name__, a.points) for item in dataset
                                 for a in item.annotations])
            except DataError as err:
                outcomes.append(str(err))
    assert outcomes[0] == outcomes[1]
