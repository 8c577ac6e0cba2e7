"""The compiled ring and box checks (cococonv/raster/_fastcoords.c) against their Python
fallbacks: they may only answer "not sure" (False) where Python accepts, never accept what
Python refuses, and the COCO reader gives the same dataset or the same error line with
either."""
from __future__ import annotations

import math

import pytest

from cococonv import api
from cococonv.errors import DataError
from cococonv.limits import box_checker, box_within, ring_checker, ring_within
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


BOXES = [
    pytest.param([1.0, 2.0, 3.0, 4.0], True, id="floats"),
    pytest.param([1, 2, 3, 4], True, id="ints"),
    pytest.param([-20, -20, 50, 50], True, id="corners-at-bounds"),
    pytest.param([0, 0, 0, 0], True, id="empty-box"),
    pytest.param([-21, 0, 1, 1], False, id="x-below"),
    pytest.param([0, 0, 31, 1], False, id="right-edge-past"),
    pytest.param([0, 0, 1, 30.5], False, id="bottom-edge-past"),
    pytest.param([5, 5, -1, 2], False, id="negative-width"),
    pytest.param([5, 5, 2, -0.5], False, id="negative-height"),
    pytest.param([1, 2, 3], False, id="three"),
    pytest.param([1, 2, 3, 4, 5], False, id="five"),
    pytest.param((1, 2, 3, 4), False, id="tuple"),
    pytest.param([1, 2, 3, True], False, id="bool"),
    pytest.param([1, 2, "3", 4], False, id="string"),
    pytest.param([1, 2, None, 4], False, id="null"),
    pytest.param([math.nan, 2, 3, 4], False, id="nan"),
    pytest.param([0, 0, math.inf, 4], False, id="inf"),
    pytest.param([10 ** 400, 0, 1, 1], False, id="huge-int"),
    pytest.param([1e308, 0, 10 ** 400, 1], False, id="float-plus-huge-int"),
]


CASES = [pytest.param("box_within", *p.values, id=f"box-{p.id}") for p in BOXES] + \
    [pytest.param("ring_within", *p.values, id=f"ring-{p.id}") for p in RINGS]


@pytest.mark.parametrize("check, values, accepted", CASES)
def test_python_check(check, values, accepted):
    assert {"box_within": box_within, "ring_within": ring_within}[check](
        values, -20, 30) is accepted


@needs_fast
@pytest.mark.parametrize("check, values, accepted", CASES)
def test_compiled_check_agrees_with_python(check, values, accepted):
    assert getattr(fast, check)(values, -20, 30) is accepted


@needs_fast
@pytest.mark.parametrize("low, high", [(-20, 30), (-20.0, 30.0), (-(2 ** 60), 2 ** 60),
                                       (-(10 ** 400), 10 ** 400), (math.nan, 30), ("0", 30),
                                       (True, 30)])
def test_compiled_ring_check_never_accepts_what_python_refuses(low, high):
    for ring in [OK, [2 ** 52, 0, 0, 0, 0, 0], [2 ** 61, 0, 0, 0, 0, 0], [-1e300, 0, 0, 0, 0, 0]]:
        for compiled, python_check, values in ((fast.ring_within, ring_within, ring),
                                               (fast.box_within, box_within, ring[:4])):
            try:
                python = python_check(values, low, high)
            except TypeError:  # Python cannot compare "0" with a number: nor accept it
                python = False
            assert not compiled(values, low, high) or python


@needs_fast
def test_compiled_ring_check_wants_three_arguments():
    with pytest.raises(TypeError):
        fast.ring_within(OK, 0)
    with pytest.raises(TypeError):
        fast.box_within(OK[:4], 0, 1, 2)


def test_ring_checker_honours_the_switch():
    with numpy_only(True):
        assert ring_checker() is ring_within and box_checker() is box_within
    with numpy_only(False):
        assert ring_checker() is (fast.ring_within if fast is not None else ring_within)
        assert box_checker() is (fast.box_within if fast is not None else box_within)


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
    _same_with_and_without(root)


@pytest.mark.parametrize("bbox", [[1.0, 1.0, 4.0, 3.0], [1, 1, 4000, 3], [1, 1, -4, 3],
                                  [1, 1, 4], [1, "1", 4, 3], [-5000.0, 1, 4, 3], None,
                                  [1, 1, 4, 10 ** 400]])
def test_coco_reader_boxes_are_the_same_with_and_without_the_compiled_check(tmp_path, bbox):
    ann = coco_ann(bbox=bbox)
    if bbox is None:
        del ann["bbox"]
    root = write_coco(tmp_path / "in", {"instances_default": coco_doc(annotations=[ann])})
    _same_with_and_without(root)
    image = coco_doc()["images"][0]
    unsized = {k: v for k, v in image.items() if k not in ("width", "height")}
    root = write_coco(tmp_path / "unsized", {"instances_default": coco_doc(
        images=[unsized], annotations=[coco_ann(bbox=bbox)])})
    _same_with_and_without(root)


def _same_with_and_without(root):
    outcomes = []
    for off in (True, False):
        with numpy_only(off):
            try:
                dataset = api.load(str(root), "coco")
                outcomes.append([(type(a).__name__, a.points, a.declared_bbox, a.declared_area)
                                 for item in dataset for a in item.annotations])
            except DataError as err:
                outcomes.append(str(err))
    assert outcomes[0] == outcomes[1]


def _python_bounds(points: list) -> tuple:
    return min(points[0::2]), min(points[1::2]), max(points[0::2]), max(points[1::2])


@needs_fast
@pytest.mark.parametrize("seed", range(10))
def test_ring_bounds_are_python_min_and_max_objects(seed):
    """The very float objects min and max pick: the first of equal values, -0.0 against
    0.0 and NaN as float comparison orders them."""
    import random

    rng = random.Random(seed)
    specials = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, 1.5]
    for _ in range(2000):
        points = [rng.choice(specials) if rng.random() < 0.4 else rng.uniform(-9, 9)
                  for _ in range(2 * rng.randint(1, 6))]
        found = fast.ring_bounds(points)
        assert all(a is b for a, b in zip(found, _python_bounds(points)))


@needs_fast
@pytest.mark.parametrize("points", [[], [1.0], [1.0, 2.0, 3.0], [1, 2.0], [1.0, True],
                                    (1.0, 2.0), [1.0, 2.0, "3", 4.0]])
def test_ring_bounds_leave_the_rest_to_python(points):
    assert fast.ring_bounds(points) is None
