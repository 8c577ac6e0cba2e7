"""Label Studio JSON exports from label-studio-sdk's test data (tests/data/real, see its
README): remote image URLs with predictions, an upload path, a multi-image task; and a
task written by the sdk's own brush encoder when it is installed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cococonv
from cococonv import masks
from cococonv.errors import DataError
from cococonv.report import Report

JSON = Path(__file__).resolve().parents[1] / "data" / "real" / "label_studio_sdk" / "json"


def load(path, **options):
    return cococonv.load(str(path), report=Report(quiet=True), **options)


def test_remote_urls_with_annotations_and_predictions(tmp_path):
    path = JSON / "csv_test.json"
    assert cococonv.detect(str(path))[0][0] == "label_studio"
    report = Report(quiet=True)
    dataset = cococonv.load(str(path), report=report)
    assert [(item.id, item.image.name, item.image.size) for item in dataset] == [
        ("open-images/train_0/mini/0030019819f25b28",
         "open-images/train_0/mini/0030019819f25b28.jpg", (576, 768)),
        ("open-images/train_0/mini/00155094b7acc33b",
         "open-images/train_0/mini/00155094b7acc33b.jpg", (510, 768))]
    assert [len(item.annotations) for item in dataset] == [1, 2]
    assert report.losses[("predictions", "not read without --predictions; only a "
                                         "label_studio output keeps them")] == 2
    assert {a.attributes["annotator"] for item in dataset for a in item.annotations} == \
        {"hakan@heartex.com"}
    both = load(path, predictions=True)
    scored = [(a.attributes.get("annotator"), round(a.attributes["score"], 4))
              for item in both for a in item.annotations if "score" in a.attributes]
    assert ("model 0", 0.2305) in scored and len([a for item in both
                                                  for a in item.annotations]) == 5
    for fmt in ("coco", "cvat"):
        cococonv.convert(str(path), str(tmp_path / fmt), output_format=fmt,
                         input_options={"predictions": True}, report=Report(quiet=True))
    coco = json.loads(next((tmp_path / "coco/annotations").glob("*.json")).read_text())
    assert len(coco["annotations"]) == 5
    assert (tmp_path / "cvat/annotations.xml").read_text().count("<box ") == 5


def test_an_upload_path_names_the_image_by_its_file_name():
    dataset = load(JSON / "upload_polygon.json")
    item = next(iter(dataset))
    assert (item.id, item.image.name, item.image.size) == ("example", "example.png",
                                                           (128, 128))
    assert [a.kind for a in item.annotations] == ["polygon"]


def test_a_task_of_several_images_is_one_line():
    with pytest.raises(DataError, match=r"repeater.json: \[0\]\.data: a task of several "
                                        r"images \(data.images, a list\)"):
        load(JSON / "repeater.json")


def test_a_brush_task_made_by_the_sdks_own_encoder_reads_back_its_mask(tmp_path):
    brush = pytest.importorskip("label_studio_sdk.converter.brush")
    mask = np.zeros((30, 40), np.uint8)
    mask[5:20, 8:30] = 255
    mask[22:, :4] = 255
    task = {"data": {"image": "s3://bucket/scans/a.png"}, "predictions": [{
        "model_version": "v1", "score": 0.5, "result": [{
            "from_name": "tag", "to_name": "image", "type": "brushlabels",
            "original_width": 40, "original_height": 30,
            "value": {"format": "rle", "rle": brush.mask2rle(mask),
                      "brushlabels": ["lesion"]}}]}]}
    (tmp_path / "task.json").write_text(json.dumps(task))
    item = next(iter(load(tmp_path / "task.json", predictions=True)))
    ann = item.annotations[0]
    assert (item.id, ann.kind, ann.attributes["score"]) == ("scans/a", "mask", 0.5)
    assert masks.decode(ann.rle).astype(bool).tolist() == (mask > 0).tolist()
