"""One item's COCO annotation records for one task file: captions, labels and objects."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cococonv.errors import CococonvError
from cococonv.model import Caption, Item, Label

from . import tasks as T
from .grouping import linked_groups
from .object_record import object_record
from .record_maker import RecordMaker
from .units import Unit, home_task


def item_records(maker: RecordMaker, task: str, item: Item, iid: Any,
                 units: list[Unit]) -> Iterator[dict]:
    """The item's records of ``task``, ids as the source had them (None if none)."""
    if task == T.CAPTIONS:
        for ann in item.annotations:
            if type(ann) is Caption:
                record = {"id": ann.id, "image_id": iid, "caption": ann.caption}
                maker.finish(record, ann, task)
                yield record
        return
    if task == T.LABELS:
        for ann in item.annotations:
            if type(ann) is Label and maker.routes.get(home_task(ann, item)) == task:
                record = {"id": ann.id, "image_id": iid,
                          "category_id": maker.category(ann.label)}
                maker.finish(record, ann, task)
                yield record
        return
    if task == T.IMAGE_INFO:
        return
    links = linked_groups(obj for _task, obj in units if obj[0].group and (
        type(obj[0]) not in (Caption, Label) or obj[0].extra.get("coco_task")))
    for unit_task, obj in units:
        kind = type(obj[0])
        if kind is Caption or (kind is Label and not obj[0].extra.get("coco_task")) or \
                maker.routes.get(unit_task) != task:
            continue
        try:
            record = object_record(maker, obj, item, iid, task,
                                   obj[0].group if obj[0].group in links else 0)
        except CococonvError as err:  # a mask limit (docs/limits.md): name the object
            where = f"annotation {obj[0].id}" if obj[0].id is not None else None
            raise err.located(file=item.id, where=where) from None  # CVAT's have no ids
        if record is not None:
            yield record
