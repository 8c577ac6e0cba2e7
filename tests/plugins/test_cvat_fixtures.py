"""Every third-party CVAT dataset in ../shared/fixtures imports with the values it holds."""
from __future__ import annotations

import pytest

import cococonv
from cococonv import Report
from cococonv.model import Bbox, Ellipse, Points, Polygon, Polyline

IMAGES_TASK = "datumaro/cvat_dataset/for_images/export_task"
IMAGES_PROJECT = "datumaro/cvat_dataset/for_images/export_project"
VIDEO = "datumaro/cvat_dataset/for_video"
SKELETON_IMAGES = "cvat-ai-datumaro/cvat_dataset/for_images"
SKELETON_VIDEO = "cvat-ai-datumaro/cvat_dataset/for_video"
TWO_LABEL = "2label/cvat1.1"
DOCLING = "docling-eval/cvat_pdfs_dataset_e2e"
ALL = [IMAGES_TASK, IMAGES_PROJECT, VIDEO, SKELETON_IMAGES, SKELETON_VIDEO, TWO_LABEL, DOCLING]


def _load(fixtures_root, rel):
    report = Report(quiet=True)
    dataset = cococonv.load(str(fixtures_root / rel), report=report)
    return dataset, report


def _kinds(dataset):
    counts: dict[str, int] = {}
    for item in dataset:
        for ann in item.annotations:
            counts[ann.kind] = counts.get(ann.kind, 0) + 1
    return counts


@pytest.mark.parametrize("rel", ALL)
def test_cvat_fixture_is_detected_as_cvat(fixtures_root, rel):
    assert cococonv.detect(str(fixtures_root / rel))[0][0] == "cvat"


def test_cvat_task_export_types_attributes_by_their_declaration(fixtures_root):
    dataset, report = _load(fixtures_root, IMAGES_TASK)
    assert [label.name for label in dataset.categories.labels] == ["label1", "label2"]
    assert dataset.categories.labels[0].attributes == ["a1", "a2", "a3", "a4"]
    assert [(i.subset, i.id, i.image.size, i.attributes["frame"]) for i in dataset] == [
        ("default", "img0", (8, 8), 0), ("default", "img1", (10, 10), 1)]
    img0, img1 = list(dataset)
    box, line = img0.annotations
    assert isinstance(box, Bbox) and (box.x, box.y, box.w, box.h) == (0, 2, 4, 2)
    assert box.attributes == {"occluded": True, "a1": True, "a2": "v3", "a3": "0003", "a4": 2.4}
    assert box.z_order == 1 and box.label == 0
    assert isinstance(line, Polyline) and line.label is None  # label=""
    assert line.points == [1.0, 2, 3, 4, 5, 6, 7, 8]
    polygon, points = img1.annotations
    assert isinstance(polygon, Polygon) and polygon.points == [1, 2, 3, 4, 6, 5]
    assert isinstance(points, Points) and points.visibility == [2, 2, 2] and points.z_order == 2
    assert img0.image.path is not None and img0.image.path.endswith("images/img0.jpg")
    assert not report.warnings


def test_cvat_project_export_has_three_subsets_with_repeated_frame_ids(fixtures_root):
    dataset, _ = _load(fixtures_root, IMAGES_PROJECT)
    assert dataset.subsets == ["Test", "Train", "Validation"]
    assert len(dataset) == 6
    for subset in dataset.subsets:
        items = dataset.items_of(subset)
        assert [(i.id, i.attributes["frame"]) for i in items] == [("img0", 0), ("img1", 1)]
        assert items[0].image.path.endswith(f"images/{subset}/img0.jpg")
        assert items[0].extra["cvat"]["xml"] == {"task_id": "39"}
    assert _kinds(dataset) == {"bbox": 3, "polyline": 3, "polygon": 3, "points": 3}
    assert dataset.meta["cvat"]["meta"][0][0] == "project"


def test_cvat_video_export_puts_track_shapes_on_frames_and_drops_outside(fixtures_root):
    dataset, _ = _load(fixtures_root, VIDEO)
    assert [(i.id, i.attributes["frame"], i.image.size) for i in dataset] == [
        ("frame_000010", 10, (20, 25)), ("frame_000013", 13, (20, 25)),
        ("frame_000016", 16, (20, 25))]
    f10, f13, f16 = list(dataset)
    assert [type(a) for a in f10.annotations] == [Bbox, Points]
    box, points = f10.annotations
    assert (box.x, box.y, box.w, box.h) == (3, 4, 7, 1)
    assert box.attributes == {"occluded": True, "track_id": 0}
    assert box.extra["cvat"]["keyframe"] is True
    assert points.attributes["hgl"] == "hgkf" and points.attributes["track_id"] == 1
    assert [type(a) for a in f13.annotations] == [Polyline]
    assert f13.annotations[0].attributes["track_id"] == 2
    assert f16.annotations == []  # every shape there is outside
    assert f16.image.path.endswith("images/frame_000016.png")


