"""cococonv.masks against pycocotools called directly: same areas, boxes, merges and encodings."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as pycoco_mask

from cococonv import masks
from cococonv.geometry import points_bbox


def fortran(array: np.ndarray) -> np.ndarray:
    return np.asfortranarray(array.astype(np.uint8))


def sample_mask() -> np.ndarray:
    array = np.zeros((8, 10), dtype=np.uint8)
    array[1:6, 2:9] = 1
    array[3, 4] = 0
    array[7, 0] = 1
    return array


def compressed_of(array: np.ndarray) -> dict:
    """COCO's compressed form with str counts (as a JSON file holds it)."""
    rle = pycoco_mask.encode(fortran(array))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def uncompressed_of(array: np.ndarray) -> dict:
    flat = array.ravel(order="F")
    runs, current, length = [], 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            runs.append(length)
            current, length = value, 1
    runs.append(length)
    return {"size": list(array.shape), "counts": runs}


RINGS = [[1.5, 1.25, 8.75, 2.0, 6.2, 7.9, 0.4, 6.0], [0, 0, 3, 0, 0, 3]]


def test_polygons_to_rle_equals_pycocotools_merge_of_the_rings():
    ours = masks.polygons_to_rle(RINGS, 8, 10)
    theirs = pycoco_mask.merge(pycoco_mask.frPyObjects(RINGS, 8, 10))
    assert ours == {"size": [8, 10], "counts": theirs["counts"].decode("ascii")}


def test_polygons_area_equals_pycocotools_rasterised_area():
    theirs = pycoco_mask.area(pycoco_mask.merge(pycoco_mask.frPyObjects(RINGS, 8, 10)))
    assert masks.polygons_area(RINGS, 8, 10) == int(theirs)
    assert masks.polygons_area([RINGS[0]], 8, 10) == int(
        pycoco_mask.area(pycoco_mask.frPyObjects([RINGS[0]], 8, 10))[0])


def test_polygons_to_rle_of_no_rings_is_an_empty_mask():
    rle = masks.polygons_to_rle([], 4, 5)
    assert masks.area(rle) == 0 and masks.decode(rle).shape == (4, 5)


@pytest.mark.parametrize("ring", [[1, 1, 2, 2], [1, 1, 2, 2, 3, 3, 4]], ids=["two-points", "odd"])
def test_polygons_to_rle_refuses_a_ring_that_is_not_a_polygon(ring):
    with pytest.raises(ValueError, match="at least 6 coordinates"):
        masks.polygons_to_rle([ring], 8, 10)


@pytest.mark.parametrize("form", [compressed_of, uncompressed_of], ids=["compressed", "uncompressed"])
def test_area_and_bbox_equal_pycocotools_for_both_rle_forms(form):
    array = sample_mask()
    reference = pycoco_mask.encode(fortran(array))
    rle = form(array)
    assert masks.area(rle) == int(pycoco_mask.area(reference)) == int(array.sum())
    assert masks.bbox(rle) == [float(v) for v in pycoco_mask.toBbox(reference)]


def test_bbox_of_an_empty_mask_is_zero():
    assert masks.bbox(compressed_of(np.zeros((3, 4)))) == [0.0, 0.0, 0.0, 0.0]


def test_compress_gives_pycocotools_counts_as_a_string():
    array = sample_mask()
    compressed = masks.compress(uncompressed_of(array))
    assert compressed == compressed_of(array)
    assert isinstance(compressed["counts"], str)


def test_compress_accepts_bytes_counts_and_never_returns_bytes():
    reference = pycoco_mask.encode(fortran(sample_mask()))
    compressed = masks.compress({"size": list(reference["size"]), "counts": reference["counts"]})
    assert compressed["counts"] == reference["counts"].decode("ascii")


def test_uncompress_gives_runs_that_pycocotools_reads_back():
    array = sample_mask()
    runs = masks.uncompress(compressed_of(array))
    assert runs == uncompressed_of(array)
    assert sum(runs["counts"]) == array.size
    assert np.array_equal(pycoco_mask.decode(pycoco_mask.frPyObjects(runs, 8, 10)), array)


def test_encode_uncompressed_starts_with_a_zero_run_when_the_first_pixel_is_set():
    array = np.ones((2, 3), dtype=np.uint8)
    assert masks.encode_uncompressed(array) == {"size": [2, 3], "counts": [0, 6]}


def test_decode_equals_pycocotools_decode():
    array = sample_mask()
    assert np.array_equal(masks.decode(compressed_of(array)), array)
    assert np.array_equal(masks.decode(uncompressed_of(array)), array)


def test_encode_equals_pycocotools_encode():
    array = sample_mask()
    assert masks.encode(array) == compressed_of(array)
    assert masks.encode(np.ascontiguousarray(array)) == compressed_of(array)  # C order is fine


