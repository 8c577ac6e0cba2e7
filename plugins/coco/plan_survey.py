"""The COCO export plan's one pass over the items (export_plan.py makes the plan of it):
what every item tells the plan, gathered without holding the items, so that a stream
(a Source that is no Dataset) is planned in one walk."""
from __future__ import annotations

from collections import Counter
from typing import Any

from cococonv.model import Ellipse, Item, Mask, Polygon

from .foreign import ForeignKeys
from .grouping import declares
from .units import Unit, count_unwritable, item_units


class Survey:
    """What the plan needs of every item, gathered in one pass: per subset the image ids
    in item order, the tasks and labels the objects use, the largest integer object id
    and what COCO cannot hold. ``units`` keeps each item's units (in-memory sources
    only: a stream's are made again when its items are walked for the records)."""

    def __init__(self, foreign: ForeignKeys, keep_units: bool, options: dict[str, Any]):
        self.foreign, self.options = foreign, options
        self.units: list[list[Unit]] | None = [] if keep_units else None
        self.image_ids: dict[str, list[Any]] = {}
        self.used: dict[str, dict[str, set[int]]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.stats: dict[str, Counter] = {}
        self.largest_id: dict[str, int | None] = {}
        self.heavy = 0  # a stream's heavy items, each one looked at

    def add(self, item: Item) -> None:
        name = item.subset
        ids = self.image_ids.get(name)
        if ids is None:
            ids = self.image_ids[name] = []
            self.used[name], self.counts[name] = {}, {}
            self.stats[name], self.largest_id[name] = Counter(), None
        ids.append(item.image_id)
        bucket = self.counts[name]
        labels_by_task = self.used[name]
        units = item_units(item)
        if self.units is not None:
            self.units.append(units)
        elif self.options["save_images"] or self.options["crop_covered"] or \
                is_heavy(item, self.options):
            self.heavy += 1
        for task, anns in units:
            bucket[task] = bucket.get(task, 0) + 1
            labels = labels_by_task.get(task)
            if labels is None:
                labels = labels_by_task[task] = set()
            for ann in anns:
                if ann.label is not None:
                    labels.add(ann.label)
        if not self.options["reindex"]:  # reindexing makes every id anew
            self._note_largest_id(item, name)
        count_unwritable(item, self.stats[name], self.foreign)

    def _note_largest_id(self, item: Item, name: str) -> None:
        largest = max((a.id for a in item.annotations if type(a.id) is int), default=None)
        if largest is not None:
            known = self.largest_id[name]
            self.largest_id[name] = largest if known is None or largest > known else known


def is_heavy(item: Item, options: dict[str, Any]) -> bool:
    """Whether the item's records need masks, pixels or files (what workers pay for)."""
    image = item.image
    if image is not None and image.size is None and image.has_data:
        return True  # its size is read from the file
    mode = options["segmentation_mode"]
    for ann in item.annotations:
        kind = type(ann)
        if kind is Ellipse:
            return True
        declared = declares(ann, "area") and declares(ann, "bbox")
        if kind is Mask and (mode == "polygons" or ann.group or not declared):
            return True  # traced, joined with other outlines, or measured
        if kind is Polygon and (mode == "mask" or not declared):
            return True  # rasterised, or its area measured on the image grid
    return False
