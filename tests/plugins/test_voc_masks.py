"""The VOC mask machinery against brute force: the reader's runs (any memory layout of the
decoded planes) give pycocotools' RLE of each code, and the painter's scanlines are the
z-ordered union of the layers pixel for pixel; the PNG codec round-trips them. Each check
runs on both paths: the compiled helper (cococonv.raster._fastmasks) and the numpy code."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as pycoco_mask

from cococonv import masks
from cococonv.raster import speedups
from cococonv.raster.paint import paint_scanlines
from cococonv.raster.png import decode_plain_png, encode_index_png
from cococonv.raster.runs import Runs
from tests.builders import numpy_only


def both_paths() -> Iterator[str]:
    """Run the body once per path: compiled (when built) and numpy."""
    for off in ((False, True) if speedups.fastmasks() is not None else (True,)):
        with numpy_only(off):
            yield "numpy" if off else "compiled"


planes = st.tuples(st.integers(1, 40), st.integers(1, 40)).flatmap(
    lambda shape: st.tuples(arrays(np.uint8, shape, elements=st.sampled_from([0, 1, 2, 255])),
                            arrays(np.uint8, shape, elements=st.sampled_from([0, 1, 3, 255]))))


def layouts(plane: np.ndarray) -> list[np.ndarray]:
    """The same pixels as a contiguous array, a PNG-like view behind a filter column,
    a Fortran-ordered copy and a strided slice of a bigger array."""
    h, w = plane.shape
    padded = np.zeros((h, w + 1), np.uint8)
    padded[:, 1:] = plane
    bigger = np.full((h, 2 * w), 7, np.uint8)
    bigger[:, ::2] = plane
    return [plane.copy(), padded[:, 1:], np.asfortranarray(plane), bigger[:, ::2]]


def expected_rle(selected: np.ndarray) -> dict:
    rle = pycoco_mask.encode(np.asfortranarray(selected.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode()}


@settings(max_examples=80, deadline=None)
@given(planes)
def test_runs_give_each_codes_rle_in_every_memory_layout(pair):
    classes, instances = pair
    keys = instances.astype(np.int64) * 256 + classes
    codes = sorted(set(keys.ravel().tolist()))
    want = [expected_rle(keys == code) for code in codes]
    for _path in both_paths():
        for cls_plane, inst_plane in zip(layouts(classes), layouts(instances)):
            runs = Runs(cls_plane, inst_plane)
            assert runs.rles_of_codes(codes) == want
            assert [runs.rle(runs.values == code) for code in codes] == want
        only_classes = Runs(layouts(classes)[1], None)
        assert only_classes.rles_of_codes(sorted(set(classes.ravel().tolist()))) == \
            [expected_rle(classes == c) for c in sorted(set(classes.ravel().tolist()))]
        only_instances = Runs(None, instances)
        assert only_instances.rles_of_codes(sorted(set((instances.astype(int) * 256).ravel()
                                                       .tolist()))) == \
            [expected_rle(instances == c) for c in sorted(set(instances.ravel().tolist()))]


@settings(max_examples=80, deadline=None)
@given(st.tuples(st.integers(1, 40), st.integers(1, 40)).flatmap(
    lambda shape: st.tuples(st.just(shape), st.lists(
        arrays(np.uint8, shape, elements=st.integers(0, 1)), max_size=5))),
    st.booleans())
def test_painted_scanlines_are_the_z_ordered_union_of_the_layers(case, with_void):
    (h, w), layers = case
    units = [(masks.encode(layer), (k % 3) + 1 if k != 2 else 255, k + 1)
             for k, layer in enumerate(layers)]
    void = np.zeros((h, w), np.uint8)
    void[h // 2:, :w // 2] = 1
    void_rle = masks.encode(void) if with_void else None
    painted = {}
    scratch = bytearray(5)  # too small at first: grown by the painter
    for path in both_paths():
        for buffer in (None, scratch):
            rows = paint_scanlines(h, w, units, void_rle, void_rle, scratch=buffer)
            painted[path, buffer is None] = tuple(bytes(r) for r in rows)
    cls_rows, inst_rows = painted["numpy", True]
    assert all(rows == (cls_rows, inst_rows) for rows in painted.values())
    want_cls = np.zeros((h, w), np.uint8)
    want_inst = np.zeros((h, w), np.uint8)
    for layer, (_rle, cls, inst) in zip(layers, units):
        want_cls[layer == 1] = cls
        want_inst[layer == 1] = 255 if cls == 255 else inst
    if with_void:
        want_cls[void == 1] = want_inst[void == 1] = 255
    for rows, want in ((cls_rows, want_cls), (inst_rows, want_inst)):
        grid = np.frombuffer(rows, np.uint8).reshape(h, w + 1)
        assert not grid[:, 0].any()
        assert np.array_equal(grid[:, 1:], want)
        for palette in (None, bytes(range(256)) * 3):
            decoded = decode_plain_png(encode_index_png(rows, h, w, palette))
            assert np.array_equal(decoded, grid)
