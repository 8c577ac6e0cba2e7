"""One item as an SA-1B file: its objects as RLE mask records, the JSON and the image written.

Runs in worker processes under ``--jobs``. An object is the annotations of one nonzero
``group`` and label, or the shapes one source record gave (COCO's rings share its
``extra``), or one annotation alone. Its masks, polygons and ellipses become one compressed
RLE; its box and area are the source's declared ones while the shapes are the source's,
else the box of a box in the object, else the mask's. What SA-1B cannot hold is counted in
the returned tally (a code per loss, see ``TALLY``), which the parent reports.
"""
from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from cococonv import foreign_fields
from cococonv.errors import CococonvError
from cococonv.fileio import dumps_json, write_bytes
from cococonv.images import copy_image, probe_size
from cococonv.model import Annotation, Bbox, Caption, Ellipse, Item, Label, Mask, Points, \
    Polygon, Polyline
from cococonv.paths import join_inside

from .fields import NAMESPACE, SA_FIELDS

#: Tally code -> (lost or approximated, what, why or how): the report lines of an export.
TALLY: dict[str, tuple[str, str, str]] = {
    "boxes": ("lost", "boxes without a mask or polygon",
              "an SA-1B annotation is a mask; a box alone has none"),
    "points": ("lost", "keypoints", "SA-1B has no keypoints"),
    "polyline": ("lost", "polylines", "SA-1B has no open lines"),
    "caption": ("lost", "captions", "SA-1B has no captions"),
    "label": ("lost", "image labels", "SA-1B has no image classes"),
    "classes": ("lost", "labels on masks", "SA-1B masks have no class"),
    "attributes": ("lost", "annotation attributes", "SA-1B annotations have no attributes"),
    "sizeless": ("lost", "polygons of images without a size",
                 "rasterising them needs the image size"),
    "polygons": ("approximated", "polygons", "written as RLE masks"),
    "ellipses": ("approximated", "ellipses", "written as RLE masks"),
    "merged": ("approximated", "objects of several masks or polygons",
               "joined into one RLE mask each"),
    "ids": ("approximated", "annotation ids that are not whole numbers or text",
            "numbered after the item's highest id"),
    "renamed": ("approximated", "image file names in another folder than their item",
                "written beside the item's JSON file, folders dropped"),
    "no_image": ("lost", "images", "not present in the input"),
    "not_image": ("lost", "images", "not an image file"),
    "item_fields": ("lost", "image attributes", "SA-1B image records hold only image_id, "
                    "width, height and file_name"),
    "ignore": ("lost", "ignored regions (VOC void)", "SA-1B marks no pixels as ignored"),
}

_DROPPED = {Points: "points", Polyline: "polyline", Caption: "caption", Label: "label"}


def write_item(plan: Any, entry: tuple[int, Item]) -> dict[str, int]:
    """Write one item's JSON (and image, with --save-images); the tally of its losses."""
    position, item = entry
    tally: Counter[str] = Counter()
    json_rel, image_rel, file_name, renamed = plan.paths(item)
    if renamed:
        tally["renamed"] += 1
    size = probe_size(item.image)
    try:
        records = _records(item, size, plan.assigned, tally)
    except CococonvError as err:  # a mask limit (docs/limits.md): name the item
        raise err.located(file=item.id) from None
    if size is None:
        size = next((tuple(r["segmentation"]["size"]) for r in records), None)
    own = item.extra.get(NAMESPACE) or {}
    image: dict[str, Any] = {"image_id": _image_id(item, position)}
    if size is not None:
        image["width"], image["height"] = size[1], size[0]
    image["file_name"] = file_name
    image.update(own.get("image_keys") or {})
    doc = {"image": image, "annotations": records, **(own.get("keys") or {})}
    _count_item_fields(plan, item, tally)
    write_bytes(join_inside(plan.out, json_rel, what="item id"), dumps_json(doc))
    if plan.save_images:
        _save_image(plan, item, image_rel, tally)
    return dict(tally)


