"""Shape-kind transforms: boxes to polygons, any shape to its box, and an instance's
segments joined into one mask."""
from __future__ import annotations

import math
from typing import Any

from cococonv.context import Context
from cococonv.limits import LimitError
from cococonv.model import (Annotation, Bbox, Dataset, Ellipse, Item, Mask, Points, Polygon,
                            Polyline)
from cococonv.plugin import Option, Transform

_OUTLINES = (Polygon, Mask, Ellipse)


class BoxesToPolygonsTransform(Transform):
    """Turn boxes into 4-point polygons (a rotated box into its rotated corners).

    A box that shares its group and label with an outline is that outline's bounding box
    (a COCO object's bbox), not a shape of its own: it stays a box, counted.
    """

    name = "boxes_to_polygons"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        from cococonv.geometry import box_corners, is_rotated

        turned = bounding = 0
        for item in dataset:
            outlined = {(a.group, a.label) for a in item.annotations
                        if a.group and type(a) in _OUTLINES}
            new_annotations: list[Annotation] = []
            for ann in item.annotations:
                if type(ann) is not Bbox:
                    new_annotations.append(ann)
                    continue
                if ann.group and (ann.group, ann.label) in outlined:
                    bounding += 1
                    new_annotations.append(ann)
                    continue
                rotated = is_rotated(ann)
                attributes = {k: v for k, v in ann.attributes.items() if k != "rotation"} \
                    if rotated else ann.attributes
                polygon = Polygon(id=ann.id, label=ann.label, group=ann.group,
                                  z_order=ann.z_order, attributes=attributes, extra=ann.extra,
                                  points=box_corners(ann), declared_bbox=ann.declared_bbox,
                                  declared_area=ann.declared_area)
                if rotated:
                    polygon.geometry_changed()
                new_annotations.append(polygon)
                turned += 1
            item.annotations = new_annotations
        ctx.report.approximated("boxes", "turned into 4-point polygons (boxes_to_polygons)",
                                turned)
        ctx.report.lost("boxes turned into polygons", "kept as boxes: the bounding box of "
                        "an outline in their group", bounding)
        return dataset


class ShapesToBoxesTransform(Transform):
    """Replace every shape (polygon, mask, ellipse, polyline, points) by its bounding box.

    The outlines of one object (group and label) give one box together; a shape with no
    extent (an empty mask, keypoints none of which is visible) is dropped, counted.
    """

    name = "shapes_to_boxes"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        boxed: dict[str, int] = {}
        empty = 0
        for item in dataset:
            new_annotations: list[Annotation] = []
            objects: dict[tuple[int, Any], Bbox] = {}
            for ann in item.annotations:
                kind = type(ann)
                if kind not in (Polygon, Mask, Ellipse, Polyline, Points):
                    new_annotations.append(ann)
                    continue
                bounds = _bounds(ann)
                if bounds is None:
                    empty += 1
                    continue
                boxed[kind.kind] = boxed.get(kind.kind, 0) + 1
                key = (ann.group, ann.label)
                joined = objects.get(key) if ann.group and kind in _OUTLINES else None
                if joined is not None:
                    _extend(joined, bounds)
                    continue
                box = Bbox(id=ann.id, label=ann.label, group=ann.group, z_order=ann.z_order,
                           attributes={k: v for k, v in ann.attributes.items()
                                       if k != "rotation"}, extra=ann.extra,
                           x=bounds[0], y=bounds[1], w=bounds[2], h=bounds[3])
                if ann.group and kind in _OUTLINES:
                    objects[key] = box
                new_annotations.append(box)
            item.annotations = new_annotations
        for kind, count in boxed.items():
            ctx.report.approximated(f"{kind} annotations", "replaced by their bounding box "
                                    "(shapes_to_boxes)", count)
        ctx.report.lost("shapes with no extent", "no box to replace them (shapes_to_boxes)",
                        empty)
        return dataset


