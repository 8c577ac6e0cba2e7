"""Pascal VOC facts: folder names, tasks, the 21 classes, actions, parts and the palette.

Conventions of the original VOC devkit that the importer and exporter share:
- one XML per image in ``Annotations/``; ids are file stems (sub-folders kept);
- subset lists ``ImageSets/<Task>/<subset>.txt``; per-class flags in
  ``ImageSets/Main/<class>_<subset>.txt`` (1 present, -1 absent, 0 difficult only);
- class masks ``SegmentationClass/<id>.png`` hold label-map indices (0 background,
  255 void border); instance masks ``SegmentationObject/<id>.png`` hold 1-based object
  indices in XML order (0 background, 255 void);
- box coordinates are 1-based pixel numbers in the original VOC.
"""
from __future__ import annotations

from cococonv.raster.palette import voc_color, voc_palette  # noqa: F401 (VOC's names)

CLASSIFICATION = "classification"
DETECTION = "detection"
SEGMENTATION = "segmentation"
LAYOUT = "layout"
ACTION = "action"
TASKS = (CLASSIFICATION, DETECTION, SEGMENTATION, LAYOUT, ACTION)

# ImageSets sub-folder holding each task's subset lists.
LIST_FOLDER = {CLASSIFICATION: "Main", DETECTION: "Main", SEGMENTATION: "Segmentation",
               LAYOUT: "Layout", ACTION: "Action"}
LIST_FOLDERS = ("Main", "Segmentation", "Layout", "Action")

ANNOTATIONS_DIR = "Annotations"
IMAGES_DIR = "JPEGImages"
IMAGESETS_DIR = "ImageSets"
CLASS_DIRS = ("SegmentationClass", "SegmentationClassPNG")
OBJECT_DIRS = ("SegmentationObject", "SegmentationObjectPNG")
MARKER_DIRS = (ANNOTATIONS_DIR, IMAGESETS_DIR, IMAGES_DIR) + CLASS_DIRS + OBJECT_DIRS
LABELMAP_FILE = "labelmap.txt"
CLASS_NAMES_FILE = "class_names.txt"  # labelme2voc

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")

VOID_INDEX = 255

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car",
               "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
               "pottedplant", "sheep", "sofa", "train", "tvmonitor")
VOC_PARTS = ("head", "hand", "foot")
VOC_ACTIONS = ("jumping", "phoning", "playinginstrument", "reading", "ridingbike",
               "ridinghorse", "running", "takingphoto", "usingcomputer", "walking", "other")
BACKGROUND_NAMES = ("background", "_background_")

# Object children the model owns; everything else is kept as raw XML in ``extra``.
FLAG_TAGS = ("difficult", "truncated", "occluded")


def split_list_name(stem: str, names: set[str], subsets: set[str]) -> tuple[str | None, str]:
    """``(class or action, subset)`` of a list file stem; ``(None, stem)`` for a subset list.

    ``aeroplane_train`` is a class list when ``aeroplane`` is a known name or ``train`` is a
    subset list next to it; class names and subset names may both hold underscores.
    """
    if "_" not in stem:
        return None, stem
    for head, _sep, tail in (stem.rpartition("_"), stem.partition("_")):
        if head in names or tail in subsets:
            return head, tail
    return None, stem
