"""cococonv.annotation_diff: pairing and the changes it names, kind by kind."""
from __future__ import annotations

from cococonv import masks
from cococonv.annotation_diff import box_iou, changes, match, same_shape
from cococonv.model import Bbox, Caption, Mask, Points, Polygon

NAMES = (["a", "b"], ["a", "b"])


def _mask(x: int) -> Mask:
    ring = [x, 2, x + 4, 2, x + 4, 6, x, 6]
    return Mask(label=0, rle=masks.polygons_to_rle([ring], 10, 10))


def test_box_iou():
    assert box_iou([0, 0, 2, 2], [1, 0, 2, 2]) == 2 / 6
    assert box_iou([0, 0, 1, 1], [5, 5, 1, 1]) == 0.0
    assert box_iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0


def test_masks_compare_by_pixels_not_by_encoding():
    a = _mask(1)
    same = Mask(label=0, rle=masks.uncompress(a.rle))
    assert same_shape(a, same, 0.0)
    assert not same_shape(a, _mask(3), 0.0)


def test_points_visibility_counts_as_geometry():
    a = Points(label=0, points=[1, 1, 2, 2], visibility=[2, 2])
    b = Points(label=0, points=[1, 1, 2, 2], visibility=[2, 1])
    assert changes(a, b, NAMES, 0.01) == ["geometry"]


def test_one_id_of_two_kinds_is_a_kind_change():
    pairs, removed, added = match([Bbox(id=3, label=0, w=2, h=2)],
                                  [Polygon(id=3, label=0, points=[0, 0, 2, 0, 2, 2])], 0.5)
    assert removed == added == []
    assert changes(*pairs[0][:2], NAMES, 0.01) == ["kind bbox -> polygon"]


def test_rings_of_one_id_pair_in_order_and_captions_by_text():
    left = [Polygon(id=1, label=0, points=[0, 0, 1, 0, 1, 1]),
            Polygon(id=1, label=0, points=[5, 5, 6, 5, 6, 6]), Caption(caption="dog")]
    right = [Polygon(id=1, label=0, points=[0, 0, 1, 0, 1, 1]),
             Polygon(id=1, label=0, points=[5, 5, 6, 5, 6, 7]), Caption(caption="dog")]
    pairs, removed, added = match(left, right, 0.5)
    assert [how for _, _, how in pairs] == ["id", "id", "iou"]
    assert [changes(a, b, NAMES, 0.01) for a, b, _ in pairs] == [[], ["geometry"], []]
    assert removed == added == []


def test_overlap_pairs_stay_within_a_label():
    pairs, removed, added = match([Bbox(label=0, w=4, h=4)], [Bbox(label=1, w=4, h=4)], 0.5)
    assert pairs == [] and len(removed) == 1 and len(added) == 1
