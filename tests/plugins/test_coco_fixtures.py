"""Every COCO dataset of ../shared/fixtures imports, with its counts and values as the source had them.

Expected numbers come from the fixture files themselves (see ../shared/fixtures/README.md and each
folder's SOURCE.md); areas of RLE masks are cross-checked with pycocotools directly.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from pycocotools import mask as pycoco_mask

import cococonv
from cococonv.model import Bbox, Caption, Label, Mask, Points, Polygon
from cococonv.report import Report


def load(fixtures_root: Path, rel: str, **options):
    return cococonv.load(str(fixtures_root / rel), "coco", **options)


def counts(dataset) -> dict:
    """Items and annotation kinds per subset, as ``cococonv.info`` reports them."""
    return {subset: {"items": entry["items"], **entry["annotations"]}
            for subset, entry in cococonv.info(dataset)["subsets"].items()}


def label_ids(dataset) -> list[tuple]:
    return [(label.id, label.name) for label in dataset.categories.labels]


def item(dataset, subset: str, item_id: str):
    found = dataset.get(subset, item_id)
    assert found is not None, f"no item {subset}/{item_id}; have {[(i.subset, i.id) for i in dataset]}"
    return found


def of_kind(item_, kind) -> list:
    return [ann for ann in item_.annotations if type(ann) is kind]


def category_of(dataset, ann):
    return dataset.categories.labels[ann.label]


def pycoco_area(rle: dict) -> int:
    """pycocotools' own area of an RLE as COCO stores it (list or str counts)."""
    h, w = rle["size"]
    if isinstance(rle["counts"], list):
        return int(pycoco_mask.area(pycoco_mask.frPyObjects(rle, h, w)))
    return int(pycoco_mask.area({"size": [h, w], "counts": rle["counts"].encode("ascii")}))


# -- datumaro/coco_dataset --------------------------------------------------------------------

