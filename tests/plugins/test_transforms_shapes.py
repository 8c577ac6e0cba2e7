"""polygons_to_masks, masks_to_polygons, segmentation_mode, boxes_to_polygons,
shapes_to_boxes and merge_instance_segments."""
from __future__ import annotations

import numpy as np
import pytest

from cococonv import masks
from cococonv.model import Bbox, Ellipse, Mask, Points, Polygon, Polyline

from .transform_helpers import counted, dataset_of, item, run

SQUARE = [2.0, 2.0, 6.0, 2.0, 6.0, 6.0, 2.0, 6.0]


def _square_mask() -> dict:
    pixels = np.zeros((10, 10), dtype=np.uint8)
    pixels[2:6, 2:6] = 1
    return masks.encode(pixels)


def test_segmentation_mode_mask_rasterises_polygons_and_polygons_traces_masks():
    data = dataset_of(["a"], [item("x", Polygon(id=1, label=0, points=SQUARE)),
                              item("y", Polygon(id=2, label=0, points=SQUARE), size=None)])
    data, report = run(data, "segmentation_mode", segmentation_mode="mask")
    kinds = [[type(a).kind for a in i.annotations] for i in data]
    assert kinds == [["mask"], ["polygon"]]
    assert counted(report, "polygons", "rasterised") == 1
    assert counted(report, "polygons", "kept as polygons: image size unknown") == 1
    data, report = run(data, "segmentation_mode", segmentation_mode="POLYGONS")
    assert [[type(a).kind for a in i.annotations] for i in data] == [["polygon"], ["polygon"]]
    assert counted(report, "masks", "traced") == 1
    data, report = run(data, "segmentation_mode")  # guess: nothing changes
    assert report["lost"] == [] and report["approximated"] == []


def test_polygons_to_masks_makes_one_mask_per_group_and_back():
    data = dataset_of(["a"], [item("x", Polygon(id=1, label=0, group=1, points=SQUARE),
                                   Polygon(id=2, label=0, group=1,
                                           points=[7, 7, 9, 7, 9, 9, 7, 9]))])
    data, _ = run(data, "polygons_to_masks")
    (mask,) = next(iter(data)).annotations
    assert type(mask) is Mask and mask.id == 1
    data, report = run(data, "masks_to_polygons")
    assert [type(a).kind for a in next(iter(data)).annotations] == ["polygon", "polygon"]


def test_boxes_to_polygons_keeps_the_bounding_box_of_an_outline():
    data = dataset_of(["a"], [item("x", Bbox(id=1, label=0, x=1, y=2, w=3, h=4),
                                   Bbox(id=2, label=0, group=5, x=0, y=0, w=6, h=6),
                                   Polygon(id=3, label=0, group=5, points=SQUARE),
                                   Bbox(id=4, label=0, x=0, y=0, w=2, h=2,
                                        attributes={"rotation": 90.0, "occluded": True}))])
    data, report = run(data, "boxes_to_polygons")
    anns = next(iter(data)).annotations
    assert [type(a).kind for a in anns] == ["polygon", "bbox", "polygon", "polygon"]
    assert anns[0].points == [1, 2, 4, 2, 4, 6, 1, 6]
    assert anns[3].attributes == {"occluded": True}
    assert anns[3].points == pytest.approx([2, 0, 2, 2, 0, 2, 0, 0], abs=1e-9)
    assert counted(report, "boxes", "4-point") == 2
    assert counted(report, "boxes turned into polygons", "kept as boxes") == 1


def test_shapes_to_boxes_gives_each_shape_or_object_its_box():
    data = dataset_of(["a"], [item(
        "x", Polygon(id=1, label=0, group=2, points=SQUARE),
        Polygon(id=2, label=0, group=2, points=[7, 7, 9, 7, 9, 9]),
        Mask(id=3, label=0, rle=_square_mask()), Ellipse(id=4, label=0, cx=5, cy=5, rx=2, ry=1),
        Polyline(id=5, label=0, points=[0, 0, 3, 1]),
        Points(id=6, label=0, points=[1, 1, 8, 8], visibility=[2, 0]),
        Points(id=7, label=0, points=[1, 1], visibility=[0]))])
    data, report = run(data, "shapes_to_boxes")
    boxes = [(a.id, a.bounds()) for a in next(iter(data)).annotations]
    assert boxes == [(1, [2, 2, 7, 7]), (3, [2, 2, 4, 4]), (4, [3, 4, 4, 2]),
                     (5, [0, 0, 3, 1]), (6, [1, 1, 0, 0])]
    assert counted(report, "polygon annotations") == 2
    assert counted(report, "shapes with no extent") == 1


def test_merge_instance_segments_joins_the_masks_of_one_instance():
    left = np.zeros((10, 10), dtype=np.uint8)
    left[0:3, 0:3] = 1
    data = dataset_of(["a", "b"], [item(
        "x", Mask(id=1, label=0, group=1, rle=masks.encode(left)),
        Mask(id=2, label=0, group=1, rle=_square_mask()),
        Polygon(id=3, label=0, group=1, points=[7, 7, 9, 7, 9, 9]),
        Mask(id=4, label=1, group=1, rle=_square_mask()))])
    data, report = run(data, "merge_instance_segments")
    anns = next(iter(data)).annotations
    assert [(a.id, type(a).kind) for a in anns] == [(1, "mask"), (3, "polygon"), (4, "mask")]
    assert masks.area(anns[0].rle) == 9 + 16 - 1  # the two overlap in one pixel
    assert counted(report, "instance segments", "joined") == 2
    data, _ = run(data, "merge_instance_segments", include_polygons=True)
    assert [a.id for a in next(iter(data)).annotations] == [1, 4]
