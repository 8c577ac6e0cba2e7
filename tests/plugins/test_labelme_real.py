"""LabelMe's own example files (tests/data/labelme, GPL-3.0, see SOURCE.md): read, written
back unchanged in meaning, and carried to COCO and CVAT with a report line for the rest."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cococonv
from cococonv import Report
from cococonv import masks as M

DATA = Path(__file__).resolve().parents[1] / "data" / "labelme"
FOLDERS = sorted(p.name for p in DATA.iterdir() if p.is_dir())


def kinds(dataset) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in dataset:
        for ann in item.annotations:
            found[ann.kind] = found.get(ann.kind, 0) + 1
    return found


def test_every_example_is_detected_as_labelme():
    for folder in FOLDERS:
        assert cococonv.detect(str(DATA / folder))[0][0] == "labelme", folder


def test_primitives_hold_every_shape_type_the_gui_draws():
    dataset = cococonv.load(str(DATA / "v5_primitives"))
    assert kinds(dataset) == {"bbox": 2, "ellipse": 1, "polygon": 1, "polyline": 2,
                              "points": 1, "mask": 1}
    item = next(iter(dataset))
    assert item.image.size == (450, 560) and item.image.path.endswith("primitives.jpg")
    mask = next(a for a in item.annotations if a.kind == "mask")
    assert M.area(mask.rle) > 0 and mask.rle["size"] == [450, 560]


def test_a_3x_file_without_shape_type_version_or_size():
    dataset = cococonv.load(str(DATA / "v3_no_shape_type"))
    item = next(iter(dataset))
    assert kinds(dataset) == {"polygon": 5}
    assert item.image.size == (338, 500)  # from the JPEG header
    assert set(item.extra["labelme"]["keys"]) == {"lineColor", "fillColor"}
    assert set(item.annotations[0].extra["labelme"]["keys"]) == {"line_color", "fill_color"}


def test_group_id_zero_ties_two_polygons_of_one_person():
    item = next(iter(cococonv.load(str(DATA / "v4_group_id"))))
    groups = [ann.group for ann in item.annotations]
    assert groups[1] == groups[2] != 0 and groups[0] == 0
    assert item.image.size == (338, 500) and not item.image.has_data


def test_classification_flags_are_image_labels():
    dataset = cococonv.load(str(DATA / "v4_classification"))
    assert [(item.id, [dataset.categories.name_of(a.label) for a in item.annotations])
            for item in dataset] == [("0001", ["cat"]), ("0002", ["dog"])]


@pytest.mark.parametrize("folder", FOLDERS)
def test_labelme_to_labelme_keeps_every_shape_and_flag(folder, tmp_path):
    report = Report(quiet=True)
    cococonv.convert(str(DATA / folder), str(tmp_path / "out"), output_format="labelme",
                     report=report, jobs=1)
    assert not report.losses and not report.approximations
    for source in (DATA / folder).glob("*.json"):
        before = json.loads(source.read_text())
        after = json.loads((tmp_path / "out" / source.name).read_text())
        assert after["flags"] == (before.get("flags") or {})
        assert len(after["shapes"]) == len(before["shapes"])
        for one, two in zip(before["shapes"], after["shapes"]):
            assert two["label"] == one["label"]
            assert two["shape_type"] == one.get("shape_type", "polygon")
            assert two["group_id"] == one.get("group_id")
            if one.get("shape_type") == "mask":
                assert two["points"] == one["points"]
            else:
                assert np.allclose(two["points"], one["points"])
            for key in set(one) - {"shape_type", "points", "mask", "group_id",
                                   "description", "flags"}:
                assert two[key] == one[key], key
        for key in set(before) - {"imageData", "shapes", "flags", "version"}:
            assert after[key] == before[key], key
        assert after["imageHeight"] and after["imageWidth"]


def test_labelme_to_coco_to_cvat_carries_what_cvat_can_hold(tmp_path):
    to_coco = Report(quiet=True)
    cococonv.convert(str(DATA / "v5_primitives"), str(tmp_path / "coco"),
                     output_format="coco", report=to_coco, jobs=1)
    to_cvat = Report(quiet=True)
    cococonv.convert(str(tmp_path / "coco"), str(tmp_path / "cvat"), output_format="cvat",
                     report=to_cvat, jobs=1)
    through = cococonv.load(str(tmp_path / "cvat"), "cvat")
    # COCO holds boxes, polygons, masks and points; the circle became a polygon
    assert kinds(through) == {"bbox": 2, "polygon": 2, "mask": 1, "points": 1}
    assert ("polylines", "COCO has no open lines") in to_coco.losses
    assert to_coco.losses[("polylines", "COCO has no open lines")] == 2
    assert [what for what, _how in to_coco.approximations] == ["ellipses"]
    direct = Report(quiet=True)
    cococonv.convert(str(DATA / "v5_primitives"), str(tmp_path / "cvat2"),
                     output_format="cvat", report=direct, jobs=1)
    assert kinds(cococonv.load(str(tmp_path / "cvat2"), "cvat")) == kinds(
        cococonv.load(str(DATA / "v5_primitives")))


def test_x_anylabeling_pose_file_keeps_its_object_scores_and_corners(tmp_path):
    dataset = cococonv.load(str(DATA / "xanylabeling"))
    pose = next(item for item in dataset if item.id == "human-pose")
    box, *points = pose.annotations
    assert box.kind == "bbox" and "rotation" not in box.attributes
    assert box.attributes["score"] == pytest.approx(0.93617, abs=1e-5)
    assert box.attributes["difficult"] is False
    assert len(points) == 16 and {p.group for p in points} == {box.group} != {0}
    assert box.extra["labelme"]["keys"] == {"kie_linking": [], "visible": False}
    cococonv.convert(str(DATA / "xanylabeling"), str(tmp_path / "cvat"), output_format="cvat",
                     report=Report(quiet=True), jobs=1)
    back = next(item for item in cococonv.load(str(tmp_path / "cvat"), "cvat")
                if item.id == "human-pose")
    assert kinds([back]) == {"bbox": 1, "points": 16}
    assert len({ann.group for ann in back.annotations}) == 1
    assert back.annotations[0].attributes["score"] == pytest.approx(0.93617, abs=1e-5)


def test_keypoint_groups_make_the_pose_file_one_person_with_a_schema(tmp_path):
    report = Report(quiet=True)
    dataset = cococonv.load(str(DATA / "xanylabeling"), "labelme", report=report,
                            keypoint_groups=True)
    assert [label.name for label in dataset.categories.labels] == ["person", "tag"]
    person = dataset.categories.find("person")
    schema = dataset.categories.keypoints[person]
    assert schema.names[:3] == ["nose", "left_eye", "right_eye"] and len(schema.names) == 16
    pose = next(item for item in dataset if item.id == "human-pose")
    assert kinds([pose]) == {"bbox": 1, "points": 1}
    keypoints = pose.annotations[-1]
    assert keypoints.label == person and keypoints.visibility == [2] * 16
    assert keypoints.points[:2] == [263.0, 299.0] and keypoints.group == pose.annotations[0].group
    assert report.losses[("keypoint attributes", "a keypoint set keeps no fields per point "
                                                 "(--keypoint-groups)")] == 16
    cococonv.save(dataset, "coco", str(tmp_path / "coco"), report=Report(quiet=True))
    coco = json.loads((tmp_path / "coco" / "annotations" /
                       "person_keypoints_default.json").read_text())
    assert coco["categories"][0]["keypoints"][:2] == ["nose", "left_eye"]
    assert coco["annotations"][0]["num_keypoints"] == 16
