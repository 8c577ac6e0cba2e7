"""The seed datasets the fuzzer mutates: third-party fixtures, the examples, zips of both.

A seed is a folder copied into each case's sandbox; `entry` is what `-i` names inside the
copy (the folder itself, or one annotation file of it). Zip seeds are built once per run
from folder seeds, the way CVAT and Roboflow hand out exports.
"""
from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(os.environ.get("COCOCONV_FIXTURES", "/work/shared/fixtures"))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Seed:
    """One dataset to mutate: `root` is copied, `entry` (relative to it) is given to -i."""

    name: str
    root: Path
    entry: str = ""
    input_format: str = ""
    zipped: bool = False


# (fixture folder, entry inside it, the -if a user would give)
_FIXTURE_SEEDS = [
    ("datumaro/coco_dataset/coco", "", "coco"),
    ("datumaro/coco_dataset/coco_instances", "", "coco_instances"),
    ("datumaro/coco_dataset/coco_captions", "", "coco_captions"),
    ("datumaro/coco_dataset/coco_labels", "", "coco_labels"),
    ("datumaro/coco_dataset/coco_panoptic", "", "coco_panoptic"),
    ("datumaro/coco_dataset/coco_person_keypoints", "", "coco_person_keypoints"),
    ("datumaro/coco_dataset/coco_stuff", "", "coco_stuff"),
    ("datumaro/coco_dataset/coco_roboflow", "", "coco"),
    ("datumaro/coco_dataset/mmdet_coco", "", "coco"),
    ("datumaro/roboflow_dataset/coco", "", "coco"),
    ("datumaro/roboflow_dataset/voc", "", "voc"),
    ("datumaro/voc_dataset/voc_dataset1", "", "voc"),
    ("datumaro/voc_dataset/voc_dataset2", "", "voc"),
    ("datumaro/voc_dataset/voc_dataset3", "", "voc"),
    ("datumaro/cvat_dataset/for_images/export_task", "", "cvat"),
    ("datumaro/cvat_dataset/for_images/export_project", "", "cvat"),
    ("datumaro/cvat_dataset/for_video", "", "cvat"),
    ("cvat-ai-datumaro/cvat_dataset/for_images", "", "cvat"),
    ("cvat-ai-datumaro/coco_dataset/coco_person_keypoints", "", "coco_person_keypoints"),
    ("cocoapi/results", "instances_val2014_fakesegm100_results.json", "coco_instances"),
    ("panopticapi/sample_data", "panoptic_coco_detection_format.json", "coco_instances"),
    ("mmpose/coco", "test_coco.json", "coco_person_keypoints"),
    ("sahi/coco_utils", "terrain1_coco.json", "coco_instances"),
    ("label-studio-sdk/test_import_coco", "coco_import_input.json", "coco_instances"),
    ("mmdetection/tests/data", "coco_sample.json", "coco_instances"),
    ("mmdetection/tests/data/VOCdevkit", "", "voc"),
    ("training_extensions/car_tree_bug", "", "coco"),
    ("labelme/instance_segmentation/data_dataset_coco", "annotations.json", "coco_instances"),
    ("labelme/instance_segmentation/data_dataset_voc", "", "voc"),
    ("labelme/bbox_detection/data_dataset_voc", "", "voc"),
    ("2label/cvat1.1", "", "cvat"),
    ("2label/coco1.0", "", "coco"),
    ("2label/voc1.1", "", "voc"),
    ("2label/labelImg", "", "voc"),
    ("docling-eval/cvat_pdfs_dataset_e2e", "case_01_annotations.xml", "cvat"),
    ("seed-examples/hasty_rle", "", "coco"),
    ("seed-examples/encord_keypoints", "", "coco"),
]
_EXAMPLE_SEEDS = [("coco_small", "", "coco"), ("voc_small", "", "voc")]
# Folder seeds also handed out as a .zip (CVAT's export archive is the common case).
_ZIPPED = {"datumaro/cvat_dataset/for_images/export_task", "datumaro/coco_dataset/coco_instances",
           "datumaro/voc_dataset/voc_dataset1", "2label/cvat1.1", "voc_small"}


def folder_seeds() -> list[Seed]:
    """Every seed folder that exists here (a checkout without the fixtures has the examples)."""
    found = []
    for base, table in ((FIXTURES, _FIXTURE_SEEDS), (EXAMPLES, _EXAMPLE_SEEDS)):
        for rel, entry, fmt in table:
            root = base / rel
            if (root / entry).exists():
                found.append(Seed(rel, root, entry, fmt))
    return found


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip `folder`'s content (members relative to it), deflated, in sorted order."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != "SOURCE.md":
                archive.write(path, path.relative_to(folder).as_posix())
    return dest


def all_seeds(workdir: Path) -> list[Seed]:
    """Folder seeds plus zip seeds built under `workdir/seeds` (each in its own folder)."""
    seeds = folder_seeds()
    for seed in list(seeds):
        if seed.name in _ZIPPED:
            holder = workdir / "seeds" / seed.name.replace("/", "_")
            if holder.exists():
                shutil.rmtree(holder)
            holder.mkdir(parents=True)
            zip_folder(seed.root, holder / "export.zip")
            seeds.append(Seed(seed.name + ".zip", holder, "export.zip", seed.input_format, True))
    return seeds
