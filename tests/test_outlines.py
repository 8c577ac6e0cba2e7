"""cococonv.outlines: the per-item work of segmentation_mode, for the transforms' rules and
for the COCO exporter's (which calls it instead of a mode of its own)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import cococonv
from cococonv import masks
from cococonv.model import Bbox, Categories, Dataset, Ellipse, Image, Item, Mask, Polygon
from cococonv.outlines import OutlineRules, reform_outlines
from cococonv.report import Report

SQUARE = [2.0, 2.0, 6.0, 2.0, 6.0, 6.0, 2.0, 6.0]
COCO_LIKE = OutlineRules(whole_objects=True, all_outlines=True, crowd_list_counts=True,
                         keep_measures=True, count_rasterised=False)


def _two_blobs() -> dict:
    """One mask of two separate squares: it traces into two rings."""
    pixels = np.zeros((12, 12), dtype=np.uint8)
    pixels[1:4, 1:4] = 1
    pixels[7:10, 7:10] = 1
    return masks.encode(pixels)


def _item(*annotations) -> Item:
    return Item("x", "val", Image("x.jpg", (12, 12)), list(annotations))


def test_mask_mode_joins_an_objects_polygon_and_ellipse_into_one_crowd_rle_keeping_its_area():
    polygon = Polygon(id=5, label=0, group=1, points=SQUARE, attributes={"is_crowd": True},
                      declared_area=99.0, declared_bbox=[2, 2, 4, 4])
    ellipse = Ellipse(id=6, label=0, group=1, cx=9, cy=9, rx=1, ry=1,
                      attributes={"rotation": 0.0})
    item = _item(polygon, ellipse)
    report = Report(quiet=True)
    (mask,) = reform_outlines(item, "mask", report, COCO_LIKE)
    assert type(mask) is Mask and mask.id == 5
    assert isinstance(mask.rle["counts"], list)  # crowd: list counts, as COCO writes them
    assert (mask.declared_area, mask.declared_bbox) == (99.0, [2, 2, 4, 4])
    assert masks.area(mask.rle) > masks.polygons_area([SQUARE], 12, 12)  # the ellipse too
    assert item.annotations == [polygon, ellipse]  # the item is not modified
    assert report.approximations == {("ellipses", "written as 64-point polygons"): 1}
    plain = reform_outlines(item, "mask", Report(quiet=True))  # the transform's rules:
    assert [type(a) for a in plain] == [Mask, Ellipse]  # ellipses stay, measures forgotten
    assert plain[0].declared_area is None and isinstance(plain[0].rle["counts"], str)


def test_mask_mode_leaves_a_coco_object_that_holds_a_mask_to_the_record_step():
    mask = Mask(id=1, label=0, group=2, rle=_two_blobs())
    item = _item(mask, Polygon(id=1, label=0, group=2, points=SQUARE))
    assert reform_outlines(item, "mask", Report(quiet=True), COCO_LIKE) is None
    assert reform_outlines(item, "mask", Report(quiet=True)) is not None


def test_polygons_mode_gives_each_multi_ring_mask_its_own_group():
    item = _item(Mask(id=1, label=0, rle=_two_blobs()), Mask(id=2, label=0, rle=_two_blobs()),
                 Bbox(id=3, label=0, group=1))
    annotations = reform_outlines(item, "polygons", Report(quiet=True))
    groups = [(a.id, a.group) for a in annotations if type(a) is Polygon]
    assert groups == [(1, 2), (1, 2), (2, 3), (2, 3)]  # not the group the box has, nor shared


def test_coco_polygons_mode_writes_two_traced_multi_ring_masks_as_two_records(tmp_path: Path):
    categories = Categories()
    categories.add("blob", id=1)
    data = Dataset(categories, [_item(Mask(id=1, label=0, rle=_two_blobs()),
                                      Mask(id=2, label=0, rle=_two_blobs()))])
    report = Report(quiet=True)
    cococonv.save(data, "coco", str(tmp_path / "out"), report=report,
                  segmentation_mode="polygons")
    doc = json.loads((tmp_path / "out/annotations/instances_val.json").read_bytes())
    assert [(a["id"], len(a["segmentation"]), a["area"]) for a in doc["annotations"]] == \
        [(1, 2, 18), (2, 2, 18)]
    assert report.approximations[("masks", "traced into polygons")] == 2
    assert [type(a) for a in next(iter(data)).annotations] == [Mask, Mask]  # input unchanged
