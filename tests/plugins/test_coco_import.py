"""COCO importer: values land in the model as the source had them."""
from __future__ import annotations

import json

import cococonv
from cococonv.model import Bbox, Mask, Points, Polygon
from cococonv.report import Report

from ..builders import coco_ann, coco_doc, write_coco


def test_coco_import_keeps_sparse_category_ids_and_values(tmp_path):
    doc = coco_doc(categories=[{"id": 4, "name": "c", "supercategory": "s"},
                               {"id": 1, "name": "a", "supercategory": ""}],
                   annotations=[coco_ann(category_id=4, bbox=[1.5, 2.25, 79.12, 3.0])])
    dataset = cococonv.load(str(write_coco(tmp_path, {"instances_val2017": doc})), "coco")
    assert [(label.id, label.name) for label in dataset.categories.labels] == [(4, "c"), (1, "a")]
    (item,) = list(dataset)
    assert item.subset == "val2017" and item.id == "a" and item.attributes["id"] == 1
    (polygon,) = item.annotations
    assert isinstance(polygon, Polygon)
    assert dataset.categories.labels[polygon.label].id == 4
    assert polygon.extra["bbox"] == [1.5, 2.25, 79.12, 3.0]


def test_coco_import_reads_every_shape_kind(tmp_path):
    rle = {"size": [8, 10], "counts": [10, 5, 65]}
    doc = coco_doc(annotations=[
        coco_ann(id=1, segmentation=[[0, 0, 4, 0, 4, 4], [6, 6, 8, 6, 8, 7]]),
        coco_ann(id=2, segmentation=rle, iscrowd=1),
        coco_ann(id=3, segmentation=[], bbox=[1, 2, 3, 4]),
    ])
    dataset = cococonv.load(str(write_coco(tmp_path, {"instances_default": doc})))
    kinds = [type(a) for a in list(dataset)[0].annotations]
    assert kinds == [Polygon, Polygon, Mask, Bbox]
    anns = list(dataset)[0].annotations
    assert anns[0].group == anns[1].group != 0
    assert anns[2].attributes["is_crowd"] is True and anns[2].rle is rle or anns[2].rle == rle
    assert (anns[3].x, anns[3].y, anns[3].w, anns[3].h) == (1, 2, 3, 4)


def test_coco_import_keeps_keypoints_exactly(tmp_path):
    doc = coco_doc(
        categories=[{"id": 1, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]}],
        annotations=[coco_ann(keypoints=[5, 6, 0, 7.5, 8, 2], num_keypoints=1)])
    dataset = cococonv.load(str(write_coco(tmp_path, {"person_keypoints_train": doc})))
    points = next(a for a in list(dataset)[0].annotations if isinstance(a, Points))
    assert points.points == [5, 6, 7.5, 8] and points.visibility == [0, 2]
    schema = dataset.categories.keypoints[points.label]
    assert schema.names == ["a", "b"] and schema.skeleton == [[1, 2]]


def test_coco_import_keeps_a_keypoint_set_shorter_than_its_names_and_warns(tmp_path):
    doc = coco_doc(
        categories=[{"id": 1, "name": "person", "keypoints": ["a", "b", "c"], "skeleton": []}],
        annotations=[coco_ann(id=k, segmentation=[], keypoints=[5, 6, 2, 7, 8, 1],
                              face_kpts=[1, 1, 2]) for k in (1, 2)])
    report = Report()
    dataset = cococonv.load(str(write_coco(tmp_path, {"person_keypoints_train": doc})),
                            report=report)
    sets = [a for a in list(dataset)[0].annotations if isinstance(a, Points)]
    assert [(p.points, p.visibility) for p in sets] == [([5, 6, 7, 8], [2, 1])] * 2
    assert all(p.extra["face_kpts"] == [1, 1, 2] for p in sets)
    assert report.warnings == ["annotations/person_keypoints_train.json: category 'person' "
                               "names 3 keypoints, but 2 annotations hold 2; kept as given"]


def test_coco_import_maps_a_category_name_in_category_id_to_the_declared_category(tmp_path):
    doc = coco_doc(categories=[{"id": 5, "name": "cat"}, {"id": 9, "name": "dog"}],
                   annotations=[coco_ann(category_id="dog")])
    dataset = cococonv.load(str(write_coco(tmp_path, {"instances_train": doc})))
    (ann,) = list(dataset)[0].annotations
    assert dataset.categories.labels[ann.label].id == 9
    assert [label.name for label in dataset.categories.labels] == ["cat", "dog"]


def test_coco_task_importer_reads_a_single_file_named_for_another_task(tmp_path):
    path = tmp_path / "captions_x.json"
    path.write_text(json.dumps(coco_doc()))
    dataset = cococonv.load(str(path), "coco_instances")
    (item,) = list(dataset)
    assert item.subset == "x" and isinstance(item.annotations[0], Polygon)
