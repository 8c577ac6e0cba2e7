"""Reading YOLO layouts: Ultralytics, Roboflow, darknet, bare labels; datumaro's assets."""
from __future__ import annotations

from pathlib import Path

import pytest

import cococonv
from cococonv.errors import DataError, OptionError
from cococonv.report import Report

from ..builders import jpeg, write_files
from .yolo_helpers import shapes

DATA = Path(__file__).resolve().parents[1] / "data" / "yolo_datumaro"
BOX_1 = [("bbox", "label_2", [0.0, 2.0, 4.0, 2.0]), ("bbox", "label_4", [3.0, 3.0, 2.0, 3.0])]


def load(path, **options):
    return cococonv.load(str(path), "yolo", report=Report(quiet=True), **options)


@pytest.mark.parametrize("folder", ["yolov8", "yolov8_with_list_of_imgs",
                                    "yolov8_with_list_of_names", "yolov8_with_subset_txt",
                                    "yolo"])
def test_datumaro_detect_layouts(folder):
    dataset = load(DATA / folder)
    assert [label.name for label in dataset.categories.labels] == \
        [f"label_{k}" for k in range(10)]
    assert [(item.subset, item.id) for item in dataset] == [("train", "1")]
    assert dataset.get("train", "1").image.size == (10, 15)
    assert shapes(dataset, "train", "1") == BOX_1
    assert cococonv.detect(str(DATA / folder))[0][0] == "yolo"


def test_datumaro_segmentation_and_obb():
    seg = load(DATA / "yolov8_segmentation")
    assert shapes(seg, "train", "1")[0] == ("polygon", "label_2",
                                            [1.5, 1.0, 6.0, 1.0, 6.0, 5.0])
    obb = load(DATA / "yolov8_oriented_boxes")
    kind, name, points = shapes(obb, "train", "1")[1]
    assert (kind, name, len(points)) == ("polygon", "label_4", 8)
    assert points[7] == -0.098  # a little above the image: kept


@pytest.mark.parametrize("folder, dims", [("yolov8_pose", 3),
                                          ("yolov8_pose_two_values_per_point", 2)])
def test_datumaro_pose(folder, dims):
    dataset = load(DATA / folder)
    assert len(dataset.categories.keypoints[0].names) == 3
    box, points = dataset.get("train", "1").annotations
    assert box.group == points.group != 0
    assert points.points == pytest.approx([1.5, 2.0, 4.5, 4.0, 7.5, 6.0])
    assert points.visibility == [2, 2, 2]


def test_roboflow_paths_outside_resolved_inside_and_missing_valid_folder():
    dataset = load(DATA / "roboflow_yolo")
    assert [(item.subset, item.id) for item in dataset] == \
        [("train", "train_001"), ("train", "train_002"), ("val", "val_001")]
    assert [label.name for label in dataset.categories.labels] == ["label_0", "label_1"]


def test_image_and_txt_side_by_side_without_names():
    dataset = load(DATA / "kaggle_relaxed_yolo")
    assert [label.name for label in dataset.categories.labels] == \
        [f"class_{k}" for k in range(5)]
    assert len(dataset) == 2


def test_empty_label_file_unlabelled_image_names_with_spaces_crlf(tmp_path):
    root = write_files(tmp_path / "ds", {
        "data.yaml": "train: images/train\nval: images/val\nnames:\n  0: traffic light\n"
                     "  1: 'stop sign'\n",
        "images/train/a.jpg": jpeg(), "labels/train/a.txt": "1 0.5 0.5 0.5 0.5\r\n\r\n"
                                                             "0 0.25 0.5 0.5 1",
        "images/train/b.jpg": jpeg(), "labels/train/b.txt": "",
        "images/val/c.png": jpeg(),
    })
    dataset = load(root)
    assert [label.name for label in dataset.categories.labels] == ["traffic light",
                                                                   "stop sign"]
    assert shapes(dataset, "train", "a") == [("bbox", "stop sign", [5.0, 2.5, 10.0, 5.0]),
                                             ("bbox", "traffic light", [0.0, 0.0, 10.0, 10.0])]
    assert dataset.get("train", "b").annotations == []
    assert dataset.get("train", "b").extra == {}
    assert dataset.get("val", "c").extra == {"yolo": {"unlabelled": True}}
    assert dataset.get("val", "c").image.name == "c.png"