def _bounds(ann: Annotation) -> list[float] | None:
    """``[x, y, w, h]`` around the shape, None when it covers nothing."""
    from cococonv.geometry import points_bbox, rotation_of

    kind = type(ann)
    if kind is Mask:
        from cococonv import masks
        if not masks.area(ann.rle):  # type: ignore[attr-defined]
            return None
        return [float(v) for v in masks.bbox(ann.rle)]  # type: ignore[attr-defined]
    if kind is Ellipse:
        angle = math.radians(rotation_of(ann))
        half_w = math.hypot(ann.rx * math.cos(angle), ann.ry * math.sin(angle))  # type: ignore[attr-defined]
        half_h = math.hypot(ann.rx * math.sin(angle), ann.ry * math.cos(angle))  # type: ignore[attr-defined]
        return [ann.cx - half_w, ann.cy - half_h, 2 * half_w, 2 * half_h]  # type: ignore[attr-defined]
    points = list(ann.points)  # type: ignore[attr-defined]
    if kind is Points and ann.visibility:  # type: ignore[attr-defined]
        points = [v for k, flag in enumerate(ann.visibility)  # type: ignore[attr-defined]
                  if flag for v in points[2 * k:2 * k + 2]]
    if len(points) < 2:
        return None
    return points_bbox(points)


def _extend(box: Bbox, bounds: list[float]) -> None:
    x0, y0 = min(box.x, bounds[0]), min(box.y, bounds[1])
    x1 = max(box.x + box.w, bounds[0] + bounds[2])
    y1 = max(box.y + box.h, bounds[1] + bounds[3])
    box.x, box.y, box.w, box.h = x0, y0, x1 - x0, y1 - y0


class MergeInstanceSegmentsTransform(Transform):
    """Join the masks of one instance (group and label) into one RLE mask; with
    --include-polygons its polygons too. Needs the image size (else a mask's own)."""

    name = "merge_instance_segments"
    options = (Option("include_polygons", bool, False, "Join the instance's polygons into "
                      "the mask too."),)

    def apply(self, dataset: Dataset, ctx: Context, *, include_polygons: bool) -> Dataset:
        kinds = (Mask, Polygon) if include_polygons else (Mask,)
        joined = unknown = 0
        for item in dataset:
            buckets: dict[tuple[int, Any], list[Annotation]] = {}
            for ann in item.annotations:
                if ann.group and type(ann) in kinds:
                    buckets.setdefault((ann.group, ann.label), []).append(ann)
            replacement: dict[int, Annotation | None] = {}
            for members in buckets.values():
                if len(members) < 2:
                    continue
                merged = _merged(item, members)
                if merged is None:
                    unknown += len(members)
                    continue
                replacement[id(members[0])] = merged
                for other in members[1:]:
                    replacement[id(other)] = None
                joined += len(members)
            if replacement:
                item.annotations = [replacement.get(id(a), a) for a in item.annotations
                                    if replacement.get(id(a), a) is not None]
        ctx.report.approximated("instance segments", "joined into one mask per instance "
                                "(merge_instance_segments)", joined)
        ctx.report.lost("instance segments left apart", "image size unknown", unknown)
        return dataset


def _merged(item: Item, members: list[Annotation]) -> Mask | None:
    from cococonv.geometry import rasterize

    size = item.image.size if item.image is not None else None
    if size is None:
        sized = [m for m in members if type(m) is Mask]
        if not sized:
            return None
        size = tuple(sized[0].rle["size"])  # type: ignore[attr-defined]
    leader = members[0]
    try:
        rle = rasterize(members, size[0], size[1])
    except LimitError as err:
        raise err.located(file=item.id, where=None if leader.id is None else
                          f"annotation {leader.id}") from None
    if rle is None:
        return None
    mask = Mask(id=leader.id, label=leader.label, group=leader.group, z_order=leader.z_order,
                attributes=leader.attributes, extra=leader.extra, rle=rle)
    mask.geometry_changed()
    return mask
