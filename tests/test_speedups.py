"""The compiled mask helpers (cococonv.raster._fastmasks): built where CI runs, switched off by
COCOCONV_NO_SPEEDUPS, and strict with what they are given: bad input raises ValueError and
the callers then take the numpy path, so output never depends on which path ran. (Their
results against pycocotools and brute force: tests/plugins/test_voc_masks.py.)"""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as pycoco_mask

from cococonv import masks
from cococonv.raster import speedups
from cococonv.raster.paint import paint_scanlines
from cococonv.raster.runs import Runs
from tests.builders import numpy_only

fast = speedups.fastmasks()
needs_fast = pytest.mark.skipif(fast is None, reason="cococonv.raster._fastmasks is not built here")


def raw_counts(values: list[int]) -> str:
    """Compressed RLE characters of int64 values as they are (no delta coding, so any
    value, also ones no encoder would write)."""
    out = []
    for value in values:
        more = True
        while more:
            group = value & 0x1F
            value >>= 5
            more = value != -1 if group & 0x10 else value != 0
            out.append(chr((group | (0x20 if more else 0)) + 48))
    return "".join(out)


def test_ci_builds_the_helpers():
    """`pip install -e .` compiles them where a compiler is (CI machines have gcc), so the
    benchmark and the tests see the compiled path; a broken build must not go unnoticed."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI promises a C compiler")
    assert fast is not None


@pytest.mark.parametrize("from_table", [True, False])
def test_the_switch_turns_them_off(monkeypatch, from_table):
    """Read from the environment's table, or through os.environ where there is none."""
    if not from_table:
        monkeypatch.setattr(speedups, "_TABLE", None)
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert speedups.fastmasks() is None
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "0")
    # (not `is fast`: the suite may run with the switch on, and then `fast` is None)
    built = importlib.util.find_spec("cococonv.raster._fastmasks") is not None
    assert (speedups.fastmasks() is not None) == built
    monkeypatch.delenv("COCOCONV_NO_SPEEDUPS")
    assert (speedups.fastmasks() is not None) == built


@needs_fast
@pytest.mark.parametrize("counts", [
    "~",  # outside the alphabet
    "0" + "o" * 14,  # a value longer than 64 bits
    "0\u00e9",  # not ASCII
    "0-5",  # below the alphabet
    "0P",  # ends inside a value
    "0e0",  # a run of 21 pixels in a 4x5 image
    "010A",  # a negative run
    masks.from_counts([0, 20, -6], 4, 5)["counts"],  # past the end, then back in
    masks.from_counts([20, 0, 0], 4, 5)["counts"] + "P",  # ends inside a value past the end
    raw_counts([0, 1, 1, 2**63 - 1]),  # the delta sum overflows int64
])
def test_paint_refuses_malformed_or_overlong_counts(counts):
    with pytest.raises(ValueError):
        fast.paint(4, 5, [(counts, 1, 1)], None, None)


@needs_fast
def test_paint_refuses_bad_arguments():
    with pytest.raises(ValueError):
        fast.paint(2, 2, [("04", 256, 1)], None, None)
    with pytest.raises(TypeError):
        fast.paint(2, 2, [({"counts": "04"}, 1, 1)], None, None)
    for counts in ((0, -1), (0, "4"), (0, 2**70), (0, 5), (0, 1.5)):  # run lengths
        with pytest.raises(ValueError):
            fast.paint(2, 2, [(counts, 1, 1)], None, None)
    rows = b"\x00\x00\x01" + b"\x00\x01\x00"  # pixels 1 and 2 in RLE order
    assert fast.paint(2, 2, [((1, 2), 1, 1)], None, None) == (rows, rows)
    for ring in ([0, 4], [0, 0, 1, 1, 2], [0, 0, 1, "1", 2, 2], [0, 0, 1, 1, 2, 1e9],
                 [0, 0, 1, 1, 2, float("nan")]):  # too short, odd, text, huge, NaN
        with pytest.raises(ValueError):
            fast.paint(2, 2, [(ring, 1, 1)], None, None)
    with pytest.raises(ValueError):
        fast.paint(2, 2, [], None, None, bytearray(5))
    with pytest.raises(ValueError):
        fast.paint(-1, 2, [], None, None)
    with pytest.raises(TypeError):
        fast.paint(2, 2, [["04", 1, 1]], None, None)
    for h, w in ((2**62, 0), (0, 2**63 - 1), (2**40, 2**40)):  # 2 * h * (w + 1) overflows
        with pytest.raises(ValueError):
            fast.paint(h, w, [], None, None, bytearray(10))


