"""The mask PNGs and the image files of a VOC read.

SegmentationClass + SegmentationObject -> one Mask per (instance, class), grouped with the
N-th object when instance N has that object's label (segmentation.py decodes and resolves).
With --jobs the PNGs are decoded in the engine's workers while the parent reads the XMLs.
"""
from __future__ import annotations

import posixpath
from typing import Any

from cococonv.engine import Prefetch, worth_a_pool
from cococonv.errors import CococonvError
from cococonv.model import Categories, Image, Item
from cococonv.paths import lookup_relpath
from cococonv.report import Report
from cococonv.sources import Tree

from . import layout as L
from .labelmap import LabelMap, default_voc
from .scan import VocSource
from .xml_objects import VocObject


class MaskPass:
    """Reads the items' masks (started early in workers when it pays) and binds images."""

    def __init__(self, tree: Tree, report: Report, source: VocSource, tasks: set[str],
                 void_as_crowd: bool, jobs: int):
        self.tree = tree
        self.report = report
        self.source = source
        self.tasks = tasks
        self.void_as_crowd = void_as_crowd
        self.jobs = jobs
        self._early_reader: Any = None  # with --jobs: the workers' MaskReader and plan
        self._early_plan: Any = None

    def _mask_files(self, subset: str, item_id: str) -> tuple[str | None, str | None, bool]:
        """The item's class and object PNGs, and whether its image is missing."""
        source = self.source
        key = source.data_key(subset, item_id)
        missing = bool(source.images) and not source.flat and key not in source.images
        return source.class_masks.get(key), source.object_masks.get(key), missing

    def prefetch(self, keys: list[tuple[str, str]], declared: LabelMap | None) -> Prefetch | None:
        """With --jobs N, start reading the mask PNGs in workers before the XML pass: the
        PNGs need only the label map's own entries (the XML can only add labels after
        them), and the parent parses the XML meanwhile. None without jobs or masks."""
        from .segmentation import MaskReader  # numpy and the codecs: only when masks are read

        if L.SEGMENTATION not in self.tasks or not self.source.has_masks:
            return None
        plan = []
        for subset, item_id in keys:
            class_rel, object_rel, missing = self._mask_files(subset, item_id)
            if (class_rel or object_rel) and not missing:
                plan.append((subset, item_id, class_rel, object_rel))
        if not worth_a_pool(self.jobs, len(plan)):
            return None
        base = declared if declared is not None else default_voc()
        self._early_reader = MaskReader(self.tree, LabelMap(list(base.entries), base.source),
                                        Categories(), void_as_crowd=self.void_as_crowd)
        self._early_plan = plan
        _import_for_workers()
        return Prefetch(_early_masks_at, self._early_reader, plan, self.jobs)

    def read(self, items: list[Item], objects_of: dict[tuple[str, str], list[VocObject]],
             label_map: LabelMap, categories: Categories, prefetch: Prefetch | None) -> None:
        """Each item's masks: a worker's early reading where it still holds, else read here."""
        from .segmentation import MaskReader

        reader = MaskReader(self.tree, label_map, categories, void_as_crowd=self.void_as_crowd)
        early: dict[tuple[str, str], Any] = {}
        if prefetch is not None:
            results = prefetch.finish()
            # the workers' reader knew only the label map's own entries; the XML can only
            # append labels, so their readings hold unless index 0 stopped (or started)
            # being the background, which changes which pixels are objects
            if self._early_reader.background == reader.background:
                early = {(subset, item_id): raw for (subset, item_id, _c, _o), raw
                         in zip(self._early_plan, results) if raw is not None}
            self._early_reader = self._early_plan = None
        planned = [(item, *self._mask_files(item.subset, item.id)) for item in items]
        without_image = 0
        for item, class_rel, object_rel, missing in self.report.progress(
                [entry for entry in planned if entry[1] or entry[2]], desc="voc masks"):
            # A mask whose image is missing is still the item's annotation (cococonv's own
            # VOC output of a source with missing images has such masks): read, counted.
            without_image += missing
            try:
                # a worker's reading, or (without jobs, or where it failed, say on an RGB
                # colour of a label the XML added) the reading done here
                raw = early.pop((item.subset, item.id), None) or \
                    reader.decode(class_rel, object_rel)
                reader.resolve(item, raw, class_rel, object_rel,
                               objects_of.get((item.subset, item.id), []))
            except CococonvError as error:
                self.report.bad_record(error)
        if without_image:
            self.report.warn(f"{without_image} mask(s) have no image in {L.IMAGES_DIR}/; "
                             f"read with the mask's size")

    def attach_images(self, items: list[Item]) -> None:
        """Bind each item to its image file: JPEGImages/ first, then its <filename>."""
        source = self.source
        tree = self.tree
        for item in items:
            key = source.data_key(item.subset, item.id)
            rel = source.images.get(key)
            voc = item.extra.get("voc", {})
            # <filename> is untrusted: looked up inside the input only, by its tail when
            # it is absolute or climbs out with '..'
            name = lookup_relpath(voc["filename"]) if voc.get("filename") else None
            if rel is None and name is not None:
                base = posixpath.dirname(source.xmls.get(key, "")) if source.flat else \
                    source.prefix + L.IMAGES_DIR
                candidate = posixpath.join(base, name) if base else name
                if tree.exists(candidate):
                    rel = candidate
            if item.image is None:
                item.image = Image(item.id + (posixpath.splitext(rel)[1] if rel else ".jpg"))
            if rel is None:
                continue
            if rel == source.images.get(key):
                item.image.name = item.id + posixpath.splitext(rel)[1]
            tree.bind_image(item.image, rel)


def _import_for_workers() -> None:
    """Import what every worker's decode imports (numpy, and pycocotools through
    cococonv.masks) before the fork: ~0.09 s of CPU once, inherited, instead of in each
    worker (the workers of a later export, forked from this process, inherit it too)."""
    import numpy  # noqa: F401

    import cococonv.masks  # noqa: F401


def _early_masks_at(reader: Any, entry: tuple[str, str, str | None, str | None]) -> Any:
    """A worker's reading of one item's mask PNGs (the engine's per-item function)."""
    _subset, _item_id, class_rel, object_rel = entry
    return reader.decode(class_rel, object_rel)
