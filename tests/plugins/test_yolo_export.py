"""Writing YOLO: tasks, data.yaml, the meta file, traced masks, round trips."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cococonv
from cococonv import masks
from cococonv.model import (Bbox, Caption, Categories, Dataset, Ellipse, Image, Item,
                            KeypointSchema, Mask, Points, Polygon)
from cococonv.report import Report
from cococonv_plugins.yolo.flips import flip_index
from cococonv_plugins.yolo.yamlfile import load_yaml

from ..builders import files_under, jpeg, write_files
from .yolo_helpers import instances_pairs

DATA = Path(__file__).resolve().parents[1] / "data" / "yolo_datumaro"


def save(dataset, out, **options):
    report = Report(quiet=True)
    cococonv.save(dataset, "yolo", str(out), report=report, **options)
    return report


def losses(report):
    return {what for (what, _why) in report.losses}


def one_item(*annotations, size=(50, 100), categories=None):
    if categories is None:
        categories = Categories()
        categories.add("cat", id=7, parent="animal")
        categories.add("dog", id=3)
    item = Item(id="a", subset="train", image=Image(name="a.jpg", size=size),
                annotations=list(annotations))
    return Dataset(categories, [item])


def label_lines(out, subset="train", item="a"):
    return (out / "labels" / subset / f"{item}.txt").read_text().splitlines()


def test_detect_lines_data_yaml_and_meta(tmp_path):
    out = tmp_path / "y"
    save(one_item(Bbox(label=1, x=10, y=5, w=20, h=10)), out)
    assert label_lines(out) == ["1 0.2 0.2 0.2 0.2"]
    doc = load_yaml((out / "data.yaml").read_bytes(), "data.yaml")
    assert doc == {"train": "images/train", "val": "images/train", "nc": 2,
                   "names": {0: "cat", 1: "dog"}}
    meta = json.loads((out / "yolo_meta.json").read_bytes())
    assert meta["classes"] == [{"name": "cat", "id": 7, "supercategory": "animal"},
                               {"name": "dog", "id": 3, "supercategory": ""}]
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    assert [(label.name, label.id, label.parent) for label in back.categories.labels] == \
        [("cat", 7, "animal"), ("dog", 3, "")]
    assert [(item.subset, item.id) for item in back] == [("train", "a")]


def test_segment_task_boxes_as_polygons_read_back_as_boxes(tmp_path):
    out = tmp_path / "y"
    report = save(one_item(Bbox(label=0, x=10, y=5, w=20, h=10),
                           Polygon(label=1, points=[0, 0, 50, 0, 50, 25])), out)
    assert label_lines(out) == ["0 0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3",
                                "1 0 0 0.5 0 0.5 0.5"]
    assert ("boxes", "written as 4-corner polygons (a segment dataset holds polygons "
                     "only)") in report.approximations
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    kinds = [a.kind for a in back.get("train", "a").annotations]
    assert kinds == ["bbox", "polygon"]


def test_mask_traced_exactly_and_holes_filled(tmp_path):
    array = np.zeros((50, 100), np.uint8)
    array[10:20, 10:40] = 1
    ring = np.zeros((50, 100), np.uint8)
    ring[25:45, 50:80] = 1
    ring[30:40, 60:70] = 0
    out = tmp_path / "y"
    report = save(one_item(Mask(label=0, rle=masks.encode(np.asfortranarray(array))),
                           Mask(label=1, rle=masks.encode(np.asfortranarray(ring)),
                                attributes={"is_crowd": True})), out)
    assert report.approximations[("masks", "traced into exact polygons")] == 1
    assert report.approximations[("masks", "holes filled: a YOLO polygon has no holes")] == 1
    assert report.losses[("attributes", "a YOLO line holds no attributes (a score only "
                                        "with --save-scores)")] == 1
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    first, second = back.get("train", "a").annotations
    assert masks.area(masks.polygons_to_rle([first.points], 50, 100)) == 300
    assert masks.area(masks.polygons_to_rle([second.points], 50, 100)) == 600


def test_pose_kpt_shape_flip_idx_and_boxes_without_points(tmp_path):
    categories = Categories()
    person = categories.add("person")
    categories.add("ball")
    categories.keypoints[person] = KeypointSchema(["nose", "left_eye", "right_eye"],
                                                  [[1, 2], [1, 3]])
    out = tmp_path / "y"
    report = save(one_item(Bbox(label=0, group=1, x=10, y=10, w=20, h=20),
                           Points(label=0, group=1, points=[15, 15, 20, 12, 0, 0],
                                  visibility=[2, 1, 0]),
                           Bbox(label=1, x=0, y=0, w=10, h=10),
                           categories=categories), out)
    doc = load_yaml((out / "data.yaml").read_bytes(), "data.yaml")
    assert doc["kpt_shape"] == [3, 3] and doc["flip_idx"] == [0, 2, 1]
    assert label_lines(out) == ["0 0.2 0.4 0.2 0.4 0.15 0.3 2 0.2 0.24 1 0 0 0",
                                "1 0.05 0.1 0.1 0.2 0 0 0 0 0 0 0 0 0"]
    assert not report.losses
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    assert back.categories.keypoints[0].names == ["nose", "left_eye", "right_eye"]
    box, points, ball = back.get("train", "a").annotations
    assert points.visibility == [2, 1, 0] and box.group == points.group
    assert ball.kind == "bbox" and ball.group == 0


def test_flip_index():
    assert flip_index(["nose", "left_eye", "right_eye", "Left hand", "Right hand"]) == \
        [0, 2, 1, 4, 3]
    assert flip_index(["a", "b"]) is None
    assert flip_index(["left_eye", "nose"]) is None


def test_obb_task_writes_rotated_corners(tmp_path):
    out = tmp_path / "y"
    save(one_item(Bbox(label=0, x=40, y=15, w=20, h=20, attributes={"rotation": 45.0})),
         out, task="obb")
    values = [float(v) for v in label_lines(out)[0].split()[1:]]
    assert len(values) == 8
    assert values[0] == pytest.approx(0.5) and values[1] == pytest.approx(0.3 - 0.08284, abs=1e-4)
    meta = json.loads((out / "yolo_meta.json").read_bytes())
    assert meta["task"] == "obb"
    again = tmp_path / "again"  # yolo -> yolo keeps the task: the 4-point polygons stay OBB
    cococonv.convert(str(out), str(again), input_format="yolo", output_format="yolo",
                     report=Report(quiet=True))
    assert json.loads((again / "yolo_meta.json").read_bytes())["task"] == "obb"
    assert label_lines(again) == label_lines(out)


def test_what_yolo_cannot_hold_is_reported(tmp_path):
    report = save(one_item(Caption(caption="x"), Ellipse(label=0, cx=5, cy=5, rx=2, ry=2),
                           Bbox(label=None, x=1, y=1, w=2, h=2),
                           Bbox(label=0, x=1, y=1, w=2, h=2, attributes={"score": 0.5})),
                  tmp_path / "y")
    assert {"captions", "ellipses", "annotations", "attributes"} <= losses(report)
    scored = tmp_path / "s"
    save(one_item(Bbox(label=0, x=0, y=0, w=50, h=25, attributes={"score": 0.5})), scored,
         save_scores=True)
    assert label_lines(scored) == ["0 0.25 0.25 0.5 0.5 0.5"]
    back = cococonv.load(str(scored), "yolo", report=Report(quiet=True))
    assert back.get("train", "a").annotations[0].attributes == {"score": 0.5}


def test_unknown_size_is_reported_not_guessed(tmp_path):
    dataset = one_item(Bbox(label=0, x=1, y=1, w=2, h=2), size=None)
    report = save(dataset, tmp_path / "y")
    assert report.losses[("annotations", "the image size is unknown, and YOLO coordinates "
                                         "are fractions of it")] == 1


def test_save_images_and_unlabelled_items_keep_no_label_file(tmp_path):
    root = write_files(tmp_path / "in", {
        "data.yaml": "train: images/train\nval: images/train\nnames: [a]\n",
        "images/train/x.jpg": jpeg(), "labels/train/x.txt": "0 0.5 0.5 0.5 0.5\n",
        "images/train/y.jpg": jpeg(), "labels/train/y.txt": "",
        "images/train/z.jpg": jpeg()})
    out = tmp_path / "out"
    cococonv.convert(str(root), str(out), input_format="yolo", output_format="yolo",
                     output_options={"save_images": True}, report=Report(quiet=True))
    assert [f for f in files_under(out) if f != "yolo_meta.json"] == [
        "data.yaml", "images/train/x.jpg", "images/train/y.jpg", "images/train/z.jpg",
        "labels/train/x.txt", "labels/train/y.txt"]
    assert (out / "labels/train/x.txt").read_text() == "0 0.5 0.5 0.5 0.5\n"
    assert (out / "images/train/x.jpg").read_bytes() == jpeg()


@pytest.mark.parametrize("folder", ["yolov8", "yolov8_segmentation", "yolov8_pose",
                                    "yolov8_oriented_boxes", "roboflow_yolo"])
def test_yolo_to_yolo_keeps_every_label_line(tmp_path, folder):
    out = tmp_path / "out"
    report = Report(quiet=True)
    cococonv.convert(str(DATA / folder), str(out), input_format="yolo",
                     output_format="yolo", report=report)
    # the OBB file has a corner at y = -0.0098: Ultralytics refuses values out of 0..1
    clipped = report.approximations.get(("shapes", "clipped to the image (YOLO coordinates "
                                                   "lie in 0..1)"), 0)
    assert clipped == (folder == "yolov8_oriented_boxes")
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    first = cococonv.load(str(DATA / folder), "yolo", report=Report(quiet=True))
    for item in first:
        again = back.get(item.subset, item.id)
        assert [a.kind for a in again.annotations] == [a.kind for a in item.annotations]
        for a, b in zip(item.annotations, again.annotations):
            geometry = (lambda s: list(s.points) if hasattr(s, "points") else
                        [s.x, s.y, s.w, s.h])
            assert geometry(b) == pytest.approx(geometry(a), abs=0.1 if clipped else 1e-6)


def test_coco_to_yolo_to_coco_keeps_boxes_polygons_ids_and_names(tmp_path, fixtures_root):
    COCO_INSTANCES = fixtures_root / "datumaro" / "coco_dataset" / "coco_instances"
    yolo, coco = tmp_path / "y", tmp_path / "c"
    cococonv.convert(str(COCO_INSTANCES), str(yolo), input_format="coco",
                     output_format="yolo", report=Report(quiet=True))
    cococonv.convert(str(yolo), str(coco), output_format="coco", report=Report(quiet=True))
    for _subset, before, after in instances_pairs(COCO_INSTANCES, coco):
        size = max(before["images"][0]["width"], before["images"][0]["height"])
        for a, b in zip(before["annotations"], after["annotations"]):
            assert b["category_id"] == a["category_id"]
            if not isinstance(a["segmentation"], list):
                # a crowd RLE, traced: its box is its pixels' (the file declares one
                # pixel less, datumaro's old w - 1)
                assert b["iscrowd"] == 0 and len(b["segmentation"]) == 1
                continue
            assert b["bbox"] == pytest.approx(a["bbox"], abs=1e-6 * size)
            if isinstance(a["segmentation"], list):
                assert len(b["segmentation"]) == len(a["segmentation"])
                for ring_a, ring_b in zip(a["segmentation"], b["segmentation"]):
                    assert ring_b == pytest.approx(ring_a, abs=1e-6 * size)
        assert len(after["annotations"]) == len(before["annotations"])


def test_subset_names_round_trip_and_reserved_keys(tmp_path):
    categories = Categories()
    categories.add("cat")
    items = [Item(id=f"i{k}", subset=subset, image=Image(name=f"i{k}.jpg", size=(10, 10)),
                  annotations=[Bbox(label=0, x=1, y=1, w=2, h=2)])
             for k, subset in enumerate(["default", "names", "default"])]
    out = tmp_path / "y"
    save(Dataset(categories, items), out)
    doc = load_yaml((out / "data.yaml").read_bytes(), "data.yaml")
    assert doc["subset_names"] == "images/names" and doc["names"] == {0: "cat"}
    assert doc["train"] == "images/default" and doc["val"] == "images/names"
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    assert [(item.subset, item.id) for item in back] == \
        [("default", "i0"), ("default", "i2"), ("names", "i1")]


def test_pose_box_from_the_declared_bbox(tmp_path):
    categories = Categories()
    categories.add("person")
    categories.keypoints[0] = KeypointSchema(["a", "b"], [])
    points = Points(label=0, points=[20, 10, 30, 20], visibility=[2, 2],
                    declared_bbox=[10.0, 5.0, 40.0, 30.0])
    out = tmp_path / "y"
    report = save(one_item(points, categories=categories), out)
    assert label_lines(out) == ["0 0.3 0.4 0.4 0.6 0.2 0.2 2 0.3 0.4 2"]
    assert not report.approximations
