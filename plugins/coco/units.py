"""An item's COCO units: each caption, image label and object with the task it belongs to.

Shared by the exporter's planning pass, its per-item writer, --crop-covered and the panoptic
writer, so none of them imports another.
"""
from __future__ import annotations

from collections import Counter

from cococonv.foreign_fields import source_fields
from cococonv.model import SOURCE_ID, Annotation, Caption, Item, Label, Points

from . import tasks as T
from .foreign import ForeignKeys
from .grouping import group_objects

Unit = tuple[str, list[Annotation]]
#: Image attributes no loss: the id ``reindex --keep-source-ids`` keeps (written), and
#: CVAT's frame number, the image's place in its task, which COCO's image order keeps.
_IMAGE_KEPT = frozenset({SOURCE_ID, "frame"})


def home_task(ann: Annotation, item: Item | None = None) -> str:
    """The task an annotation belongs to when nothing else decides."""
    explicit = ann.extra.get("coco_task") if ann.extra else None
    if explicit:
        return explicit
    kind = type(ann)
    if kind is Caption:
        return T.CAPTIONS
    if kind is Label:
        return T.LABELS
    if kind is Points:
        return T.PERSON_KEYPOINTS
    return T.INSTANCES


def object_task(obj: list[Annotation], item: Item) -> str:
    """The home task of one object of :func:`group_objects`."""
    if len(obj) == 1:
        ann = obj[0]
        explicit = ann.extra.get("coco_task") if ann.extra else None
        if explicit:
            return explicit
        return T.PERSON_KEYPOINTS if type(ann) is Points else T.INSTANCES
    for ann in obj:
        explicit = ann.extra.get("coco_task") if ann.extra else None
        if explicit:
            return explicit
    if any(type(a) is Points for a in obj):
        return T.PERSON_KEYPOINTS
    return T.INSTANCES


def count_unwritable(item: Item, stats: Counter, foreign: ForeignKeys) -> None:
    """Count what COCO cannot hold: drawing order, other formats' fields, ignored regions
    (groups split into several records keep their link, see grouping.py), image
    attributes and the source data of other formats' image namespaces."""
    if item.attributes and item.attributes.keys() - _IMAGE_KEPT:
        stats["image_attributes"] += 1
    if item.extra:
        for key in foreign.of(item.extra):
            for name in source_fields(key, item.extra[key], foreign.namespaces()):
                stats["image_field:" + name] += 1
    for ann in item.annotations:
        if ann.z_order:
            stats["z_order"] += 1
        if ann.extra:
            for key in foreign.of(ann.extra):
                stats["ns:" + key] += 1
                for field in ann.extra[key]:  # which fields: the report names them
                    stats[f"field:{key}:{field}"] += 1
    if item.ignore:
        stats["void"] += 1


def item_units(item: Item) -> list[Unit]:
    """Everything an item holds, as (home task, annotations of one COCO record)."""
    units: list[Unit] = []
    for ann in item.annotations:
        kind = type(ann)
        if kind is Caption:
            units.append((home_task(ann), [ann]))
        elif kind is Label and not (ann.extra and ann.extra.get("coco_task")):
            units.append((home_task(ann), [ann]))
    for obj in group_objects(item):
        units.append((object_task(obj, item), obj))
    return units
