"""Datasets written by the tools themselves (tests/data/real, see its README): each is
detected as its format, and every object reaches COCO, CVAT and VOC or is reported."""
from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest
from PIL import Image

import cococonv
from cococonv.report import Report

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
ULTRALYTICS = REAL / "ultralytics"
DOTA_SIZE = {"image_size": "1024x1024"}  # dota8's tiles, left out here (see the README)


def label_lines(root: Path) -> list[tuple[str, list[float]]]:
    """Every object line of a YOLO dataset's label files, read without cococonv."""
    lines = []
    for path in sorted(root.rglob("labels/**/*.txt")):
        for line in path.read_text().splitlines():
            if line.strip():
                values = line.split()
                lines.append((path.stem, [float(v) for v in values]))
    return lines


def convert(source: Path, target: Path, fmt: str, **options) -> Report:
    report = Report(quiet=True)
    cococonv.convert(str(source), str(target), output_format=fmt, input_format=None,
                     input_options=options, report=report)
    return report


def coco_annotations(folder: Path) -> list[dict]:
    found = []
    for path in sorted((folder / "annotations").glob("*.json")):
        doc = json.loads(path.read_text())
        names = {image["id"]: Path(image["file_name"]).stem for image in doc["images"]}
        found += [dict(ann, stem=names[ann["image_id"]]) for ann in doc["annotations"]]
    return found


def cvat_shapes(folder: Path) -> dict[str, int]:
    text = (folder / "annotations.xml").read_text()
    return {tag: len(re.findall(rf"<{tag} label=", text))
            for tag in ("box", "polygon", "skeleton")}


def voc_objects(folder: Path) -> int:
    return sum(path.read_text().count("<object>")
               for path in (folder / "Annotations").glob("*.xml"))


@pytest.mark.parametrize("name", ["coco8", "coco8-seg", "coco8-pose", "dota8"])
def test_ultralytics_datasets_are_detected_and_read_whole(name):
    root = ULTRALYTICS / name
    assert cococonv.detect(str(root))[0][0] == "yolo"
    options = DOTA_SIZE if name == "dota8" else {}
    dataset = cococonv.load(str(root), report=Report(quiet=True), **options)
    assert {item.subset for item in dataset} == {"train", "val"} and len(dataset) == 8
    objects = [a for item in dataset for a in item.annotations if a.kind != "points"]
    assert len(objects) == len(label_lines(root))
    expected = 80 if name in ("coco8", "coco8-seg") else 1 if name == "coco8-pose" else 15
    assert len(dataset.categories.labels) == expected


def test_coco8_boxes_reach_coco_in_the_pixels_of_their_images(tmp_path):
    root = ULTRALYTICS / "coco8"
    convert(root, tmp_path / "coco", "coco")
    sizes = {path.stem: Image.open(path).size for path in root.rglob("images/**/*.jpg")}
    got = sorted((ann["stem"], ann["category_id"], ann["bbox"])
                 for ann in coco_annotations(tmp_path / "coco"))
    want = []
    for stem, (cls, cx, cy, w, h) in label_lines(root):
        width, height = sizes[stem]
        want.append((stem, int(cls), [(cx - w / 2) * width, (cy - h / 2) * height,
                                      w * width, h * height]))
    assert len(got) == len(want) == 30
    # COCO's ids are the label's position + 1 here: coco8's names are a 0-based map.
    for (stem, cat, box), (stem2, cls, box2) in zip(got, sorted(want)):
        assert stem == stem2 and cat == cls + 1 and box == pytest.approx(box2, abs=1e-6)


@pytest.mark.parametrize("name", ["coco8", "coco8-seg", "coco8-pose", "dota8"])
def test_ultralytics_datasets_reach_coco_cvat_and_voc(name, tmp_path):
    root = ULTRALYTICS / name
    options = DOTA_SIZE if name == "dota8" else {}
    lines = len(label_lines(root))
    convert(root, tmp_path / "coco", "coco", **options)
    assert len(coco_annotations(tmp_path / "coco")) == lines
    convert(root, tmp_path / "cvat", "cvat", **options)
    shapes = cvat_shapes(tmp_path / "cvat")
    if name == "coco8-pose":
        assert shapes == {"box": lines, "polygon": 0, "skeleton": lines}
    else:
        kind = "box" if name == "coco8" else "polygon"
        assert shapes[kind] == lines and sum(shapes.values()) == lines
    report = convert(root, tmp_path / "voc", "voc", **options)
    assert voc_objects(tmp_path / "voc") == lines
    if name == "coco8-pose":
        assert report.losses[("keypoints", "VOC has no keypoints")] == lines


