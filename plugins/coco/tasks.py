"""COCO's seven tasks, their file names, and which annotations belong to which task.

File layout: ``annotations/<task>_<subset>.json``; the subset is the rest of the stem, year
included (``instances_val2017.json`` -> ``val2017``). Panoptic PNGs live in
``annotations/panoptic_<subset>/``. A COCO object's home task is fixed by what it holds: a
group with keypoints -> person_keypoints, captions -> captions, image labels -> labels,
stuff and panoptic segments keep the task they came from (``extra["coco_task"]``), every
other shape -> instances.
"""
from __future__ import annotations

import re

INSTANCES = "instances"
PERSON_KEYPOINTS = "person_keypoints"
CAPTIONS = "captions"
LABELS = "labels"
PANOPTIC = "panoptic"
STUFF = "stuff"
IMAGE_INFO = "image_info"

TASKS = (INSTANCES, PERSON_KEYPOINTS, CAPTIONS, LABELS, PANOPTIC, STUFF, IMAGE_INFO)

# Longest first so "person_keypoints_x" is not read as task "person".
_FILE_RE = re.compile(
    r"^(?P<task>person_keypoints|image_info|instances|captions|labels|panoptic|stuff)_"
    r"(?P<subset>.+)\.json$")

# When a task is not exported, its objects go to the first of these that is.
FALLBACK = {
    PERSON_KEYPOINTS: (INSTANCES, PANOPTIC),
    STUFF: (INSTANCES, PANOPTIC),
    PANOPTIC: (INSTANCES, STUFF),
    INSTANCES: (PANOPTIC, STUFF),
}

# Keys each task's annotation records own; everything else is kept in ``extra``.
OWN_KEYS = {
    INSTANCES: {"id", "image_id", "category_id", "segmentation", "iscrowd", "score",
                "attributes", "bbox", "area"},
    PERSON_KEYPOINTS: {"id", "image_id", "category_id", "segmentation", "iscrowd", "score",
                       "attributes", "bbox", "area", "keypoints", "num_keypoints"},
    CAPTIONS: {"id", "image_id", "caption", "score", "attributes"},
    LABELS: {"id", "image_id", "category_id", "score", "attributes"},
}
OWN_KEYS[STUFF] = OWN_KEYS[INSTANCES]


def parse_filename(name: str) -> tuple[str, str] | None:
    """``(task, subset)`` of a standard annotation file name, or None."""
    match = _FILE_RE.match(name)
    return (match["task"], match["subset"]) if match else None


def file_name(task: str, subset: str) -> str:
    return f"{task}_{subset}.json"


def guess_task(doc: object) -> str:
    """The task of a COCO document whose file name does not say it."""
    if isinstance(doc, list):
        anns: object = doc
        cats: object = []
    elif isinstance(doc, dict):
        anns = doc.get("annotations")
        cats = doc.get("categories")
    else:
        return INSTANCES
    cats = cats if isinstance(cats, list) else []
    if isinstance(doc, dict) and "annotations" not in doc:
        return IMAGE_INFO  # COCO's image_info_test*.json: images and categories only
    if not isinstance(anns, list) or not anns:
        if any(isinstance(c, dict) and c.get("keypoints") for c in cats):
            return PERSON_KEYPOINTS
        return INSTANCES if cats else IMAGE_INFO
    for ann in anns[:50]:
        if not isinstance(ann, dict):
            continue
        if "segments_info" in ann:
            return PANOPTIC
        if "keypoints" in ann:
            return PERSON_KEYPOINTS
        if "caption" in ann:
            return CAPTIONS
        if "segmentation" in ann or "bbox" in ann:
            return INSTANCES
    return LABELS