def test_coco_import_reads_all_seven_tasks_onto_the_same_images(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco")
    assert counts(dataset) == {
        "train": {"items": 1, "bbox": 1, "points": 1, "caption": 1, "label": 1, "mask": 2},
        "val": {"items": 1, "polygon": 2, "mask": 5, "points": 2, "caption": 2, "label": 2},
    }
    # instances declare a, b, c (1, 2, 4); every other task only a and b: one label each.
    assert label_ids(dataset) == [(1, "a"), (2, "b"), (4, "c")]
    files = dataset.meta["coco"]["files"]
    assert sorted((meta["task"], meta["subset"]) for meta in files.values()) == sorted(
        (task, subset) for task in ("instances", "person_keypoints", "captions", "labels",
                                    "panoptic", "stuff", "image_info")
        for subset in ("train", "val"))
    train = item(dataset, "train", "a")
    assert train.image_id == 5 and train.image.size == (5, 10)
    assert [c.caption for c in of_kind(train, Caption)] == ["hello"]
    panoptic, stuff = sorted(of_kind(train, Mask), key=lambda m: m.extra.get("coco_task"))
    assert panoptic.extra["coco_task"] == "panoptic" and panoptic.id == 7
    assert stuff.extra["coco_task"] == "stuff" and stuff.rle == {"counts": [10, 10, 5, 10, 15],
                                                                 "size": [5, 10]}
    val = item(dataset, "val", "b")
    assert [c.caption for c in of_kind(val, Caption)] == ["world", "text"]
    assert sorted(category_of(dataset, lab).name for lab in of_kind(val, Label)) == ["a", "b"]


def test_coco_import_keeps_sparse_category_ids_and_instance_values(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_instances")
    assert counts(dataset) == {"train": {"items": 1, "bbox": 1},
                               "val": {"items": 1, "polygon": 1, "mask": 1}}
    assert label_ids(dataset) == [(1, "a"), (2, "b"), (4, "c")]
    (box,) = item(dataset, "train", "a").annotations
    assert type(box) is Bbox and (box.x, box.y, box.w, box.h) == (2.0, 2.0, 3.0, 1.0)
    assert category_of(dataset, box).id == 2 and box.declared_area == 3.0
    val = item(dataset, "val", "b")
    assert val.image_id == 40 and val.image.size == (10, 5)
    assert val.image.path.endswith("coco_instances/images/val/b.jpg")
    (polygon,) = of_kind(val, Polygon)
    assert polygon.points == [0.0, 0.0, 1.0, 0.0, 1.0, 2.0, 0.0, 2.0]
    assert polygon.attributes == {"x": 1, "y": "hello", "is_crowd": False}
    (crowd,) = of_kind(val, Mask)
    assert crowd.rle == {"counts": [0, 20, 30], "size": [10, 5]}  # uncompressed, as given
    assert crowd.attributes["is_crowd"] is True
    assert pycoco_area(crowd.rle) == 20 == crowd.declared_area


def test_coco_import_reads_captions_without_categories(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_captions")
    assert counts(dataset) == {"train": {"items": 1, "caption": 1}, "val": {"items": 1, "caption": 2}}
    assert label_ids(dataset) == []
    captions = of_kind(item(dataset, "val", "b"), Caption)
    assert [(c.id, c.caption) for c in captions] == [(1, "world"), (2, "text")]
    assert captions[0].extra["category_id"] == 0  # category_id 0 with no categories is kept


def test_coco_import_reads_image_info_as_items_without_annotations(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_image_info")
    assert counts(dataset) == {"train": {"items": 1}, "val": {"items": 1}}
    assert [(i.subset, i.id, i.image_id, i.image.size) for i in dataset] == [
        ("train", "a", 5, (5, 10)), ("val", "b", 40, (10, 5))]


def test_coco_import_reads_image_level_labels(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_labels")
    assert counts(dataset) == {"train": {"items": 1, "label": 1}, "val": {"items": 1, "label": 2}}
    val = item(dataset, "val", "b")
    assert [(lab.id, category_of(dataset, lab).id) for lab in val.annotations] == [(1, 1), (2, 2)]


def test_coco_import_reads_panoptic_segments_from_the_pngs(fixtures_root):
    report = Report()
    dataset = cococonv.load(str(fixtures_root / "datumaro/coco_dataset/coco_panoptic"), "coco",
                            report=report)
    assert counts(dataset) == {"train": {"items": 1, "mask": 1}, "val": {"items": 1, "mask": 2}}
    assert [(label.id, label.name, label.extra) for label in dataset.categories.labels] == [
        (1, "a", {"isthing": 0}), (2, "b", {"isthing": 0})]
    (segment,) = item(dataset, "train", "a").annotations
    assert segment.id == 460551  # RGB (7, 7, 7)
    # The train PNG is 5x5 for a 10x5 image: read as it is, with a warning that says so.
    assert segment.rle["size"] == [5, 5]
    assert any("5x5" in warning for warning in report.warnings)
    seven, twenty = item(dataset, "val", "b").annotations
    assert (seven.id, category_of(dataset, seven).name, seven.attributes["is_crowd"]) == (7, "a", False)
    assert (twenty.id, category_of(dataset, twenty).name, twenty.attributes["is_crowd"]) == (20, "b", True)
    assert seven.declared_bbox == [0.0, 0.0, 1.0, 9.0] and seven.declared_area == 20.0


def test_coco_import_keeps_keypoints_with_empty_name_lists(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_person_keypoints")
    assert counts(dataset) == {"train": {"items": 1, "points": 1},
                               "val": {"items": 1, "points": 2, "polygon": 1, "mask": 1}}
    schemas = dataset.categories.keypoints
    assert {dataset.categories.labels[i].name: (s.names, s.skeleton) for i, s in schemas.items()} == {
        "a": ([], [[0, 1], [1, 2]]), "b": ([], [[0, 1], [1, 2]])}
    (points,) = item(dataset, "train", "a").annotations
    # keypoints [0,0,0, 0,2,1, 4,1,2]: x/y and v exactly as given, v=0 included.
    assert points.points == [0, 0, 0, 2, 4, 1] and points.visibility == [0, 1, 2]
    assert points.extra["num_keypoints"] == 2 and points.declared_bbox == [2.0, 2.0, 3.0, 1.0]
    val = item(dataset, "val", "b")
    crowd_points = next(p for p in of_kind(val, Points) if p.id == 2)
    (mask,) = of_kind(val, Mask)
    # Keypoints on an RLE (crowd) annotation: one object, so one group.
    assert crowd_points.group == mask.group != 0
    assert crowd_points.points == [2, 4, 4, 4, 4, 2] and crowd_points.visibility == [2, 2, 2]


def test_coco_import_reads_stuff_masks_as_uncompressed_rle(fixtures_root):
    dataset = load(fixtures_root, "datumaro/coco_dataset/coco_stuff")
    assert counts(dataset) == {"train": {"items": 1, "mask": 1}, "val": {"items": 1, "mask": 1}}
    (train,) = item(dataset, "train", "a").annotations
    (val,) = item(dataset, "val", "b").annotations
    assert (train.id, val.id) == (7, 2)
    assert train.rle == {"counts": [10, 10, 5, 10, 15], "size": [5, 10]}
    assert train.extra["coco_task"] == "stuff"
    assert pycoco_area(train.rle) == 20


@pytest.mark.parametrize("rel, image_folder", [
    ("datumaro/coco_dataset/coco_roboflow", "coco_roboflow/val/b.jpg"),
    ("datumaro/coco_dataset/mmdet_coco", "mmdet_coco/val/b.jpg"),
], ids=["roboflow", "mmdet"])
def test_coco_import_finds_layouts_and_their_images(fixtures_root, rel, image_folder):
    dataset = load(fixtures_root, rel)
    assert counts(dataset) == {"train": {"items": 1, "bbox": 1},
                               "val": {"items": 1, "polygon": 1, "mask": 1}}
    assert label_ids(dataset) == [(1, "a"), (2, "b"), (4, "c")]
    assert item(dataset, "val", "b").image.path.endswith(image_folder)


def test_coco_import_keeps_annotation_id_zero_and_per_subset_image_ids(fixtures_root):
    dataset = load(fixtures_root, "datumaro/roboflow_dataset/coco")
    assert counts(dataset) == {"train": {"items": 2, "bbox": 2}, "val": {"items": 1, "bbox": 2}}
    assert label_ids(dataset) == [(1, "label_0"), (2, "label_1")]
    assert [(i.subset, i.id, i.image_id) for i in dataset] == [
        ("train", "train_001", 1), ("train", "train_002", 2), ("val", "val_001", 1)]
    (first,) = item(dataset, "train", "train_001").annotations
    assert first.id == 0 and (first.x, first.y, first.w, first.h) == (2.0, 1.0, 3.0, 1.0)
    crowd_box = item(dataset, "val", "val_001").annotations[1]
    assert type(crowd_box) is Bbox and crowd_box.attributes["is_crowd"] is True
    # val images lack flickr_url/coco_url: nothing is invented.
    assert item(dataset, "val", "val_001").extra["coco_image"] == {"license": 0, "date_captured": 0}


def test_coco_import_keeps_named_keypoints_of_one_category_only(fixtures_root):
    dataset = load(fixtures_root, "cvat-ai-datumaro/coco_dataset/coco_person_keypoints")
    assert counts(dataset) == {"train": {"items": 1, "points": 1},
                               "val": {"items": 1, "points": 2, "polygon": 1, "mask": 1}}
    names = {dataset.categories.labels[i].name: s.names
             for i, s in dataset.categories.keypoints.items()}
    assert names == {"a": ["a_1", "a_2", "a_3"], "b": []}


# -- cocoapi/results --------------------------------------------------------------------------

def test_coco_import_reads_bbox_results_with_scores(fixtures_root):
    dataset = load(fixtures_root, "cocoapi/results/instances_val2014_fakebbox100_results.json")
    assert counts(dataset) == {"val2014_fakebbox100_results": {"items": 99, "bbox": 734}}
    ids = [label.id for label in dataset.categories.labels]
    assert len(ids) == len(set(ids)) == 75
    first = item(dataset, "val2014_fakebbox100_results", "42").annotations[0]
    assert (first.x, first.y, first.w, first.h) == (258.15, 41.29, 348.26, 243.78)
    assert first.attributes["score"] == 0.236 and category_of(dataset, first).id == 18
    assert first.id is None  # results have no ids; the exporter numbers them


def test_coco_import_reads_segm_results_as_compressed_rle(fixtures_root):
    dataset = load(fixtures_root, "cocoapi/results/instances_val2014_fakesegm100_results.json")
    assert counts(dataset) == {"val2014_fakesegm100_results": {"items": 99, "mask": 734}}
    first = item(dataset, "val2014_fakesegm100_results", "42").annotations[0]
    assert first.rle["size"] == [478, 640]
    assert first.rle["counts"].startswith("VQi31m>0O2N100O100O2N100O10001")  # a str, not bytes
    assert "bbox" not in first.extra and "area" not in first.extra


def test_coco_import_keeps_result_keypoints_with_zero_visibility(fixtures_root):
    dataset = load(fixtures_root,
                   "cocoapi/results/person_keypoints_val2014_fakekeypoints100_results.json")
    assert counts(dataset) == {"val2014_fakekeypoints100_results": {"items": 47, "points": 125}}
    assert [label.id for label in dataset.categories.labels] == [1]
    points = item(dataset, "val2014_fakekeypoints100_results", "136").annotations[0]
    assert len(points.visibility) == 17
    assert points.points[:4] == [36, 181, 20.25, 191] and points.visibility[:2] == [2, 0]


def test_coco_import_reads_caption_results(fixtures_root):
    dataset = load(fixtures_root, "cocoapi/results/captions_val2014_fakecap_results.json")
    assert counts(dataset) == {"val2014_fakecap_results": {"items": 1000, "caption": 1000}}
    (caption,) = item(dataset, "val2014_fakecap_results", "391895").annotations
    assert caption.caption == "Man riding a motor bike on a dirt road on the countryside."


def test_coco_import_of_the_results_folder_has_one_label_per_category_id(fixtures_root):
    dataset = load(fixtures_root, "cocoapi/results")
    assert {subset: entry["items"] for subset, entry in counts(dataset).items()} == {
        "val2014_fakebbox100_results": 99, "val2014_fakesegm100_results": 99,
        "val2014_fakekeypoints100_results": 47, "val2014_fakecap_results": 1000}
    ids = [label.id for label in dataset.categories.labels]
    # bbox and segm results use the same 75 category ids (keypoints use 1, one of them).
    assert len(ids) == len(set(ids)) == 75


# -- panopticapi -------------------------------------------------------------------------------

def test_coco_import_reads_real_panoptic_data(fixtures_root):
    dataset = load(fixtures_root, "panopticapi/sample_data/panoptic_examples.json")
    assert counts(dataset) == {"examples": {"items": 2, "mask": 50}}
    labels = dataset.categories.labels
    assert len(labels) == 133 and labels[-1].id == 200 and labels[-1].name == "rug-merged"
    assert labels[0].extra == {"color": [220, 20, 60], "isthing": 1}
    first = item(dataset, "examples", "000000142238")
    assert len(first.annotations) == 18
    segment = first.annotations[0]
    assert segment.id == 3937500 and category_of(dataset, segment).name == "person"
    assert segment.rle["size"] == [427, 640]
    assert pycoco_area(segment.rle) == 3528 == segment.declared_area
    assert segment.declared_bbox == [282, 207, 48, 149]
    crowds = [a for i in dataset for a in i.annotations if a.attributes["is_crowd"]]
    assert len(crowds) == 3


def test_coco_import_reads_panoptic_detection_format_as_instances(fixtures_root):
    dataset = load(fixtures_root, "panopticapi/sample_data/panoptic_coco_detection_format.json")
    assert counts(dataset) == {"coco_detection_format": {"items": 2, "mask": 50}}
    (meta,) = dataset.meta["coco"]["files"].values()
    assert meta["task"] == "instances"
    first = item(dataset, "coco_detection_format", "000000142238").annotations[0]
    assert first.id == 0 and isinstance(first.rle["counts"], str)
    assert pycoco_area(first.rle) == 3528 == first.declared_area
    crowds = [a for i in dataset for a in i.annotations if a.attributes["is_crowd"]]
    assert len(crowds) == 3


def test_coco_import_reads_a_file_without_annotations_key_as_image_info(fixtures_root):
    # Like COCO's own image_info_test2017.json: images and categories, no "annotations".
    dataset = load(fixtures_root, "panopticapi/sample_data/images_info_examples.json")
    assert counts(dataset) == {"default": {"items": 2}}
    assert [(i.id, i.image_id, i.image.size) for i in dataset] == [
        ("000000142238", 142238, (427, 640)), ("000000439180", 439180, (360, 640))]
    assert len(dataset.categories.labels) == 133
    (meta,) = dataset.meta["coco"]["files"].values()
    assert meta["task"] == "image_info"


def test_coco_import_of_the_panoptic_sample_folder_shares_one_label_set(fixtures_root):
    dataset = load(fixtures_root, "panopticapi/sample_data")
    assert counts(dataset) == {"coco_detection_format": {"items": 2, "mask": 50},
                               "examples": {"items": 2, "mask": 50}}
    assert len(dataset.categories.labels) == 133


# -- mmpose, sahi, label-studio, mmdetection ----------------------------------------------------

def test_coco_import_keeps_real_person_keypoints(fixtures_root):
    dataset = load(fixtures_root, "mmpose/coco")
    assert counts(dataset) == {"default": {"items": 4, "points": 14, "polygon": 17}}
    assert label_ids(dataset) == [(1, "person")]
    (schema,) = dataset.categories.keypoints.values()
    assert len(schema.names) == 17 and schema.names[0] == "nose"
    assert len(schema.skeleton) == 19 and schema.skeleton[0] == [16, 14]  # 1-based, as given
    first = item(dataset, "default", "000000000785")
    assert first.image.path.endswith("mmpose/coco/000000000785.jpg")
    points = of_kind(first, Points)[0]
    assert points.id == 442619 and points.points[:4] == [367, 81, 374, 73]
    assert points.declared_bbox == [280.79, 44.73, 218.7, 346.68]
    # Two annotations have num_keypoints 0 and all-zero keypoints: kept, not dropped.
    empty = [p for i in dataset for p in of_kind(i, Points) if p.extra["num_keypoints"] == 0]
    assert len(empty) == 2
    assert all(set(p.points) == {0} and set(p.visibility) == {0} for p in empty)


def test_coco_import_keeps_category_id_zero(fixtures_root):
    dataset = load(fixtures_root, "sahi/coco_evaluate/dataset.json")
    assert counts(dataset) == {"default": {"items": 2, "bbox": 249}}
    assert label_ids(dataset)[:3] == [(0, "person"), (1, "bicycle"), (2, "car")]
    assert [i.image_id for i in dataset] == [1, 5]
    persons = [a for i in dataset for a in i.annotations if category_of(dataset, a).id == 0]
    assert len(persons) == 99
    first = next(iter(dataset)).annotations[0]
    assert (first.x, first.y, first.w, first.h) == (149.0, 741.0, 57.0, 23.0)
    assert first.declared_area == 1040400  # the image area, wrong but kept as given


def test_coco_import_names_result_categories_from_category_name(fixtures_root):
    dataset = load(fixtures_root, "sahi/coco_evaluate/result.json")
    assert counts(dataset) == {"default": {"items": 2, "bbox": 89}}
    assert sorted(label_ids(dataset)) == [(0, "person"), (2, "car"), (5, "bus"), (7, "truck")]


def test_coco_import_of_a_ground_truth_and_results_folder_has_one_label_per_category(fixtures_root):
    dataset = load(fixtures_root, "sahi/coco_evaluate")
    pairs = label_ids(dataset)
    assert len(pairs) == len(set(pairs)) == 80


def test_coco_import_reads_box_polygons_and_tolerates_missing_images(fixtures_root):
    one = load(fixtures_root, "sahi/coco_utils/terrain1_coco.json")
    assert counts(one) == {"default": {"items": 1, "polygon": 7}}
    (terrain,) = list(one)
    assert terrain.image.path.endswith("sahi/coco_utils/terrain1.jpg")
    assert {a.declared_area for a in terrain.annotations} == {2795520}
    everything = load(fixtures_root, "sahi/coco_utils/terrain_all_coco.json")
    assert counts(everything) == {"default": {"items": 3, "polygon": 22}}
    assert [i.image.path is not None for i in everything] == [False, False, True]


def test_coco_import_repairs_iscrowd_given_as_text(fixtures_root):
    report = Report()
    dataset = cococonv.load(str(fixtures_root / "label-studio-sdk/test_import_coco"), "coco",
                            report=report)
    assert counts(dataset) == {"default": {"items": 2, "polygon": 3}}
    assert label_ids(dataset) == [(1, "Class_1"), (2, "Class_2")]
    assert dataset.categories.labels[0].extra["color"] == "#594b6f"
    first, second = list(dataset)
    assert first.image_id == 0 and first.image.size == (6033, 4022)
    assert first.extra["coco_image"]["path"] == "image1.jpg"
    (only,) = first.annotations
    assert only.id == 0 and only.attributes["is_crowd"] is False
    assert only.extra["isbbox"] == "false"  # unknown keys stay as given
    rings = second.annotations
    assert [r.id for r in rings] == [1000, 1000] and rings[0].group == rings[1].group != 0
    assert rings[0].declared_bbox == [5040, 1686, 89, 89]  # covers one ring only; kept
    assert ("iscrowd values given as text or bool", "read as 0/1") in report.approximations


def test_coco_import_reads_boxes_without_segmentation_or_iscrowd(fixtures_root):
    dataset = load(fixtures_root, "mmdetection/tests/data/coco_sample.json")
    assert counts(dataset) == {"default": {"items": 3, "bbox": 3}}
    assert label_ids(dataset) == [(1, "bus"), (2, "car")]
    assert [(i.id, i.image_id, len(i.annotations)) for i in dataset] == [
        ("fake1", 0, 2), ("fake2", 1, 1), ("fake3", 2, 0)]
    box = next(iter(dataset)).annotations[0]
    assert box.attributes == {"score": 1.0, "is_crowd": False}
    (meta,) = dataset.meta["coco"]["files"].values()
    assert meta["top"] == {"licenses": [], "info": None}


def test_coco_import_keeps_duplicate_annotation_ids_and_warns(fixtures_root):
    report = Report()
    dataset = cococonv.load(str(fixtures_root / "mmdetection/tests/data/coco_wrong_format_sample.json"),
                            "coco", report=report)
    assert [a.id for a in next(iter(dataset)).annotations] == [1, 1]
    assert report.warnings == [("coco_wrong_format_sample.json: 1 annotations reuse an id already "
                                "used in this file; ids are kept as they are")]


# -- training_extensions, labelme, 2label, seed-examples ----------------------------------------

def test_coco_import_keeps_images_without_annotations(fixtures_root):
    dataset = load(fixtures_root, "training_extensions/car_tree_bug")
    assert counts(dataset) == {"val_1_imgs": {"items": 3, "polygon": 3}}
    assert [(i.id, i.image_id, len(i.annotations)) for i in dataset] == [
        ("Slide3", 7, 3), ("Slide4", 8, 0), ("Slide5", 9, 0)]
    first = next(iter(dataset)).annotations[0]
    assert first.points == [184.09, 131.61, 338.06, 129.89, 339.78, 457.63, 183.23, 461.08]
    assert first.attributes == {"occluded": False, "is_crowd": False}


def test_coco_import_keeps_keypoints_without_segmentation(fixtures_root):
    dataset = load(fixtures_root, "training_extensions/car_tree_bug_keypoint")
    assert counts(dataset) == {"val": {"items": 2, "points": 4}}
    (schema,) = dataset.categories.keypoints.values()
    assert schema.names == ["left_front_wheel", "left_rear_wheel", "right_front_wheel",
                            "right_rear_wheel"]
    assert schema.skeleton == [[1, 2], [2, 4], [4, 3], [3, 1]]
    points = next(iter(dataset)).annotations[0]
    assert points.points == [184.09, 131.61, 338.06, 129.89, 339.78, 457.63, 183.23, 461.08]
    assert points.visibility == [1, 1, 1, 1] and "num_keypoints" not in points.extra


def test_coco_import_keeps_background_category_zero_and_folders_in_file_names(fixtures_root):
    dataset = load(fixtures_root, "labelme/instance_segmentation/data_dataset_coco")
    assert counts(dataset) == {"default": {"items": 3, "polygon": 16}}
    labels = label_ids(dataset)
    assert len(labels) == 21 and labels[0] == (0, "_background_") and labels[-1] == (20, "tv/monitor")
    assert dataset.categories.labels[0].extra == {"supercategory": None}  # null kept
    first = next(iter(dataset))
    assert (first.id, first.image_id) == ("JPEGImages/2011_000003", 0)
    assert first.image.name == "JPEGImages/2011_000003.jpg"
    assert first.image.path.endswith("data_dataset_coco/JPEGImages/2011_000003.jpg")
    assert first.extra["coco_image"]["url"] is None
    groups = {}
    for ann in (a for i in dataset for a in i.annotations):
        groups.setdefault(ann.id, []).append(ann.group)
    assert sorted(len(g) for g in groups.values()) == [1] * 10 + [2, 4]  # multi-polygon objects
    (meta,) = dataset.meta["coco"]["files"].values()
    assert meta["top"]["type"] == "instances"


def test_coco_import_reads_a_cvat_export_with_crowd_ellipses(fixtures_root):
    dataset = load(fixtures_root, "2label/coco1.0")
    assert counts(dataset) == {"default": {"items": 4, "polygon": 3, "bbox": 18, "mask": 2}}
    assert [(label.id, label.name) for label in dataset.categories.labels][:2] == [
        (1, "rectangle"), (2, "triangle")]
    crack = item(dataset, "default", "crack")
    assert crack.annotations == [] and crack.image.name == "crack.jpeg"
    shapes = item(dataset, "default", "shapes")
    box = of_kind(shapes, Bbox)[0]
    assert box.attributes == {"occluded": False, "rotation": 0.0, "is_crowd": False}
    assert box.declared_area == 25969.501199999995
    ellipses = [m for i in dataset for m in of_kind(i, Mask)]
    assert len(ellipses) == 2
    for mask in ellipses:
        assert mask.attributes["is_crowd"] is True and isinstance(mask.rle["counts"], list)
        assert pycoco_area(mask.rle) == mask.declared_area


def test_coco_import_keeps_compressed_rle_of_a_non_crowd_object(fixtures_root):
    dataset = load(fixtures_root, "seed-examples/hasty_rle")
    assert counts(dataset) == {"default": {"items": 1, "mask": 1}}
    (mask,) = next(iter(dataset)).annotations
    assert mask.id == 0 and mask.attributes["is_crowd"] is False
    assert isinstance(mask.rle["counts"], str) and mask.rle["size"] == [2211, 2097]
    compressed = {"size": mask.rle["size"], "counts": mask.rle["counts"].encode("ascii")}
    assert pycoco_area(mask.rle) == 6718 == mask.declared_area
    assert list(pycoco_mask.toBbox(compressed)) == [504, 842, 117, 75] == mask.declared_bbox


def test_coco_import_reads_string_image_ids_flat_segmentations_and_label_names(fixtures_root):
    report = Report()
    dataset = cococonv.load(str(fixtures_root / "seed-examples/redbrick_dicom"), "coco",
                            report=report)
    assert counts(dataset) == {"default": {"items": 1, "polygon": 6, "label": 4}}
    (scan,) = list(dataset)
    uri = "dicomweb://localhost:8000/radiology/TCGA-CA-G4H2/DICOM/000045.dcm"
    assert scan.image_id == uri and scan.id == "000045"
    assert [label.name for label in dataset.categories.labels] == ["polygon", "Car", "freehan"]
    polygons = of_kind(scan, Polygon)
    assert polygons[0].points == [175.16666666666669, 174.1684027777778, 151.27777777777783,
                                  200.83506944444446, 185.72222222222226, 215.2795138888889]
    assert [p.id for p in polygons[:2]] == ["163b7530-acd2-4937-b529-27166f56b305"] * 2
    # The classification answers mixed into annotations are kept as unlabelled records.
    answers = of_kind(scan, Label)
    assert [(a.label, a.extra["name"], a.extra["value"]) for a in answers] == [
        (None, "Image size", "c1"), (None, "Image color", "r1"), (None, "opacity", "o1"),
        (None, "clarity", "")]
    assert ("flat segmentation lists", "read as one polygon each") in report.approximations


def test_coco_import_keeps_encord_extra_keys_and_invisible_keypoints(fixtures_root):
    dataset = load(fixtures_root, "seed-examples/encord_keypoints")
    assert counts(dataset) == {"default": {"items": 2, "points": 2, "polygon": 3}}
    first, second = list(dataset)
    assert (first.id, first.image_id) == ("frames/clip_01/0001", 0)
    assert first.extra["coco_image"] == {"image_title": "clip_01 frame 1", "coco_url": ""}
    points = of_kind(first, Points)[0]
    assert points.points == [120, 130, 115, 125, 0, 0] and points.visibility == [2, 2, 0]
    assert points.attributes == {"pose": "standing", "is_crowd": False}
    assert points.extra["encord_track_uuid"] == "3f1c2e0a-9a7b-4c1d-8e2f-0b1a2c3d4e5f"
    assert points.extra["manual_annotation"] is True and points.extra["track_id"] == 1
    car = next(p for p in of_kind(second, Polygon) if category_of(dataset, p).name == "car")
    assert car.attributes == {"is_crowd": False}


# -- detection --------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", [
    "datumaro/coco_dataset/coco", "datumaro/coco_dataset/coco_instances",
    "datumaro/coco_dataset/coco_roboflow", "datumaro/roboflow_dataset/coco",
    "cocoapi/results", "panopticapi/sample_data", "mmpose/coco", "sahi/coco_utils",
    "label-studio-sdk/test_import_coco", "labelme/instance_segmentation/data_dataset_coco",
    "2label/coco1.0", "seed-examples/redbrick_dicom",
])
def test_coco_is_the_best_detected_format_of_every_coco_fixture(fixtures_root, rel):
    matches = cococonv.detect(str(fixtures_root / rel))
    assert matches and matches[0][0] == "coco"


def test_coco_import_without_format_detects_coco(fixtures_root):
    dataset = cococonv.load(str(fixtures_root / "datumaro/coco_dataset/coco_instances"))
    assert len(dataset) == 2 and [label.id for label in dataset.categories.labels] == [1, 2, 4]