def test_coco8_pose_keypoints_keep_their_visibility_through_coco(tmp_path):
    root = ULTRALYTICS / "coco8-pose"
    convert(root, tmp_path / "coco", "coco")
    got = sorted((ann["stem"], ann["keypoints"][2::3]) for ann in
                 coco_annotations(tmp_path / "coco"))
    want = sorted((stem, [int(v) for v in values[7::3]]) for stem, values in
                  label_lines(root))
    assert got == want and len(got) == 21


def test_dota8_without_its_images_needs_the_image_size(tmp_path):
    with pytest.raises(cococonv.DataError, match="give --image-size"):
        cococonv.load(str(ULTRALYTICS / "dota8"), report=Report(quiet=True), jobs=2)
    # the reader failed while its label files were mapped on workers: none is left running
    assert not multiprocessing.active_children()


def test_roboflow_export_reads_train_and_warns_of_the_splits_not_there():
    root = REAL / "roboflow" / "ships"
    assert cococonv.detect(str(root))[0][0] == "yolo"
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), report=report)
    assert [label.name for label in dataset.categories.labels] == ["Ships"]
    assert [(item.subset, len(item.annotations)) for item in dataset] == [("train", 1)] * 3
    assert sorted(w.split(":")[1].strip() for w in report.warnings) == ["test", "val"]
    assert all(item.id.endswith(".rf." + item.id.split(".rf.")[1]) for item in dataset)


def test_labelme_tutorial_file_naming_itself_reads_its_embedded_image(tmp_path):
    # LabelMe's examples/tutorial/apc2016_obj3.json: version 4.0.0, imageData embedded and
    # imagePath "apc2016_obj3.json", the JSON itself, not the image.
    root = REAL / "labelme" / "tutorial"
    assert cococonv.detect(str(root))[0][0] == "labelme"
    item = next(iter(cococonv.load(str(root), report=Report(quiet=True))))
    assert (item.image.name, item.image.size) == ("apc2016_obj3.jpg", (907, 1210))
    assert [a.kind for a in item.annotations] == ["polygon"] * 4
    report = convert(root, tmp_path / "coco", "coco")
    assert not report.losses
    cococonv.convert(str(root), str(tmp_path / "cvat"), output_format="cvat",
                     output_options={"save_images": True}, report=Report(quiet=True))
    saved = tmp_path / "cvat" / "images" / "apc2016_obj3.jpg"
    assert Image.open(saved).size == (1210, 907)
    assert cvat_shapes(tmp_path / "cvat")["polygon"] == 4
    doc = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["apc2016_obj3.jpg"]


# The shapes of Ultralytics' own dataset YAMLs (ultralytics/cfg/datasets/VOC.yaml and
# coco.yaml), written here with their keys and comments but a few classes: a `path`
# outside the input, splits as lists of folders (VOC's val and test name the same one),
# splits as .txt image lists of "./images/..." lines, a test list that is not there, and a
# `download:` Python script.
VOC_YAML = """path: ../datasets/VOC
train: # train images (relative to 'path')  16551 images
  - images/train2012
  - images/train2007
val: # val images (relative to 'path')  4952 images
  - images/test2007
test: # test images (optional)
  - images/test2007

# Classes
names:
  0: aeroplane
  1: person

# Download script/URL (optional) -------------------------------------------------------
download: |
  from pathlib import Path
  dir = Path(yaml['path'])  # dataset root dir
  for year, image_set in ('2012', 'train'), ('2007', 'train'), ('2007', 'test'):
      imgs_path = dir / 'images' / f'{image_set}{year}'
"""
COCO_YAML = """path: coco # dataset root dir
train: train2017.txt # train images (relative to 'path') 118287 images
val: val2017.txt # val images (relative to 'path') 5000 images
test: test-dev2017.txt # 20288 of 40670 images, submit via https://cocodataset.org/#detection-eval

names:
  0: person
  1: bicycle

download: |
  from ultralytics.utils.downloads import download
  download(["http://images.cocodataset.org/zips/train2017.zip"], dir=dir / "images")
"""