def test_cvat_skeletons_become_points_in_schema_order(fixtures_root):
    dataset, _ = _load(fixtures_root, SKELETON_IMAGES)
    cats = dataset.categories
    assert [label.name for label in cats.labels] == ["label1", "label2", "skeleton"]
    schema = cats.keypoints[2]
    assert schema.names == ["1", "2", "3", "4"]
    assert schema.skeleton == [[3, 2], [1, 4]]
    assert cats.colormap[2] == (0x0C, 0x81, 0xB5)
    img0, img1 = list(dataset)
    skeleton = img0.annotations[2]
    assert isinstance(skeleton, Points) and skeleton.label == 2
    assert skeleton.points == [1, 1, 2, 2, 3, 3, 4, 4]
    assert skeleton.visibility == [0, 2, 2, 2]
    assert img1.annotations[2].visibility == [2, 2, 0, 2]


def test_cvat_skeleton_track_keeps_nodes_per_frame(fixtures_root):
    dataset, _ = _load(fixtures_root, SKELETON_VIDEO)
    frames = {i.id: i for i in dataset}
    assert list(frames) == ["frame_000010", "frame_000013", "frame_000016"]
    skeletons = [[a for a in frames[f].annotations if a.label == 3] for f in frames]
    assert [len(s) for s in skeletons] == [1, 1, 1]
    assert skeletons[0][0].visibility == [2, 2, 2, 2]
    assert skeletons[1][0].visibility == [2, 2, 0, 2]  # node 3 goes outside at frame 13
    assert skeletons[1][0].points[4:6] == [83.27, 106.61]
    assert skeletons[2][0].visibility == [2, 2, 0, 2]  # and stays out at 16
    assert skeletons[0][0].attributes["track_id"] == 3
    assert frames["frame_000016"].image.path is None  # the one missing frame image
    assert frames["frame_000016"].image.name == "frame_000016.png"


def test_cvat_real_server_export_reads_ellipses_and_task_subset(fixtures_root):
    dataset, _ = _load(fixtures_root, TWO_LABEL)
    assert dataset.subsets == ["Test"]  # <task><subset>Test</subset>
    assert [i.id for i in dataset] == ["birds", "crack", "shapes", "strawberry"]
    assert _kinds(dataset) == {"polygon": 3, "polyline": 2, "bbox": 18, "ellipse": 2}
    shapes = dataset.get("Test", "shapes")
    ellipse = next(a for a in shapes.annotations if isinstance(a, Ellipse))
    assert (ellipse.cx, ellipse.cy, ellipse.rx, ellipse.ry) == (447.89, 314.61, 82.09, 82.09)
    box = next(a for a in shapes.annotations if isinstance(a, Bbox))
    assert (box.x, box.y, box.w, box.h) == (45.8, 45.8, 184.81, 140.52)
    assert box.extra["cvat"] == {"source": "manual"}
    assert shapes.image.size == (643, 588)
    assert dataset.categories.labels[0].extra["cvat"]["fields"][1] == ["type", "any"]


def test_cvat_job_export_reads_self_closing_tags_and_numbers(fixtures_root):
    dataset, _ = _load(fixtures_root, DOCLING)
    assert len(dataset) == 4 and dataset.subsets == ["default"]
    assert [i.attributes["frame"] for i in dataset] == [0, 1, 5, 9]  # a job's frames
    assert _kinds(dataset) == {"bbox": 157, "polyline": 25}
    assert len(dataset.categories.labels) == 29
    assert dataset.meta["cvat"]["meta"][0][0] == "job"
    values = [a.attributes for i in dataset for a in i.annotations if "level" in a.attributes]
    assert len(values) == 41 and all(type(v["level"]) is int for v in values)
    jsons = [a.attributes["json"] for i in dataset for a in i.annotations
             if "json" in a.attributes]
    assert len(jsons) == 18 and set(jsons) == {""}
    sources = {a.extra["cvat"]["source"] for i in dataset for a in i.annotations}
    assert sources == {"file", "manual"}
    first = next(iter(dataset))
    assert first.image.size == (1587, 2382) and first.image.path is None
