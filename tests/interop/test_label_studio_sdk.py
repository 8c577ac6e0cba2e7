"""Our Label Studio brush RLE and rotated boxes against Label Studio's own converter
(label-studio-sdk, ``label_studio_sdk.converter``): their decoder reads what we encode,
ours reads what they encode, a rotated box has the corners their OBB export gives, and
their COCO export of our tasks has our boxes and polygons."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cococonv
from cococonv.geometry import box_corners
from cococonv.report import Report
from cococonv_plugins.label_studio import brush

from .conftest import consumer

DATA = Path(__file__).parents[1] / "data" / "label_studio"


def _mask(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = rng.random((height, width)) > 0.7
    mask[height // 3:, : width // 2] = True
    return mask


@pytest.mark.parametrize("height,width", [(1, 1), (7, 13), (48, 64), (129, 257)])
def test_their_decoder_reads_our_brush_rle(height, width):
    sdk = consumer("label_studio_sdk.converter.brush")
    mask = _mask(height, width, height)
    decoded = np.asarray(sdk.decode_rle(brush.encode(mask))).reshape(height, width, 4)
    assert (decoded[:, :, 3] > 0).tolist() == mask.tolist()


@pytest.mark.parametrize("height,width", [(3, 5), (48, 64), (100, 33)])
def test_we_read_their_brush_rle(height, width):
    sdk = consumer("label_studio_sdk.converter.brush")
    mask = _mask(height, width, width)
    theirs = sdk.mask2rle(mask.astype(np.uint8) * 255)
    assert brush.decode(theirs, height, width).tolist() == mask.tolist()


def test_rotated_boxes_have_the_corners_of_their_obb_export():
    utils = consumer("label_studio_sdk.converter.utils")
    source = DATA / "yolo_obb"
    tasks = json.loads((source / "data_obb.json").read_text())
    ds = cococonv.load(str(source), "label_studio", report=Report(quiet=True))
    boxes = [a for item in ds for a in item.annotations]
    expected = []
    for task in tasks:
        for result in task["annotations"][0]["result"]:
            label = dict(result["value"], original_width=result["original_width"],
                         original_height=result["original_height"])
            expected.append(utils.convert_annotation_to_yolo_obb(label, normalize=False))
    assert len(boxes) == len(expected) == 25
    assert any(b.attributes.get("rotation") for b in boxes)
    for box, corners in zip(boxes, expected):
        ours = box_corners(box)
        theirs = [v for corner in corners for v in corner]
        assert np.allclose(ours, theirs, atol=1e-6), (ours, theirs)


def test_their_coco_converter_reads_our_export(tmp_path, monkeypatch):
    converter = consumer("label_studio_sdk.converter")
    from cococonv.model import Bbox, Categories, Dataset, Image, Item, Polygon

    cats = Categories()
    cats.add("car")
    cats.add("dog")
    items = [Item(f"im{k}", image=Image(f"im{k}.jpg", (60, 80)), annotations=[
        Bbox(label=0, x=10 + k, y=5, w=20, h=10),
        Polygon(label=1, points=[1, 1, 30, 2, 20, 25])]) for k in range(3)]
    out = tmp_path / "ours"
    cococonv.save(Dataset(cats, items), "label_studio", str(out), report=Report(quiet=True))
    monkeypatch.chdir(tmp_path)
    theirs = converter.Converter(config=str(out / "labeling_config.xml"),
                                 project_dir=str(tmp_path), download_resources=False)
    theirs.convert_to_coco(str(out / "default.json"), str(tmp_path / "coco"), is_dir=False)
    doc = json.loads((tmp_path / "coco" / "result.json").read_text())
    assert [c["name"] for c in doc["categories"]] == ["car", "dog"]
    got = [(a["category_id"], a["bbox"], a["segmentation"]) for a in doc["annotations"]]
    assert len(got) == 6
    for k in range(3):
        box, poly = got[2 * k], got[2 * k + 1]
        assert box[0] == 0 and np.allclose(box[1], [10 + k, 5, 20, 10])
        assert poly[0] == 1 and np.allclose(poly[2][0], [1, 1, 30, 2, 20, 25])