@pytest.mark.parametrize("intersect", [False, True], ids=["union", "intersection"])
def test_merge_equals_pycocotools_merge(intersect):
    a, b = sample_mask(), np.zeros((8, 10), dtype=np.uint8)
    b[4:8, 5:10] = 1
    ours = masks.merge([compressed_of(a), uncompressed_of(b)], intersect=intersect)
    theirs = pycoco_mask.merge([pycoco_mask.encode(fortran(a)), pycoco_mask.encode(fortran(b))],
                               intersect=intersect)
    assert ours["counts"] == theirs["counts"].decode("ascii")


def test_iou_equals_pycocotools_iou():
    a, b = sample_mask(), np.zeros((8, 10), dtype=np.uint8)
    b[4:8, 5:10] = 1
    expected = pycoco_mask.iou([pycoco_mask.encode(fortran(a))], [pycoco_mask.encode(fortran(b))],
                               [0])[0][0]
    assert masks.iou(compressed_of(a), uncompressed_of(b)) == pytest.approx(float(expected))


def test_points_bbox_is_tight_around_the_points():
    assert points_bbox([3, 4, 1.5, 9, 7, 2]) == [1.5, 2, 5.5, 7]
    assert points_bbox([]) == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("rle", [
    compressed_of(sample_mask()), uncompressed_of(sample_mask()),
    {"size": [0, 0], "counts": []},
], ids=["compressed", "uncompressed", "empty-image"])
def test_check_rle_accepts_valid_masks(rle):
    masks.check_rle(rle, *rle["size"])


@pytest.mark.parametrize("rle, size, message", [
    ({"size": [8, 10], "counts": [10, 5]}, None, "RLE counts sum to 15, expected height*width = 80"),
    ({"size": [8, 10], "counts": [80, -1, 1]}, None, "RLE counts must be non-negative integers"),
    ({"size": [8, 10], "counts": [80.0]}, None, "RLE counts must be non-negative integers"),
    ({"size": [8, 10], "counts": 80}, None, "RLE counts must be a list or a string, got int"),
    ({"size": [8, 10], "counts": "@@@@"}, None,
     "compressed RLE counts decode to a run length outside the image"),
    # one character deleted from a valid string: pycocotools' decoder ran for minutes
    ({"size": [8, 10], "counts": compressed_of(sample_mask())["counts"][:2]
      + compressed_of(sample_mask())["counts"][3:]}, None, "compressed RLE counts decode to a"),
    ({"size": [8, 10], "counts": "1o"}, None,
     "compressed RLE counts end in the middle of a run length"),
    ({"size": [8, 10], "counts": "o" * 13 + "1"}, None,
     "a compressed RLE run length is longer than 12 characters"),
    ({"size": [8, 10], "counts": "1\u00e9"}, None, "compressed RLE counts must be ASCII"),
    ({"size": [8, 10], "counts": "1 "}, None, "compressed RLE counts hold a character"),
    ({"size": [1 << 20, 1 << 20], "counts": "1"}, None, "an image of 1048576x1048576 pixels"),
    ({"size": [8, 10], "counts": ""}, None, "RLE counts are empty"),
    ({"size": [8], "counts": [8]}, None, "RLE size must be [height, width], got [8]"),
    ({"size": [8, True], "counts": [8]}, None, "RLE size must be [height, width]"),
    ({"size": [5, 5], "counts": [25]}, (8, 10), "RLE size 5x5 (h x w) does not match the image 8x10"),
    ([1, 2], None, "RLE must be an object, got list"),
], ids=["sum", "negative", "float", "int-counts", "corrupt-string", "deleted-byte",
        "ends-mid-value", "long-value", "not-ascii", "bad-character", "too-big", "empty-string",
        "short-size",
        "bool-size", "size-mismatch", "not-a-dict"])
def test_check_rle_explains_what_is_wrong(rle, size, message):
    with pytest.raises(ValueError) as caught:
        masks.check_rle(rle, *(size or (None, None)))
    assert str(caught.value).startswith(message)


@settings(max_examples=30, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=st.integers(0, 1)))
def test_every_form_of_a_random_mask_agrees_with_pycocotools(array):
    reference = pycoco_mask.encode(fortran(array))
    compressed = masks.encode(array)
    uncompressed = masks.encode_uncompressed(array)
    assert compressed["counts"] == reference["counts"].decode("ascii")
    assert masks.compress(uncompressed) == compressed
    assert masks.uncompress(compressed) == uncompressed
    assert masks.area(uncompressed) == int(pycoco_mask.area(reference))
    assert masks.bbox(compressed) == [float(v) for v in pycoco_mask.toBbox(reference)]
    assert np.array_equal(masks.decode(uncompressed), array)
    masks.check_rle(uncompressed, *array.shape)
    masks.check_rle(compressed, *array.shape)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 10**7), min_size=1, max_size=30), min_size=1,
                max_size=6))
