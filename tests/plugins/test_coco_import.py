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
    assert item.subset == "val2017" and item.id == "a" and item.image_id == 1
    (polygon,) = item.annotations
    assert isinstance(polygon, Polygon)
    assert dataset.categories.labels[polygon.label].id == 4
    assert polygon.declared_bbox == [1.5, 2.25, 79.12, 3.0]


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


def test_panoptic_pngs_read_by_the_engine_give_the_same_dataset_for_every_jobs(tmp_path):
    """--jobs 2 decodes the segment PNGs in workers: the same masks, warnings and skipped
    records as --jobs 1, also for a missing PNG, a broken one and a repeated segment id."""
    import io
    import re

    import numpy as np
    from PIL import Image as PILImage

    from cococonv.engine import CHUNK

    rng = np.random.default_rng(7)
    folder = tmp_path / "annotations" / "panoptic_val"
    folder.mkdir(parents=True)
    images, records = [], []
    for k in range(2 * CHUNK + 11):
        ids = rng.integers(0, 3, size=(6, 8)).astype(np.uint32) * 70000
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
        name = f"p{k:03d}.png"
        if k == 5:
            (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n broken")
        elif k != 9:  # p009.png is missing
            buffer = io.BytesIO()
            PILImage.fromarray(rgb).save(buffer, format="PNG")
            (folder / name).write_bytes(buffer.getvalue())
        images.append({"id": k, "file_name": f"p{k:03d}.jpg", "width": 8,
                       "height": 6 if k != 3 else 7})
        segments = [{"id": 70000 * s, "category_id": 1 + s % 2} for s in (1, 2)]
        if k == 4:
            segments.append({"id": 70000, "category_id": 1})
        records.append({"image_id": k, "file_name": name, "segments_info": segments})
    doc = {"images": images, "annotations": records,
           "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}
    (tmp_path / "annotations" / "panoptic_val.json").write_text(json.dumps(doc))

    def read(jobs: int) -> list:
        report = Report("skip", quiet=True)
        dataset = cococonv.load(str(tmp_path), "coco_panoptic", jobs=jobs, report=report)
        lines = [re.sub(r" at 0x[0-9a-f]+", "", line)  # PIL names its BytesIO's address
                 for line in report.skipped + report.warnings]
        return [(i.id, i.annotations) for i in dataset] + lines

    once = read(1)
    assert len([a for a in once if type(a) is tuple and a[1]]) == 2 * CHUNK + 9
    assert read(2) == once
