"""VOC importers: ``voc`` (every task found) and one per task.

Model mapping (docs/formats/voc.md has the full table):
- ``<object>`` -> Bbox in group N (its 1-based position in the XML), with ``difficult``,
  ``truncated``, ``occluded`` as bools, ``pose`` as text, ``<actions>`` children as bools and
  ``<attributes><attribute>`` values typed; ``<part>`` -> Bbox of the part label, same group;
- ``<class>_<subset>.txt`` flag 1 -> Label, flag 0 -> Label with ``difficult=True``;
- SegmentationClass + SegmentationObject -> one Mask per (instance, class), grouped with the
  N-th object when instance N has that object's label (the VOC convention);
- unknown XML tags are kept in ``extra["voc"]`` and the void (255) regions in the model's
  ``Item.ignore`` so a voc -> voc round trip loses nothing; ``--void-regions crowd`` makes
  the void region a crowd Mask of the background label instead, which COCO and CVAT can
  carry.

The reading itself is reader.py; this module holds the plugins, their options and detection.
"""
from __future__ import annotations

import posixpath
from typing import ClassVar

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.fileio import paused_gc
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import Tree

from . import layout as L
from .reader import VocReader
from .scan import VocSource, scan


COORDINATE_MODE = Option(
    "coordinate_mode", str, "one-based",
    "one-based: VOC boxes are 1-based pixel numbers as in the original VOC, so 1 is "
    "subtracted on import and added on export; zero-based: values are taken as they are.",
    ("one-based", "zero-based"))

VOID_REGIONS = Option(
    "void_regions", str, "keep",
    "keep: the void (255) border of the masks is kept for VOC output only (other formats "
    "have no void); crowd: it becomes a crowd mask (is_crowd) of the background label, the "
    "COCO way of marking a region ignored in evaluation, so voc -> coco -> voc keeps it.",
    ("keep", "crowd"))

# Tags written as 0 when the model has no value, for objects that did not come from VOC
# (VOC-sourced objects get exactly the tags they had).
DEFAULT_TAGS = ("truncated", "difficult")


class VocImporter(Importer):
    """Pascal VOC: every task found (classification, detection, segmentation, layout, action).

    Reads Annotations/*.xml, ImageSets/Main|Segmentation|Layout|Action lists and class flags,
    SegmentationClass/ and SegmentationObject/ palette PNGs, JPEGImages/ and labelmap.txt (or
    labelme's class_names.txt). Also reads flat VOC: XMLs next to their images (Roboflow,
    labelImg), one folder down for subsets. Boxes are 1-based in VOC: see --coordinate-mode.
    """

    name = "voc"
    namespace = "voc"
    # the object tags VOC does not define (kept as XML); the rest only writes VOC back
    source_fields = ("unknown",)
    tasks: ClassVar[tuple[str, ...]] = L.TASKS
    options = (COORDINATE_MODE, VOID_REGIONS)

    @classmethod
    def detect(cls, tree: Tree) -> int:
        try:
            source = scan(tree)
        except DataError:
            return 5
        if source is None:
            return 0
        return _score(cls.tasks, source)

    def load(self, tree: Tree, ctx: Context, *, coordinate_mode: str,
             void_regions: str = "keep") -> Dataset:
        reader = VocReader(tree, ctx.report, self.tasks, coordinate_mode == "one-based",
                           void_regions == "crowd", ctx.jobs)
        with paused_gc():  # the model is many small acyclic objects (a full collection
            return reader.read()  # every few thousand scanned them all again: ~0.3 s)


def _score(tasks: tuple[str, ...], source: VocSource) -> int:
    """General ``voc`` scores highest; a task importer scores when its files are there."""
    if len(tasks) > 1:
        if source.flat:
            return 15
        return 30 if not source.prefix else 25
    task = tasks[0]
    if task == L.SEGMENTATION:
        return 20 if source.has_masks else 0
    if source.flat:
        return 10 if task == L.DETECTION else 0
    if task == L.DETECTION:
        return 20 if source.xmls else 0
    folder = L.LIST_FOLDER[task]
    if task == L.CLASSIFICATION:
        has = any("_" in posixpath.basename(p) for p in source.lists.get(folder, []))
        return 20 if has else 0
    return 20 if source.lists.get(folder) else 0


class VocClassificationImporter(VocImporter):
    """VOC classification only: image-level labels from ImageSets/Main/<class>_<subset>.txt."""

    name = "voc_classification"
    tasks = (L.CLASSIFICATION,)


class VocDetectionImporter(VocImporter):
    """VOC detection only: boxes and their attributes from Annotations/*.xml."""

    name = "voc_detection"
    tasks = (L.DETECTION,)


class VocSegmentationImporter(VocImporter):
    """VOC segmentation only: masks from SegmentationClass/ and SegmentationObject/ PNGs."""

    name = "voc_segmentation"
    tasks = (L.SEGMENTATION,)


class VocInstanceSegmentationImporter(VocImporter):
    """VOC instance segmentation: one mask per object from SegmentationObject/, classed by
    SegmentationClass/ (Datumaro's name; cococonv's voc_segmentation reads the same)."""

    name = "voc_instance_segmentation"
    tasks = (L.SEGMENTATION,)


class VocLayoutImporter(VocImporter):
    """VOC layout only: person boxes with head/hand/foot part boxes (ImageSets/Layout)."""

    name = "voc_layout"
    tasks = (L.LAYOUT,)


class VocActionImporter(VocImporter):
    """VOC action only: person boxes with action flags (ImageSets/Action)."""

    name = "voc_action"
    tasks = (L.ACTION,)


TASK_IMPORTERS = (VocClassificationImporter, VocDetectionImporter, VocSegmentationImporter,
                  VocInstanceSegmentationImporter, VocLayoutImporter, VocActionImporter)
