"""cococonv.chain: --segmentation-mode and --crop-covered for every exporter, from Python."""
from __future__ import annotations

import pytest

import cococonv
from cococonv.chain import split_export_options
from cococonv.errors import CococonvError
from cococonv.model import Bbox, Categories, Dataset, Image, Item, Polygon
from cococonv.registry import default_registry
from cococonv.report import Report

SQUARE = [2.0, 2.0, 6.0, 2.0, 6.0, 6.0, 2.0, 6.0]


def _dataset() -> Dataset:
    categories = Categories()
    categories.add("cat")
    return Dataset(categories, [Item("x", image=Image("x.jpg", (10, 10)), annotations=[
        Polygon(id=1, label=0, points=SQUARE), Bbox(id=2, label=0, x=4, y=4, w=4, h=4)])])


def test_the_coco_exporter_keeps_its_own_options():
    coco = default_registry().exporter("coco")
    own, chain = split_export_options(coco, {"segmentation_mode": "mask", "crop_covered": True})
    assert own == {"segmentation_mode": "mask", "crop_covered": True} and chain == []


def test_other_exporters_run_the_transforms_in_order():
    voc = default_registry().exporter("voc")
    own, chain = split_export_options(voc, {"segmentation_mode": "MASK", "crop_covered": "true",
                                            "tasks": ["detection"]})
    assert own == {"tasks": ["detection"]}
    assert chain == [("crop_covered", {}), ("segmentation_mode", {"segmentation_mode": "mask"})]
    assert split_export_options(voc, {"segmentation_mode": "guess", "crop_covered": False}) \
        == ({}, [])
    with pytest.raises(CococonvError, match="'rings' is not one of"):
        split_export_options(voc, {"segmentation_mode": "rings"})


@pytest.mark.parametrize("fmt", ["voc", "cvat", "labelme"])
def test_save_with_the_coco_options_to_another_format(tmp_path, fmt):
    report = Report(quiet=True)
    cococonv.save(_dataset(), fmt, str(tmp_path / fmt), report=report, crop_covered=True,
                  segmentation_mode="mask")
    found = report.as_dict()["approximated"]
    assert {"what": "covered objects", "how": "cropped into RLE masks (--crop-covered)",
            "count": 1} in found
    # the cropped polygon is a mask already: nothing is left for the segmentation mode
    assert report.dataset is not None
    kinds = [type(a).kind for a in next(iter(report.dataset)).annotations]
    assert kinds == ["mask", "bbox"]
