"""Which annotations of an item make one COCO object, and which stay apart but linked.

A model group says "these belong together"; one COCO record is narrower: one outline
(``segmentation``, which may hold several polygon rings or a mask), the box that bounds it
(``bbox``) and, in person_keypoints, one keypoint set. Within one group and label:

- the area shapes (polygons, masks, ellipses) form one object, with the box that fits them
  best (largest overlap with their bounds; the first box on a tie) and the first keypoint set;
- every further keypoint set is one more object, and takes the next box;
- boxes left over are one object each;
- an outline or keypoint set read from a COCO record that declared its ``bbox`` already has
  its box: a box beside it stays apart (so coco -> coco gives back the records it read);
- polylines (which COCO cannot hold) stay with the first object, which reports them.

Shapes of different labels are different objects. When a group becomes more than one COCO
record (a VOC person with head, hand and foot parts; two boxes of one label), each of its
records carries the group number in ``attributes["group_id"]`` (:data:`LINK_ATTRIBUTE`), and
the COCO importer reads that back into ``group``, so coco -> voc rebuilds the parts.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cococonv.model import (Annotation, Bbox, Caption, Ellipse, Item, Label, Mask, Points, Polygon,
                            Polyline)

LINK_ATTRIBUTE = "group_id"

_AREA = (Polygon, Mask, Ellipse)


def group_objects(item: Item) -> list[list[Annotation]]:
    """The item's object annotations gathered into COCO objects, in annotation order.

    Captions and image labels are not objects (they have their own tasks); everything else
    is, alone when ungrouped, else by the rules of this module's docstring.
    """
    objects: list[list[Annotation]] = []
    buckets: dict[tuple[int, Any], list[Annotation]] = {}
    for ann in item.annotations:
        kind = type(ann)
        if kind is Caption or (kind is Label and not (ann.extra and ann.extra.get("coco_task"))):
            continue
        if ann.group:
            key = (ann.group, ann.label)
            found = buckets.get(key)
            if found is None:
                found = buckets[key] = []
                objects.append(found)
            found.append(ann)
        else:
            objects.append([ann])
    if not buckets:
        return objects
    result: list[list[Annotation]] = []
    for obj in objects:
        if len(obj) > 1:
            result.extend(split_bucket(obj))
        else:
            result.append(obj)
    return result


def split_bucket(anns: list[Annotation]) -> list[list[Annotation]]:
    """One group-and-label bucket as COCO objects (one object unless it holds several
    boxes or keypoint sets, or a box beside a COCO record's own outline or keypoints);
    each object keeps annotation order."""
    boxes = [a for a in anns if type(a) is Bbox]
    points = [a for a in anns if type(a) is Points]
    if len(boxes) <= 1 and len(points) <= 1 and not (boxes and any(map(_has_bbox, anns))):
        return [anns]
    objects: list[list[Annotation]] = []
    head = [a for a in anns if type(a) is not Bbox and type(a) is not Points]
    if head:
        objects.append(head)
    for k, keypoints in enumerate(points):
        if k == 0 and objects:
            objects[0].append(keypoints)
        else:
            objects.append([keypoints])
    free = list(boxes)
    for obj in objects:
        if not free:
            break
        if any(map(_has_bbox, obj)):
            continue  # read from a COCO record with its own bbox: another box stays apart
        outlines = [a for a in obj if type(a) in _AREA]
        obj.append(free.pop(_best_box(free, outlines) if outlines else 0))
    objects += [[box] for box in free]
    position = {id(a): k for k, a in enumerate(anns)}
    for obj in objects:
        obj.sort(key=lambda a: position[id(a)])
    return objects


def _has_bbox(ann: Annotation) -> bool:
    """An outline or keypoint set read from a COCO record that declared its bbox."""
    return type(ann) is not Bbox and declares(ann, "bbox")


def declares(ann: Annotation, key: str) -> bool:
    """Whether the source declared the object's ``bbox``/``area``: the model's declared
    field, or a null one COCO kept as its own key (written back as it was)."""
    value = ann.declared_bbox if key == "bbox" else ann.declared_area
    return value is not None or key in ann.extra


def area_shapes(obj: list[Annotation]) -> list[Annotation]:
    """The shapes whose union is the object's area: its outlines, else its box. A box
    joined with an outline is that outline's bbox; painting it too would fill the box."""
    outlines = [a for a in obj if type(a) in _AREA]
    return outlines or [a for a in obj if type(a) is Bbox]


def linked_groups(objects: Iterable[list[Annotation]]) -> set[int]:
    """Groups that span more than one written COCO record: those records need the link.
    Objects that write none (polylines only, unlabelled shapes) do not count."""
    seen: set[int] = set()
    linked: set[int] = set()
    for obj in objects:
        group = obj[0].group
        if group and (obj[0].label is not None or obj[0].extra.get("_no_category")) and (
                type(obj[0]) is not Polyline or any(type(a) is not Polyline for a in obj)):
            if group in seen:
                linked.add(group)
            else:
                seen.add(group)
    return linked


def _best_box(boxes: list[Bbox], area: list[Annotation]) -> int:
    """Index of the box overlapping the area shapes' bounds most (intersection over
    union; the first on a tie)."""
    bounds = _area_bounds(area)
    if bounds is None:
        return 0
    scores = [_iou(b.bounds(), bounds) for b in boxes]
    return scores.index(max(scores))


def _area_bounds(area: list[Annotation]) -> list[float] | None:
    from cococonv.geometry import points_bbox
    found = []
    for ann in area:
        kind = type(ann)
        if kind is Polygon:
            found.append(points_bbox(ann.points))  # type: ignore[attr-defined]
        elif kind is Ellipse:
            found.append([ann.cx - ann.rx, ann.cy - ann.ry,  # type: ignore[attr-defined]
                          2 * ann.rx, 2 * ann.ry])  # type: ignore[attr-defined]
        elif kind is Mask:
            from cococonv import masks
            found.append(masks.bbox(ann.rle))  # type: ignore[attr-defined]
    if not found:
        return None
    x0 = min(b[0] for b in found)
    y0 = min(b[1] for b in found)
    x1 = max(b[0] + b[2] for b in found)
    y1 = max(b[1] + b[3] for b in found)
    return [x0, y0, x1 - x0, y1 - y0]


def _iou(a: list[float], b: list[float]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