def test_path_leaving_the_tree_is_looked_up_inside_it_only(tmp_path):
    outside = tmp_path / "elsewhere" / "images"
    write_files(outside, {"x.jpg": jpeg()})
    root = write_files(tmp_path / "ds", {
        "data.yaml": f"path: {tmp_path}\ntrain: ../elsewhere/images\nnames: [a]\n",
        "images/train/a.jpg": jpeg(), "labels/train/a.txt": "0 0.5 0.5 0.5 0.5\n"})
    dataset = load(root)
    # ../elsewhere/images leads out: its tail, images/, is what is read, inside the tree
    assert [(item.subset, item.id) for item in dataset] == [("train", "train/a")]
    assert all("elsewhere" not in (item.image.path or "") for item in dataset)


def test_darknet_obj_data_with_list(tmp_path):
    root = write_files(tmp_path / "ds", {
        "obj.data": "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\n",
        "obj.names": "cat\nsmall dog\n", "train.txt": "data/obj_train_data/p.jpg\n",
        "obj_train_data/p.jpg": jpeg(), "obj_train_data/p.txt": "1 0.5 0.5 1 1\n"})
    dataset = load(root)
    assert shapes(dataset, "train", "p") == [("bbox", "small dog", [0.0, 0.0, 20.0, 10.0])]


def test_bare_labels_folder_needs_image_size(tmp_path):
    root = write_files(tmp_path / "ds", {"labels/a.txt": "0 0.5 0.5 0.5 0.5\n",
                                        "labels/b.txt": ""})
    with pytest.raises(DataError, match="labels/a.txt: no image to read the size from"):
        load(root)
    dataset = load(root, image_size="100x50")
    assert shapes(dataset, "default", "a") == [("bbox", "class_0", [25.0, 12.5, 50.0, 25.0])]
    assert dataset.get("default", "b").annotations == []
    with pytest.raises(OptionError, match="WIDTHxHEIGHT"):
        load(root, image_size="big")


def test_bad_line_names_file_and_line_or_is_skipped(tmp_path):
    root = write_files(tmp_path / "ds", {
        "data.yaml": "train: images/train\nnames: [a, b]\n",
        "images/train/a.jpg": jpeg(), "labels/train/a.txt": "0 0.5 0.5 0.5 0.5\n5 0 0 1 1\n"})
    with pytest.raises(DataError) as caught:
        load(root)
    assert str(caught.value) == "labels/train/a.txt: line 2: class index 5 is past the 2 " \
                                "class names"
    report = Report(on_error="skip", quiet=True)
    dataset = cococonv.load(str(root), "yolo", report=report)
    assert len(dataset.get("train", "a").annotations) == 1 and len(report.skipped) == 1


@pytest.mark.parametrize("yaml_text, message", [
    ("names: [a\ntrain: x\n", "data.yaml: line"),
    ("a: &x [1]\nb: *x\nnames: [a]\n", "aliases"),
    ("names: {0: a, 1: b}\nnc: 3\n", "nc: 3, but 2 names"),
    ("names: 5\n", "names: must be a list"),
    ("names: [a]\nkpt_shape: [17, 4]\n", "kpt_shape"),
    ("- a\n- b\n", "holds a mapping"),
])
def test_bad_yaml(tmp_path, yaml_text, message):
    root = write_files(tmp_path / "ds", {"data.yaml": yaml_text, "labels/train/a.txt": ""})
    with pytest.raises(DataError, match=message) as caught:
        load(root)
    assert "data.yaml" in str(caught.value)


def test_detect_leaves_other_formats_alone(tmp_path):
    root = write_files(tmp_path / "voc", {"ImageSets/Main/train.txt": "a\nb\n",
                                         "JPEGImages/a.jpg": jpeg()})
    assert "yolo" not in [name for name, _ in cococonv.detect(str(root))]


LABELFORMAT = Path(__file__).resolve().parents[1] / "data" / "yolo_labelformat"


def test_labelformat_detection_names_with_spaces_and_dots():
    dataset = load(LABELFORMAT / "detection")
    ids = [item.id for item in dataset]
    assert ids == ["a-weird Filename.asdf", "aNother-weird__ filename.with.many.characters"]
    item = dataset.get("train", ids[0])
    assert item.image.size == (416, 640) and len(item.annotations) == 8
    assert dataset.categories.labels[1].name == "bicycle with space"
    box = item.annotations[0]
    assert (box.x + box.w / 2) / 640 == pytest.approx(0.861211)


