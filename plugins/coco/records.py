"""One item's COCO annotation records for one task file: captions, labels and objects.

Runs in the export's workers: everything it needs (options, category ids of the file, the
subset's task routes) comes from the plan, and what it drops or changes goes to a Tally.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cococonv.errors import CococonvError
from cococonv.model import (FORMAT_NAMESPACES, Annotation, Caption, Item, Label, Polygon)

from . import tasks as T
from .grouping import LINK_ATTRIBUTE, linked_groups
from .object_record import object_record
from .tally import Tally
from .units import Unit, home_task

_PRIVATE_EXTRA = {"bbox", "area", "coco_task", "num_keypoints",
                  "_attributes_empty", "_attributes", "_no_category"} | FORMAT_NAMESPACES
_OWN_ATTRS = ("is_crowd", "score")
_OWN_ATTRS_SET = frozenset(_OWN_ATTRS)


class RecordMaker:
    """The record-building context of one (task, subset) file."""

    def __init__(self, options: dict[str, Any], category_ids: list[Any],
                 file_ids: dict[int, Any], routes: dict[str, str | None], tally: Tally):
        self.opts = options
        self.mode = options["segmentation_mode"]
        self.reindex = options["reindex"]
        self.category_ids = category_ids
        self.file_ids = file_ids
        self.routes = routes
        self.report = tally

    def category(self, label: int | None) -> Any:
        if label is None:
            return None
        return self.file_ids.get(label, self.category_ids[label]) if self.file_ids \
            else self.category_ids[label]

    def finish(self, record: dict, ann: Annotation, task: str,
               drop: tuple[str, ...] = ()) -> None:
        """Score, kept source keys and custom attributes."""
        attrs = ann.attributes
        if "score" in attrs:
            record["score"] = attrs["score"]
        for key, value in ann.extra.items():
            if key not in _PRIVATE_EXTRA:
                record.setdefault(key, value)
        custom = {k: v for k, v in attrs.items() if k not in _OWN_ATTRS and k not in drop} \
            if not attrs.keys() <= _OWN_ATTRS_SET else {}
        verbatim = ann.extra.get("_attributes")
        if verbatim is not None:
            custom = verbatim
        if custom or ann.extra.get("_attributes_empty"):
            if self.opts["allow_attributes"]:
                record["attributes"] = custom
            else:
                self.report.lost("annotation attributes", "--no-allow-attributes", 1)

    def link(self, record: dict, group: int) -> None:
        """Keep a group that spans several records as ``attributes["group_id"]``."""
        if not self.opts["allow_attributes"]:
            self.report.lost("group links between objects (e.g. VOC layout parts)",
                             "--no-allow-attributes", 1)
            return
        record["attributes"] = {**record.get("attributes", {}), LINK_ATTRIBUTE: group}

    def item_records(self, task: str, item: Item, iid: Any,
                     units: list[Unit]) -> Iterator[dict]:
        """The item's records of ``task``, ids as the source had them (None if none)."""
        if task == T.CAPTIONS:
            for ann in item.annotations:
                if type(ann) is Caption:
                    record = {"id": ann.id, "image_id": iid, "caption": ann.caption}
                    self.finish(record, ann, task)
                    yield record
            return
        if task == T.LABELS:
            for ann in item.annotations:
                if type(ann) is Label and self.routes.get(home_task(ann, item)) == task:
                    record = {"id": ann.id, "image_id": iid,
                              "category_id": self.category(ann.label)}
                    self.finish(record, ann, task)
                    yield record
            return
        if task == T.IMAGE_INFO:
            return
        links = linked_groups(obj for _task, obj in units if obj[0].group and (
            type(obj[0]) not in (Caption, Label) or obj[0].extra.get("coco_task")))
        for unit_task, obj in units:
            kind = type(obj[0])
            if kind is Caption or (kind is Label and not obj[0].extra.get("coco_task")) or \
                    self.routes.get(unit_task) != task:
                continue
            try:
                record = self.object_record(obj, item, iid, task,
                                            obj[0].group if obj[0].group in links else 0)
            except CococonvError as err:  # a mask limit (docs/limits.md): name the object
                raise err.located(file=item.id, where=f"annotation {obj[0].id}") from None
            if record is not None:
                yield record

    def object_record(self, obj: list[Annotation], item: Item, iid: Any,
                      task: str, link: int = 0) -> dict | None:
        """One COCO record for one object; ``link`` is its group when the group spans
        several records."""
        leader = obj[0]
        if len(obj) == 1 and type(leader) is Polygon and self.mode != "mask" \
                and leader.label is not None:
            extra = leader.extra
            area = extra.get("area")
            bbox = extra.get("bbox")
            if area is not None and bbox is not None:
                # The common case: a lone polygon whose declared box and area still hold.
                record = {"id": leader.id, "image_id": iid,
                          "category_id": self.category(leader.label),
                          "segmentation": [leader.points], "area": area, "bbox": bbox,
                          "iscrowd": 1 if leader.attributes.get("is_crowd") else 0}
                self.finish(record, leader, task)
                if link:
                    self.link(record, link)
                return record
        return object_record(self, obj, item, iid, task, link)
