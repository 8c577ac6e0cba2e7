"""`detect` names every real export as what it is, and COCO's guess is precise: a JSON
file is COCO only with COCO's shape (images/categories at the top, or image_id records),
so Label Studio exports, whose tasks also hold "annotations", are not."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cococonv
from cococonv_plugins.coco.discovery import coco_shape

LABEL_STUDIO = Path(__file__).parent / "data" / "label_studio"

FIXTURES = {
    "coco": [
        "datumaro/coco_dataset/coco", "datumaro/coco_dataset/coco_instances",
        "datumaro/coco_dataset/coco_captions", "datumaro/coco_dataset/coco_image_info",
        "datumaro/coco_dataset/coco_labels", "datumaro/coco_dataset/coco_panoptic",
        "datumaro/coco_dataset/coco_person_keypoints", "datumaro/coco_dataset/coco_stuff",
        "datumaro/coco_dataset/coco_roboflow", "datumaro/coco_dataset/mmdet_coco",
        "datumaro/roboflow_dataset/coco", "cvat-ai-datumaro/coco_dataset/coco_person_keypoints",
        "cocoapi/results", "panopticapi/sample_data", "mmpose/coco", "sahi/coco_evaluate",
        "sahi/coco_utils", "label-studio-sdk/test_import_coco",
        "training_extensions/car_tree_bug", "training_extensions/car_tree_bug_keypoint",
        "labelme/instance_segmentation/data_dataset_coco", "2label/coco1.0",
        "seed-examples/hasty_rle", "seed-examples/redbrick_dicom",
        "seed-examples/encord_keypoints"],
    "voc": [
        "datumaro/roboflow_dataset/voc", "datumaro/voc_dataset/voc_dataset1",
        "datumaro/voc_dataset/voc_dataset2", "datumaro/voc_dataset/voc_dataset3",
        "labelme/instance_segmentation/data_dataset_voc",
        "labelme/bbox_detection/data_dataset_voc", "2label/voc1.1", "2label/labelImg"],
    "cvat": [
        "datumaro/cvat_dataset/for_images/export_task",
        "datumaro/cvat_dataset/for_images/export_project", "datumaro/cvat_dataset/for_video",
        "cvat-ai-datumaro/cvat_dataset/for_images", "cvat-ai-datumaro/cvat_dataset/for_video",
        "2label/cvat1.1", "docling-eval/cvat_pdfs_dataset_e2e"],
}


def _family(name: str) -> str:
    return name.split("_")[0] if name.startswith(("coco_", "voc_")) else name


@pytest.mark.parametrize("fmt, rel", [(fmt, rel) for fmt, rels in FIXTURES.items()
                                      for rel in rels], ids=lambda v: str(v))
def test_every_fixture_is_detected_as_what_it_is(fixtures_root, fmt, rel):
    matches = cococonv.detect(str(fixtures_root / rel))
    assert matches and _family(matches[0][0]) == fmt, matches


def test_a_folder_of_label_studio_exports_is_not_coco(tmp_path):
    for source in LABEL_STUDIO.glob("*/*.json"):
        shutil.copy(source, tmp_path / f"{source.parent.name}.json")
    assert len(list(tmp_path.iterdir())) >= 3
    matches = [name for name, _score in cococonv.detect(str(tmp_path))]
    assert matches[0] == "label_studio" and not any(_family(m) == "coco" for m in matches)
    single = cococonv.detect(str(tmp_path / "coco_export.json"))
    assert [name for name, _ in single][0] == "label_studio"
    assert not any(_family(name) == "coco" for name, _ in single)


@pytest.mark.parametrize("head, coco", [
    (b'{"info": {}, "images": [], "annotations": []}', True),
    (b'{"categories": [{"id": 1}], "images"', True),            # cut by the head's end
    (b'{"annotations": [{"id": 1, "image_id": 3, "bbox": [0, 0, 1, 1]}]}', True),
    (b'[{"image_id": 1, "category_id": 2, "score": 0.5}]', True),  # a results list
    (b'[{"id": 1, "annotations": [{"result": []}], "data": {"image": "a.jpg"}}]', False),
    (b'{"id": 1, "annotations": [{"result": []}], "data": {"images": "a.jpg"}}', False),
    (b'{"info": {"images": [1]}, "note": "\\"categories\\": ["}', False),
    (b'{"shapes": [], "imagePath": "a.jpg", "annotations": null}', False),
], ids=["coco", "cut", "annotations-only", "results", "ls-list", "ls-task", "nested",
        "other-tool"])
def test_coco_shape_reads_keys_by_their_nesting(head, coco):
    assert coco_shape(head) is coco