def _count_item_fields(plan: Any, item: Item, tally: Counter[str]) -> None:
    """What of the item and its annotations' source fields SA-1B has no place for."""
    namespaces = plan.namespaces
    if item.attributes or any(value and key != NAMESPACE and key not in namespaces
                              for key, value in item.extra.items()):
        tally["item_fields"] += 1
    if item.ignore:
        tally["ignore"] += 1
    fields: dict[str, int] = {}
    foreign_fields.count_dropped(item.annotations, NAMESPACE, lambda: namespaces, fields)
    for name, count in fields.items():
        tally["field:" + name] += count


def _image_id(item: Item, position: int) -> int | str:
    """The source's image id (SA-1B's are whole numbers), else the item's place (1-based)."""
    value = item.image_id
    return value if type(value) in (int, str) else position


def _save_image(plan: Any, item: Item, image_rel: str, tally: Counter[str]) -> None:
    image = item.image
    if image is None or not image.has_data:
        tally["no_image"] += 1
    elif not copy_image(image, join_inside(plan.out, image_rel, what="image file name"),
                        plan.image_ext):
        tally["not_image"] += 1


def objects(item: Item) -> list[list[Annotation]]:
    """The item's annotations by object (see the module docstring), in first-seen order."""
    found: dict[tuple[Any, ...], list[Annotation]] = {}
    for ann in item.annotations:
        key = ("group", ann.group, ann.label) if ann.group else ("record", id(ann.extra))
        found.setdefault(key, []).append(ann)
    return list(found.values())


def _records(item: Item, size: tuple[int, int] | None, assigned: list[bool],
             tally: Counter[str]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    taken = {a.id for a in item.annotations if type(a.id) is int}
    next_id = max(taken, default=0) + 1
    for obj in objects(item):
        shapes = [a for a in obj if type(a) in (Mask, Polygon, Ellipse)]
        boxes = [a for a in obj if type(a) is Bbox]
        for ann in obj:
            code = _DROPPED.get(type(ann))
            if code:
                tally[code] += 1
        if size is None and any(type(a) is not Mask for a in shapes):
            tally["sizeless"] += sum(1 for a in shapes if type(a) is not Mask)
            shapes = [a for a in shapes if type(a) is Mask]
        if not shapes:
            tally["boxes"] += len(boxes)
            continue
        record = _record(shapes, boxes, size, tally)
        leader = shapes[0]
        if type(leader.id) in (int, str):
            record = {"id": leader.id, **record}
        else:
            if leader.id is not None:
                tally["ids"] += 1
            record = {"id": next_id, **record}
            next_id += 1
        if leader.label is not None and not assigned[leader.label]:
            tally["classes"] += 1
        if any(value for ann in obj for value in ann.attributes.values()):
            tally["attributes"] += 1
        own = leader.extra.get(NAMESPACE) or {}
        record.update((key, own[key]) for key in SA_FIELDS if key in own)
        record.update(own.get("keys") or {})
        records.append(record)
    return records


def _record(shapes: list[Annotation], boxes: list[Bbox], size: tuple[int, int] | None,
            tally: Counter[str]) -> dict[str, Any]:
    """segmentation, bbox and area of one object's shapes."""
    from cococonv import masks
    from cococonv.geometry import rasterize

    tally["polygons"] += sum(1 for a in shapes if type(a) is Polygon)
    tally["ellipses"] += sum(1 for a in shapes if type(a) is Ellipse)
    if len(shapes) > 1:
        tally["merged"] += 1
    if len(shapes) == 1 and type(shapes[0]) is Mask and (
            size is None or list(shapes[0].rle["size"]) == [size[0], size[1]]):
        rle = shapes[0].rle  # type: ignore[attr-defined]
        if type(rle["counts"]) is not str:  # list counts (a COCO crowd region)
            rle = masks.compress(rle)
    else:
        height, width = size if size is not None else shapes[0].rle["size"]  # type: ignore[attr-defined]
        rle = rasterize(shapes, height, width)
    declared = shapes[0]
    same = all(a.declared_bbox == declared.declared_bbox and
               a.declared_area == declared.declared_area for a in shapes)
    if same and declared.declared_bbox is not None:
        bbox = declared.declared_bbox
    elif boxes:
        bbox = boxes[0].bounds()
    else:
        bbox = masks.bbox(rle)
    area = declared.declared_area if same and declared.declared_area is not None \
        else masks.area(rle)
    return {"segmentation": {"size": rle["size"], "counts": rle["counts"]}, "bbox": bbox,
            "area": area}