@needs_fast
def test_paint_lets_go_of_out_on_errors():
    out = bytearray(100)
    for layers in (5, [("0~", 1, 1)], [("04", 1, 1, 1)]):
        with pytest.raises((TypeError, ValueError)):
            fast.paint(2, 2, layers, None, None, out)
        out.extend(b"x")  # BufferError if the export was leaked
        del out[-1:]


@needs_fast
def test_python_code_in_the_arguments_cannot_free_them():
    """__index__ runs while the arguments are read; it may empty the caller's list."""
    layers: list = []
    codes: list = []

    class Clears:
        def __init__(self, target: list):
            self.target = target

        def __index__(self) -> int:
            self.target.clear()
            return 1

    layers += [("0" + "1" * 3, 1, 1), ("02", Clears(layers), 1), ("03", 1, 1)]
    classes, _objects = fast.paint(2, 2, layers, None, None)
    assert len(classes) == 6
    codes += [0, Clears(codes), 7, 9]
    assert len(fast.code_rles(b"", b"", 2, 2, codes)) == 4


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
    with pytest.raises(ValueError):  # h * w overflows
        fast.code_rles(starts, values, 2**40, 2**40, [1, 2])
    raw = memoryview(bytearray(17))
    with pytest.raises(ValueError):  # int64 loads must be aligned
        fast.code_rles(raw[1:9], raw[1:9], 1, 1, [0])
    with pytest.raises(ValueError):  # and whole
        fast.code_rles(bytes(12), bytes(12), 1, 1, [0])


@needs_fast
def test_code_rles_match_pycocotools():
    plane = np.array([[1, 1, 2], [2, 1, 2]], np.uint8)
    runs = Runs(plane, None)
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


# -- property tests: the compiled path against the numpy one on random input ---------------

# The counts strings of a user's COCO file are hostile: any ASCII, anything in the
# alphabet, well-formed values of any size (negative, past the image, overflowing), and
# near-valid masks with their ends cut or extended.
_ALPHABET = "".join(map(chr, range(48, 112)))
counts_texts = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.text(st.sampled_from(_ALPHABET), max_size=12),
    st.lists(st.one_of(st.integers(-3, 40), st.integers(-2**63, 2**63 - 1)),
             max_size=8).map(raw_counts),
    st.tuples(st.lists(st.integers(-4, 12), max_size=8), st.text(st.sampled_from(_ALPHABET),
                                                                max_size=2))
    .map(lambda c: (masks.counts_to_strings(c[0], [len(c[0])])[0] if c[0] else "") + c[1]),
)


def painted(h: int, w: int, units: list, voids: list, scratch: bool, numpy: bool) -> object:
    """Both scanline planes as bytes, or the type of what the painter raised."""
    with numpy_only(numpy):
        try:
            rows = paint_scanlines(h, w, units, *voids,
                                   scratch=bytearray(3) if scratch else None)
        except Exception as exc:  # noqa: BLE001 - the numpy path may refuse malformed input
            return type(exc)
        return tuple(map(bytes, rows))


@settings(max_examples=400, deadline=None)
@given(st.tuples(st.integers(0, 6), st.integers(0, 6)),
       st.lists(st.tuples(counts_texts, st.sampled_from([0, 1, 7, 255]),
                          st.sampled_from([None, 0, 1, 3, 255])), max_size=4),
       st.none() | counts_texts, st.none() | counts_texts, st.booleans())
def test_paint_agrees_with_numpy_on_any_counts(size, layers, void_class, void_object,
                                               scratch):
    """Whatever the strings, the helper paints what numpy paints or raises ValueError (and
    the wrapper falls back); where numpy itself raises it must only not crash."""
    h, w = size
    if fast is not None:
        try:
            fast.paint(h, w, [(t, c, 255 if c == 255 else i or 0) for t, c, i in layers],
                       void_class, void_object)
        except ValueError:
            pass
    units = [({"size": [h, w], "counts": text}, c, i) for text, c, i in layers]
    voids = [None if v is None else {"size": [h, w], "counts": v}
             for v in (void_class, void_object)]
    want = painted(h, w, units, voids, scratch, numpy=True)
    got = painted(h, w, units, voids, scratch, numpy=False)
    if not isinstance(want, type):
        assert got == want


widths = st.one_of(st.integers(1, 70), st.sampled_from([63, 64, 65, 127, 128, 129]))
# mostly one value (whole 64-pixel words equal to the row above) with some scattered pixels
odd_planes = st.tuples(st.integers(1, 70), widths).flatmap(lambda shape: st.tuples(
    arrays(np.uint8, shape, elements=st.sampled_from([0, 1, 2, 255]),
           fill=st.sampled_from([0, 2])),
    arrays(np.uint8, shape, elements=st.sampled_from([0, 1, 3, 255]),
           fill=st.sampled_from([0, 1]))))