def test_counts_to_strings_equals_pycocotools_for_many_masks_at_once(runs):
    runs = [r for r in runs if sum(r)] or [[0, 1]]
    texts = masks.counts_to_strings(np.concatenate([np.asarray(r) for r in runs]),
                                    [len(r) for r in runs])
    for counts, text in zip(runs, texts):
        size = sum(counts)
        reference = pycoco_mask.frPyObjects({"size": [1, size], "counts": counts}, 1, size)
        assert text == reference["counts"].decode("ascii")


def test_counts_to_strings_keeps_differences_past_2_to_the_29():
    # pycocotools' own encoder overflows its buffer there; ours must still read back exactly
    counts = [0, 3 * 2**29, 5, 2**30 + 7]
    text = masks.counts_to_strings(np.asarray(counts), [4])[0]
    assert masks.counts_of({"size": [1, sum(counts)], "counts": text}).tolist() == counts


# -- rings rasterised only inside the image (cococonv.rings) ------------------------------
ring_coordinates = st.one_of(
    st.floats(-15, 75, allow_nan=False), st.integers(-5, 70).map(float),
    st.floats(-15, 75, allow_nan=False).map(lambda v: round(v, 2)),
    st.floats(-3000, 3000, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60),
       st.lists(st.tuples(ring_coordinates, ring_coordinates), min_size=3, max_size=12))
def test_rings_outside_the_image_rasterise_as_pycocotools_does(h, w, points):
    """cococonv.rings computes only the crossings inside the image, with pycocotools'
    arithmetic: the same RLE for rings inside, across and far outside the image."""
    from cococonv.rings import ring_to_counts

    ring = [float(v) for point in points for v in point]
    want = pycoco_mask.frPyObjects([ring], h, w)[0]["counts"].decode("ascii")
    assert masks.from_counts(ring_to_counts(ring, h, w), h, w)["counts"] == want


def test_a_ring_pycocotools_would_walk_for_long_is_rasterised_inside_the_image_only():
    # x = 1e6 on a 512 image: pycocotools walks 5 million steps; same pixels either way
    ring = [10.0, 10.0, 1e6, 10.0, 100.0, 300.0]
    want = pycoco_mask.frPyObjects([ring], 512, 512)[0]["counts"].decode("ascii")
    assert masks.polygons_to_rles([ring], 512, 512)[0]["counts"] == want
    # past pycocotools' 32-bit range (it overflows there): computed all the same; inside
    # the image the far edge is as flat as at 1e6, so the area is the same
    far = masks.polygons_to_rle([[10.0, 10.0, 2.0 ** 31, 10.0, 100.0, 300.0]], 512, 512)
    assert masks.area(far) == masks.area({"size": [512, 512], "counts": want})


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10 ** 400, 1e300])
def test_a_coordinate_that_is_not_a_finite_number_is_a_limit_error(value):
    from cococonv.limits import LimitError

    with pytest.raises(LimitError, match="coordinate is not a"):
        masks.polygons_to_rles([[1.0, 1.0, value, 1.0, 5.0, 5.0]], 8, 10)


def test_decoding_a_mask_past_the_pixel_limit_is_refused_before_allocating():
    from cococonv.limits import MAX_MASK_PIXELS, LimitError

    side = 1 << 15  # 2**30 pixels, 4x the limit; RLE area and box need no pixels
    rle = masks.from_counts([side * side], side, side)
    assert side * side > MAX_MASK_PIXELS and masks.area(rle) == 0
    with pytest.raises(LimitError, match="above the limit of 268435456"):
        masks.decode(rle)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=300), st.integers(1, 60))
def test_check_rle_decodes_long_strings_chunk_by_chunk_as_pycocotools_does(runs, chunk):
    """The chunked check sums the same run lengths as pycocotools' decoder, wherever the
    chunks are cut (a chunk of a few characters here, 256 KiB in use)."""
    import cococonv.masks as m

    runs[0] += 1  # a non-empty image
    text = masks.counts_to_strings(np.asarray(runs), [len(runs)])[0]
    before = m._CHECK_CHUNK
    m._CHECK_CHUNK = chunk
    try:
        assert m._checked_total(text, sum(runs)) == sum(runs)
    finally:
        m._CHECK_CHUNK = before
    rle = pycoco_mask.frPyObjects({"size": [1, sum(runs)], "counts": runs}, 1, sum(runs))
    assert rle["counts"].decode("ascii") == text


def test_check_rle_of_a_20_million_character_string_holds_a_few_mib():
    import tracemalloc

    height, width = 4000, 5000
    # 20 million runs of 0 (valid, if odd), then one run over the whole image
    text = "0" * 20_000_000 + masks.counts_to_strings(
        np.asarray([0] * 3 + [height * width]), [4])[0][3:]
    tracemalloc.start()
    try:
        masks.check_rle({"size": [height, width], "counts": text}, height, width)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20  # the string's bytes (20 MiB) and one chunk; whole: 1.1 GiB
