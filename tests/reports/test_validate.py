"""cococonv.validation: every planted defect found at its place, nothing on clean data."""
from __future__ import annotations

import pytest

from cococonv.model import Bbox, Categories, Dataset, Image, Item, LabelCategory, Mask, Polygon
from cococonv.validation import ERROR, WARNING, validate, validate_dataset

from .planted import PLANTS, clean_doc, planted, write

CLEAN_FIXTURES = ["datumaro/coco_dataset/coco_person_keypoints",
                  "datumaro/coco_dataset/coco_stuff", "datumaro/coco_dataset/coco_captions",
                  "datumaro/coco_dataset/coco_labels",
                  "cvat-ai-datumaro/coco_dataset/coco_person_keypoints",
                  "datumaro/cvat_dataset/for_images/export_task",
                  "datumaro/cvat_dataset/for_images/export_project"]


def _found(findings, rule: str, place: str) -> bool:
    return any(f.rule == rule and place in f.place() for f in findings)


def test_a_clean_generated_dataset_has_no_finding(tmp_path):
    result = validate(str(write(tmp_path / "ds", clean_doc())))
    assert result.findings == []
    assert result.passed(strict=True)


@pytest.mark.parametrize("fixture", CLEAN_FIXTURES)
def test_clean_fixtures_have_no_finding(fixtures_root, fixture):
    assert validate(str(fixtures_root / fixture)).findings == []


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_each_planted_defect_is_found_at_its_place(tmp_path, name):
    root, [(rule, place)] = planted(tmp_path / "ds", [name])
    result = validate(str(root))
    assert _found(result.findings, rule, place), [f.as_dict() for f in result.findings]
    # nothing else is reported but the importer's own word on the same defect
    assert {f.rule for f in result.findings} <= {rule, "import-warning"}


def test_defects_planted_together_are_all_found(tmp_path):
    names = ["duplicate_image_id", "duplicate_annotation_id", "unknown_image",
             "unknown_category", "zero_box", "wrong_area", "rle_wrong_sum",
             "unused_category", "missing_image", "crowd_as_text"]
    root, expected = planted(tmp_path / "ds", names)
    result = validate(str(root))
    for rule, place in expected:
        assert _found(result.findings, rule, place), (rule, place)
    assert result.errors == 5 and not result.passed()


def test_severity_errors_and_warnings(tmp_path):
    root, _ = planted(tmp_path / "w", ["wrong_area"])
    result = validate(str(root))
    assert [f.severity for f in result.findings] == [WARNING]
    assert result.passed() and not result.passed(strict=True)
    root, _ = planted(tmp_path / "e", ["negative_box"])
    refused = validate(str(root)).findings[0]
    assert refused.severity == ERROR
    assert refused.file == "annotations/instances_train.json"
    assert "must not be negative" in refused.message


def test_area_tolerance_decides_the_area_smell(tmp_path):
    doc = clean_doc()
    doc["annotations"][0]["area"] *= 1.2
    root = write(tmp_path / "ds", doc)
    assert _found(validate(str(root)).findings, "area-mismatch", "annotation 1")
    assert validate(str(root), area_tolerance=0.25).findings == []


def test_a_file_that_cannot_be_read_is_one_error(tmp_path):
    root = write(tmp_path / "ds", clean_doc())
    (root / "annotations" / "instances_train.json").write_text("{not json")
    result = validate(str(root), "coco")
    assert [f.rule for f in result.findings] == ["unreadable"]
    assert "instances_train.json" in result.findings[0].place()


def test_model_rules_for_what_other_importers_keep():
    """Rules the COCO importer already refuses, on a dataset made in memory (a CVAT or
    label-studio read, a transform's output)."""
    cats = Categories([LabelCategory("a")])
    image = Image("x.png", (10, 10), path="/nonexistent/x.png")
    item = Item("x", "s", image, [
        Polygon(id=1, label=0, points=[0, 0, 5, 5]),
        Mask(id=2, label=0, rle={"size": [5, 5], "counts": [25]}),
        Mask(id=3, label=0, rle={"size": [10, 10], "counts": [10, 5]}),
        Bbox(id=4, label=0, x=1, y=1, w=-2, h=3),
    ], image_id=7)
    twin = Item("y", "s", Image("y.png", (10, 10), path="/nonexistent/y.png"), [], image_id=7)
    rules = {(f.rule, f.annotation) for f in validate_dataset(Dataset(cats, [item, twin]))}
    assert rules == {("polygon-too-small", 1), ("rle-size", 2), ("rle-counts", 3),
                     ("box-not-positive", 4), ("duplicate-image-id", None)}


def test_keypoint_ids_reusing_instance_ids_are_not_duplicates(fixtures_root):
    # COCO person_keypoints files reuse the ids of the instances they describe.
    found = validate(str(fixtures_root / "datumaro/coco_dataset/coco_person_keypoints"))
    assert not found.findings
