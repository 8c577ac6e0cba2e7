"""Every third-party VOC dataset in ../shared/fixtures imports with the expected values, and
voc -> voc round trips are lossless (same model before and after)."""
from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.model import Bbox, Label, Mask
from cococonv.report import Report
from cococonv_plugins.voc.layout import VOC_CLASSES, voc_color

VOC_FIXTURES = [
    "datumaro/voc_dataset/voc_dataset1", "datumaro/voc_dataset/voc_dataset2",
    "datumaro/voc_dataset/voc_dataset3", "datumaro/roboflow_dataset/voc",
    "labelme/instance_segmentation/data_dataset_voc", "labelme/bbox_detection/data_dataset_voc",
    "2label/voc1.1", "2label/labelImg", "mmdetection/tests/data/VOCdevkit",
]


def load(root, rel, fmt="voc", **options):
    report = Report(quiet=True)
    return cococonv.load(str(root / rel), fmt, report=report, **options), report


def names(dataset, anns):
    return [dataset.categories.labels[a.label].name for a in anns]


def kinds(item):
    return Counter(type(a).__name__ for a in item.annotations)


def test_voc_dataset1_all_tasks(fixtures_root):
    dataset, report = load(fixtures_root, "datumaro/voc_dataset/voc_dataset1")
    assert [(i.subset, i.id) for i in dataset] == [("test", "2007_000002"),
                                                    ("train", "2007_000001")]
    assert dataset.get("test", "2007_000002").annotations == []
    item = dataset.get("train", "2007_000001")
    assert item.image.size == (10, 20) and item.image.path.endswith("2007_000001.jpg")
    assert kinds(item) == {"Bbox": 3, "Label": 11, "Mask": 1}
    cat, person, head = item.annotations[:3]
    assert (cat.x, cat.y, cat.w, cat.h) == (0, 1, 2, 2)
    assert cat.attributes == {"pose": "Unspecified", "truncated": True, "difficult": False}
    assert (head.x, head.y, head.w, head.h) == (4.5, 5, 2.0, 2)
    assert names(dataset, [cat, person, head]) == ["cat", "person", "head"]
    assert head.group == person.group == 2 and cat.group == 1
    assert person.attributes["other"] is True and person.attributes["jumping"] is False
    labels = [a for a in item.annotations if isinstance(a, Label)]
    assert names(dataset, labels) == ["aeroplane", "bird", "bottle", "car", "chair",
                                      "diningtable", "horse", "ignored", "person", "sheep",
                                      "train"]
    (mask,) = [a for a in item.annotations if isinstance(a, Mask)]
    # instance 1 is a bicycle while object 1 is a cat: not grouped
    assert names(dataset, [mask]) == ["bicycle"] and mask.group == 0
    assert masks.area(mask.rle) == 200
    assert report.warnings == ["1 class name(s) not in the VOC label map added as labels: "
                               "ignored"]


def test_voc_dataset2_labelmap_no_images_no_size(fixtures_root):
    dataset, _ = load(fixtures_root, "datumaro/voc_dataset/voc_dataset2")
    assert [i.id for i in dataset] == ["@", "a", "b", "c", "d"]
    assert {i.subset for i in dataset} == {"trainval"}
    # the last line, ignored:224,224,192, is Datumaro's name for void (index 255), no label
    assert [label.name for label in dataset.categories.labels] == list(VOC_CLASSES)
    assert dataset.categories.colormap[20] == (0, 64, 128)
    a = dataset.get("trainval", "a")
    (box,) = a.annotations
    assert names(dataset, [box]) == ["background"]
    assert (box.x, box.y, box.w, box.h) == (0.0, 1.0, 3.0, 4.0)
    assert box.attributes == {"truncated": False, "occluded": True, "difficult": False}
    assert a.image.size is None and not a.image.has_data
    assert dataset.get("trainval", "@").annotations == []


def test_voc_dataset3_list_with_comment_and_blank_line(fixtures_root):
    dataset, _ = load(fixtures_root, "datumaro/voc_dataset/voc_dataset3")
    (item,) = list(dataset)
    assert (item.subset, item.id) == ("train", "2007_000001")
    assert names(dataset, item.annotations) == ["cat"]