def test_labelformat_segmentation_without_its_images(tmp_path):
    with pytest.raises(DataError, match="--image-size"):
        load(LABELFORMAT / "segmentation")
    dataset = load(LABELFORMAT / "segmentation", image_size="640x480")
    assert [(item.subset, item.id) for item in dataset] == [("train", "000000036086"),
                                                            ("train", "000000109005")]
    assert {a.kind for item in dataset for a in item.annotations} == {"polygon"}
    assert dataset.categories.labels[3].name == "sports ball"


def test_listed_images_not_in_the_input_are_a_warning(tmp_path):
    root = write_files(tmp_path / "ds", {
        "data.yaml": "train: train.txt\nval: images/missing\nnames: [a]\n",
        "train.txt": "./images/x.jpg\n./images/gone.jpg\n# a comment\n",
        "images/x.jpg": jpeg(), "labels/x.txt": "0 0.5 0.5 1 1\n"})
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), "yolo", report=report)
    assert [(item.subset, item.id) for item in dataset] == [("train", "x")]
    assert report.warnings == ["train.txt: 1 listed images are not in the input",
                               "data.yaml: val: 'images/missing' is not in the input"]


def test_roboflow_export_layout(tmp_path):
    root = write_files(tmp_path / "rf", {
        "data.yaml": "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\n"
                     "nc: 2\nnames: ['hard hat', 'vest']\n\nroboflow:\n  workspace: w\n"
                     "  project: p\n  version: 3\n  license: CC BY 4.0\n",
        "README.roboflow.txt": "exported via roboflow.com\n",
        "train/images/a_jpg.rf.1.jpg": jpeg(), "train/labels/a_jpg.rf.1.txt": "1 0.5 0.5 1 1",
        "valid/images/b_jpg.rf.2.jpg": jpeg(), "valid/labels/b_jpg.rf.2.txt": "0 0.5 0.5 1 1",
        "test/images/c_jpg.rf.3.jpg": jpeg(), "test/labels/c_jpg.rf.3.txt": ""})
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), "yolo", report=report)
    assert [(item.subset, item.id) for item in dataset] == [
        ("train", "a_jpg.rf.1"), ("val", "b_jpg.rf.2"), ("test", "c_jpg.rf.3")]
    assert report.warnings == []
    assert cococonv.detect(str(root))[0][0] == "yolo"


def test_jobs_give_the_same_dataset(tmp_path):
    files = {"data.yaml": "train: images/train\nnames: [a, b]\n"}
    for k in range(150):
        files[f"images/train/{k:03d}.jpg"] = jpeg(width=20 + k % 3, height=10)
        files[f"labels/train/{k:03d}.txt"] = f"{k % 2} 0.5 0.5 0.25 0.5\n"
    root = write_files(tmp_path / "ds", files)
    one = cococonv.load(str(root), "yolo", jobs=1, report=Report(quiet=True))
    two = cococonv.load(str(root), "yolo", jobs=2, report=Report(quiet=True))
    assert [(i.id, i.image.size, shapes(one, "train", i.id)) for i in one] == \
        [(i.id, i.image.size, shapes(two, "train", i.id)) for i in two]


def test_absolute_and_escaping_list_lines_stay_inside(tmp_path):
    secret = write_files(tmp_path / "home", {"key.jpg": jpeg(), "key.txt": "0 0.5 0.5 1 1\n"})
    root = write_files(tmp_path / "ds", {
        "data.yaml": f"train: train.txt\nval: {secret}\nnames: [a]\n",
        "train.txt": f"{secret}/key.jpg\n../../home/key.jpg\nimages/x.jpg\n",
        "images/x.jpg": jpeg(), "labels/x.txt": "0 0.5 0.5 1 1\n"})
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), "yolo", report=report)
    assert [(item.subset, item.id) for item in dataset] == [("train", "x")]
    assert all(str(secret) not in (item.image.path or "") for item in dataset)
    assert "train.txt: 2 listed images are not in the input" in report.warnings


def test_forced_yolo_on_a_folder_without_labels_or_yaml_is_refused(tmp_path):
    """-if yolo on a COCO folder read its images as unlabelled items and exited 0; with a
    data.yaml the same images are a YOLO dataset not labelled yet."""
    files = {"annotations/instances_val.json": '{"images": [], "annotations": []}',
             "images/val/a.jpg": jpeg()}
    root = write_files(tmp_path / "coco", files)
    with pytest.raises(DataError, match="no YOLO dataset found"):
        cococonv.load(str(root), "yolo")
    root = write_files(tmp_path / "unlabelled", {**files, "data.yaml": "names: [cat]\n"})
    dataset = cococonv.load(str(root), "yolo")
    assert [a for item in dataset for a in item.annotations] == []
    assert len(list(dataset)) == 1