def ultralytics_tree(root: Path, folders: list[str], lists: bool) -> Path:
    image = (ULTRALYTICS / "coco8/images/train/000000000009.jpg").read_bytes()
    for folder in folders:
        (root / "images" / folder).mkdir(parents=True)
        (root / "labels" / folder).mkdir(parents=True)
        (root / "images" / folder / f"{folder}_a.jpg").write_bytes(image)
        (root / "labels" / folder / f"{folder}_a.txt").write_text("1 0.5 0.5 0.25 0.5\n")
        if lists:
            (root / f"{folder}.txt").write_text(f"./images/{folder}/{folder}_a.jpg\n")
    return root


def test_voc_yaml_lists_of_folders_and_a_folder_named_by_two_splits(tmp_path):
    root = ultralytics_tree(tmp_path / "VOC", ["train2012", "train2007", "test2007"], False)
    (root / "VOC.yaml").write_text(VOC_YAML)
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), report=report)
    assert sorted((item.subset, item.id) for item in dataset) == [
        ("train", "train2007_a"), ("train", "train2012_a"), ("val", "test2007_a")]
    assert report.warnings == ["VOC.yaml: test: 1 image(s) an earlier split names too are "
                               "read in that split only"]
    assert {a.label for item in dataset for a in item.annotations} == {1}


def test_coco_yaml_image_lists_and_a_list_that_is_not_there(tmp_path):
    root = ultralytics_tree(tmp_path / "coco", ["train2017", "val2017"], True)
    (root / "coco.yaml").write_text(COCO_YAML)
    report = Report(quiet=True)
    dataset = cococonv.load(str(root / "coco.yaml"), report=report)
    assert sorted((item.subset, item.id, len(item.annotations)) for item in dataset) == [
        ("train", "train2017_a", 1), ("val", "val2017_a", 1)]
    assert report.warnings == ["coco.yaml: test: 'test-dev2017.txt' is not in the input"]
    convert(root, tmp_path / "cvat", "cvat")
    assert cvat_shapes(tmp_path / "cvat")["box"] == 2


def test_ultralytics_label_caches_beside_the_labels_are_ignored(tmp_path):
    # dota8.zip as Ultralytics ships it holds labels/train.cache and labels/val.cache
    # (numpy-pickled); a dataset once trained on gets them too.
    import shutil
    root = shutil.copytree(ULTRALYTICS / "dota8", tmp_path / "dota8")
    for split in ("train", "val"):
        (root / "labels" / f"{split}.cache").write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr'")
    dataset = cococonv.load(str(root), report=Report(quiet=True), **DOTA_SIZE)
    assert len(dataset) == 8 and sum(len(i.annotations) for i in dataset) == 133


def test_cvat_yolo_1_1_export_without_its_images(tmp_path):
    # CVAT's "YOLO 1.1" export with "Save images" off (the default): obj.data, obj.names,
    # train.txt naming data/obj_train_data/<frame>.jpg, and only the label files there.
    root = tmp_path / "task_export"
    (root / "obj_train_data").mkdir(parents=True)
    (root / "obj.data").write_text("classes = 2\ntrain = data/train.txt\n"
                                   "names = data/obj.names\nbackup = backup/\n")
    (root / "obj.names").write_text("car\nperson\n")
    (root / "train.txt").write_text("data/obj_train_data/frame_000000.jpg\n"
                                    "data/obj_train_data/frame_000001.jpg\n")
    (root / "obj_train_data/frame_000000.txt").write_text(
        "0 0.500000 0.500000 0.200000 0.300000\n1 0.250000 0.250000 0.100000 0.100000\n")
    (root / "obj_train_data/frame_000001.txt").write_text("")
    assert cococonv.detect(str(root))[0][0] == "yolo"
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), report=report, image_size="640x480")
    assert [(item.subset, item.id, len(item.annotations)) for item in dataset] == [
        ("train", "frame_000000", 2), ("train", "frame_000001", 0)]
    assert report.warnings == ["train.txt: 2 listed images are not in the input; their 2 "
                               "label files are read without them"]
    with pytest.raises(cococonv.DataError, match="give --image-size"):
        cococonv.load(str(root), report=Report(quiet=True))
    convert(root, tmp_path / "cvat", "cvat", image_size="640x480")
    assert cvat_shapes(tmp_path / "cvat")["box"] == 2