@settings(max_examples=60, deadline=None)
@given(odd_planes, st.sampled_from(["both", "classes", "objects"]), st.booleans())
def test_runs_and_code_rles_agree_with_numpy_and_pycocotools(pair, which, png_rows):
    classes, instances = pair
    if png_rows:  # rows behind a filter byte, as the PNG decoder gives them
        h, w = classes.shape
        padded = np.zeros((2, h, w + 1), np.uint8)
        padded[0, :, 1:], padded[1, :, 1:] = classes, instances
        classes, instances = padded[0, :, 1:], padded[1, :, 1:]
    if which == "classes":
        instances = None
    elif which == "objects":
        classes = None
    keys = sum(plane.astype(np.int64) << shift
               for plane, shift in ((classes, 0), (instances, 8)) if plane is not None)
    codes = sorted(set(keys.ravel().tolist()))
    want = [masks.encode(keys == code) for code in codes]
    found = {}
    for numpy in (False, True):
        with numpy_only(numpy):
            runs = Runs(classes, instances)
            found[numpy] = (runs.starts.tolist(), runs.values.tolist(),
                            runs.rles_of_codes(codes))
    assert found[False] == found[True]
    assert found[False][2] == want


@needs_fast
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 30), st.integers(0, 3)), max_size=8),
       st.integers(0, 6), st.integers(0, 6),
       st.lists(st.integers(0, 3), max_size=4, unique=True).map(sorted), st.booleans())
def test_code_rles_on_any_runs(runs, h, w, codes, rising):
    """Any runs: a list of strings or ValueError; valid runs as the numpy encoder does."""
    if rising:
        runs = sorted(dict(runs).items())
    starts = np.array([s for s, _v in runs], np.int64)
    values = np.array([v for _s, v in runs], np.int64)
    try:
        texts = fast.code_rles(starts, values, h, w, codes)
    except ValueError:
        return
    assert len(texts) == len(codes)
    if codes and set(codes) <= set(values.tolist()):
        reference = Runs.__new__(Runs)
        reference.height, reference.width, reference.total = h, w, h * w
        reference.starts, reference.values = starts, values
        with numpy_only():
            assert [r["counts"] for r in reference.rles_of_codes(codes)] == texts


def _toggles(rle: dict) -> np.ndarray:
    flat = pycoco_mask.decode(rle).ravel(order="F").astype(np.int8)
    return np.flatnonzero(np.diff(np.concatenate(([0], flat, [0]))))


coordinates = st.one_of(
    st.floats(-15, 75, allow_nan=False), st.integers(-5, 70).map(float),
    st.floats(-15, 75, allow_nan=False).map(lambda v: round(v, 2)), st.integers(-5, 70))


@needs_fast
@settings(max_examples=400, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60),
       st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=12), st.booleans())
def test_rings_rasterise_as_pycocotools_does(h, w, points, repeat):
    """The compiled rasteriser's toggles are those of pycocotools' frPyObjects RLE, for
    rings inside, across and outside the image, with repeated vertices."""
    if repeat:
        points = points[:1] + points
    ring = [v for point in points for v in point]
    got = np.frombuffer(fast.ring_positions(ring, h, w), np.int64)
    values, counts = np.unique(got, return_counts=True)  # equal positions cancel in pairs
    want = _toggles(pycoco_mask.frPyObjects([[float(v) for v in ring]], h, w)[0])
    assert np.array_equal(values[counts % 2 == 1], want)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40),
       st.lists(st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=8)
                .map(lambda pts: [v for p in pts for v in p]), min_size=1, max_size=5))
def test_ring_layers_paint_as_their_rles(h, w, rings):
    """Painting rings gives the pixels of painting their pycocotools RLEs, on both paths."""
    as_rings = [(ring, k + 1, k + 1) for k, ring in enumerate(rings)]
    as_rles = [(rle, k + 1, k + 1) for k, rle in
               enumerate(masks.polygons_to_rles(rings, h, w))]
    want = tuple(map(bytes, paint_scanlines(h, w, as_rles, None, None)))
    for off in (False, True):
        with numpy_only(off):
            assert tuple(map(bytes, paint_scanlines(h, w, as_rings, None, None))) == want


def test_version_says_whether_the_helpers_are_built(runner, cli, monkeypatch):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("cococonv, version ")
    assert ("compiled mask helpers: built" in result.stdout) == (fast is not None)
    monkeypatch.delenv("COCOCONV_NO_SPEEDUPS", raising=False)
    monkeypatch.setattr(speedups, "_module", lambda name: None)
    assert ("not built (_fastmasks, _fastpng, _fasttrace, _fastcoords, _fasttext)"
            in runner.invoke(cli, ["--version"]).stdout)
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    assert "turned off" in runner.invoke(cli, ["--version"]).stdout