def test_roboflow_flat_voc_subsets_from_folders(fixtures_root):
    dataset, report = load(fixtures_root, "datumaro/roboflow_dataset/voc",
                           coordinate_mode="zero-based")
    assert cococonv.detect(str(fixtures_root / "datumaro/roboflow_dataset/voc"))[0] == \
        ("voc", 15)
    assert [(i.subset, i.id) for i in dataset] == [("train", "train_001"),
                                                    ("train", "train_002"), ("val", "val_001")]
    assert [label.name for label in dataset.categories.labels] == ["label_0", "label_1"]
    box = dataset.get("train", "train_001").annotations[0]
    assert (box.x, box.y, box.w, box.h) == (2, 1, 3, 1) and box.attributes == {}
    assert dataset.get("val", "val_001").image.path.endswith("val_001.jpg")
    assert report.warnings == []


def test_roboflow_one_based_default_warns_about_zero_coordinates(fixtures_root):
    _, report = load(fixtures_root, "datumaro/roboflow_dataset/voc")
    assert len(report.warnings) == 1 and "--coordinate-mode zero-based" in report.warnings[0]


def test_labelme_instance_segmentation_masks_only(fixtures_root):
    dataset, _ = load(fixtures_root, "labelme/instance_segmentation/data_dataset_voc")
    assert [label.name for label in dataset.categories.labels][0] == "_background_"
    assert [i.id for i in dataset] == ["2011_000003", "2011_000006", "2011_000025"]
    item = dataset.get("default", "2011_000003")
    assert item.image.size == (338, 500) and item.image.path.endswith(".jpg")
    assert names(dataset, item.annotations) == ["person", "person", "bottle"]
    assert [masks.area(a.rle) for a in item.annotations] == [15662, 17218, 873]
    void = masks.decode(item.ignore.semantic)
    png = np.asarray(PILImage.open(fixtures_root / "labelme/instance_segmentation/"
                                   "data_dataset_voc/SegmentationClass/2011_000003.png"))
    assert np.array_equal(void, (png == 255).astype(np.uint8))
    six = dataset.get("default", "2011_000006")
    assert Counter(names(dataset, six.annotations)) == {"person": 4, "chair": 1, "sofa": 1}


def test_labelme_bbox_detection_empty_elements_and_long_floats(fixtures_root):
    dataset, _ = load(fixtures_root, "labelme/bbox_detection/data_dataset_voc")
    assert sum(len(i.annotations) for i in dataset) == 9
    box = dataset.get("default", "2011_000003").annotations[0]
    assert box.attributes == {}
    assert box.extra["voc"]["empty"] == ["pose", "truncated", "difficult"]
    assert (box.x, box.y) == (190.0, 106.36900369003689)
    assert box.y + box.h + 1 == pytest.approx(329.36900369003695)


def test_2label_cvat_voc_rgb_masks_attributes_and_jpeg(fixtures_root):
    dataset, _ = load(fixtures_root, "2label/voc1.1")
    assert [label.name for label in dataset.categories.labels] == [
        "background", "rectangle", "triangle", "circle", "ellipse", "line", "crack", "bird",
        "strawberry"]
    assert dataset.get("default", "crack").image.name == "crack.jpeg"
    assert dataset.get("default", "crack").annotations == []
    shapes = dataset.get("default", "shapes")
    assert shapes.extra["voc"]["depth"] == ""
    box, first, second = shapes.annotations
    assert box.attributes["rotation"] == 0.0 and type(box.attributes["rotation"]) is float
    # CVAT's instances are ellipses that are not the XML's rectangle: kept apart
    assert names(dataset, [first, second]) == ["ellipse", "ellipse"]
    assert first.group == second.group == 0
    assert masks.area(first.rle) + masks.area(second.rle) == 47646
    assert len(dataset.get("default", "strawberry").annotations) == 17


def test_2label_labelimg_flat_folder_own_classes(fixtures_root):
    dataset, report = load(fixtures_root, "2label/labelImg")
    assert [label.name for label in dataset.categories.labels] == [
        "bird", "crack", "rectangle", "ellipse", "line", "triangle", "circle", "strawberry"]
    assert sum(len(i.annotations) for i in dataset) == 25
    crack = dataset.get("default", "crack")
    assert (crack.annotations[0].x, crack.annotations[0].h) == (560, 713)
    assert report.warnings == []


def test_mmdetection_vocdevkit_nested_root_and_filename_mismatch(fixtures_root):
    dataset, _ = load(fixtures_root, "mmdetection/tests/data/VOCdevkit")
    assert cococonv.detect(str(fixtures_root / "mmdetection/tests/data/VOCdevkit"))[0] == \
        ("voc", 25)
    (item,) = list(dataset)
    assert item.id == "000001" and item.image.name == "000001.jpg"
    assert item.extra["voc"]["filename"] == "000002.jpg"
    (box,) = item.annotations
    assert (box.x, box.y, box.w, box.h) == (138, 199, 68, 101)
    assert len(dataset.categories.labels) == 21


@pytest.mark.parametrize("fmt, expected", [
    ("voc_detection", {"Bbox": 2}), ("voc_layout", {"Bbox": 3}),
    ("voc_classification", {"Label": 11}), ("voc_segmentation", {"Mask": 1}),
    ("voc_action", {"Bbox": 2})])
def test_voc_task_importers_read_only_their_task(fixtures_root, fmt, expected):
    dataset, _ = load(fixtures_root, "datumaro/voc_dataset/voc_dataset1", fmt)
    assert kinds(dataset.get("train", "2007_000001")) == expected


def snapshot(dataset):
    """Everything the model holds, label indices replaced by names, masks compared as RLE."""
    labels = [label.name for label in dataset.categories.labels]
    items = {}
    for item in dataset:
        anns = []
        for ann in item.annotations:
            record = {f.name: getattr(ann, f.name) for f in dataclasses.fields(ann)}
            record["kind"] = ann.kind
            record["label"] = None if ann.label is None else labels[ann.label]
            if "rle" in record:
                record["rle"] = masks.compress(record["rle"])
            anns.append(record)
        image = (item.image.name, item.image.size) if item.image else None
        items[(item.subset, item.id)] = (image, anns, item.extra, item.attributes)
    # the colour each label is painted with: beside masks a map spells out palette colours
    colormap = {name: tuple(dataset.categories.colormap.get(k, voc_color(k)))
                for k, name in enumerate(labels)}
    return labels, colormap, items


@pytest.mark.parametrize("rel", VOC_FIXTURES)
def test_voc_to_voc_round_trip_is_lossless(fixtures_root, tmp_path, rel):
    before, _ = load(fixtures_root, rel)
    report = cococonv.save(before, "voc", str(tmp_path / "out"), report=Report(quiet=True))
    assert not report.losses
    after = cococonv.load(str(tmp_path / "out"), "voc", report=Report(quiet=True))
    assert snapshot(after) == snapshot(before)


def test_voc_round_trip_keeps_png_pixels(fixtures_root, tmp_path):
    rel = "labelme/instance_segmentation/data_dataset_voc"
    dataset, _ = load(fixtures_root, rel)
    cococonv.save(dataset, "voc", str(tmp_path / "out"), report=Report(quiet=True))
    for folder in ("SegmentationClass", "SegmentationObject"):
        for name in ("2011_000003.png", "2011_000006.png"):
            source = np.asarray(PILImage.open(fixtures_root / rel / folder / name))
            written = PILImage.open(tmp_path / "out" / folder / name)
            assert written.mode == "P"
            if folder == "SegmentationClass":
                assert np.array_equal(np.asarray(written), source)
            else:  # instance numbers may change; the partition of pixels may not
                pairs = set(zip(source.ravel().tolist(), np.asarray(written).ravel().tolist()))
                assert len({s for s, _ in pairs}) == len(pairs)


def test_voc_to_coco_and_back_keeps_boxes(fixtures_root, tmp_path):
    rel = "2label/labelImg"
    cococonv.convert(str(fixtures_root / rel), str(tmp_path / "coco"), input_format="voc",
                     output_format="coco", report=Report(quiet=True))
    cococonv.convert(str(tmp_path / "coco"), str(tmp_path / "voc"), output_format="voc",
                     report=Report(quiet=True))
    before, _ = load(fixtures_root, rel)
    after = cococonv.load(str(tmp_path / "voc"), "voc", report=Report(quiet=True))
    boxes = lambda ds: sorted((i.id, a.x, a.y, a.w, a.h) for i in ds for a in i.annotations
                              if isinstance(a, Bbox))
    assert boxes(after) == boxes(before)
