"""Outline forms: polygons to RLE masks and back, and the segmentation mode that picks one
form for every outline (the COCO exporter's --segmentation-mode, for any target)."""
from __future__ import annotations

from typing import Any

from cococonv import export_options
from cococonv.context import Context
from cococonv.limits import LimitError
from cococonv.model import Dataset, Mask, Polygon
from cococonv.plugin import Transform
from cococonv.report import Report

from .common import free_group


class PolygonsToMasksTransform(Transform):
    """Rasterise polygons into RLE masks (one mask per object group); needs image sizes."""

    name = "polygons_to_masks"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        polygons_to_masks(dataset, ctx.report)
        return dataset


class MasksToPolygonsTransform(Transform):
    """Trace masks into polygons that cover exactly the same pixels.

    Masks with holes (or that cannot be traced exactly) stay masks and are counted, since a
    polygon would change their area; so do crowd masks (COCO keeps those as RLE).
    """

    name = "masks_to_polygons"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        masks_to_polygons(dataset, ctx.report)
        return dataset


class SegmentationModeTransform(Transform):
    """One form for every outline: guess keeps each as it is, polygons traces masks
    (masks_to_polygons), mask rasterises polygons (polygons_to_masks).

    What the COCO exporter's --segmentation-mode does; ``convert``/``export`` run this
    transform for the targets without that option, so the flag works for every format.
    """

    name = "segmentation_mode"
    options = (export_options.segmentation_mode(),)

    def apply(self, dataset: Dataset, ctx: Context, *, segmentation_mode: str) -> Dataset:
        if segmentation_mode == "polygons":
            masks_to_polygons(dataset, ctx.report)
        elif segmentation_mode == "mask":
            polygons_to_masks(dataset, ctx.report)
        return dataset


def polygons_to_masks(dataset: Dataset, report: Report) -> None:
    """Replace each item's polygons by one RLE mask per object (group and label)."""
    from cococonv import masks

    converted = 0
    unknown = 0
    for item in dataset:
        size = item.image.size if item.image is not None else None
        polygons = [a for a in item.annotations if type(a) is Polygon]
        if not polygons:
            continue
        if size is None:
            unknown += len(polygons)
            continue
        groups: dict[Any, list[Polygon]] = {}
        for polygon in polygons:
            key = (polygon.group, polygon.label) if polygon.group else id(polygon)
            groups.setdefault(key, []).append(polygon)
        replacement: dict[int, Mask | None] = {}
        for members in groups.values():
            leader = members[0]
            try:
                rle = masks.polygons_to_rle([p.points for p in members], size[0], size[1])
            except LimitError as err:  # docs/limits.md: name the object
                raise err.located(file=item.id, where=f"annotation {leader.id}") from None
            mask = Mask(id=leader.id, label=leader.label, group=leader.group,
                        z_order=leader.z_order, attributes=leader.attributes,
                        extra=leader.extra, rle=rle)
            mask.geometry_changed()
            replacement[id(leader)] = mask
            for other in members[1:]:
                replacement[id(other)] = None
            converted += 1
        item.annotations = [replacement.get(id(a), a) for a in item.annotations
                            if replacement.get(id(a), a) is not None]
    report.approximated("polygons", "rasterised into RLE masks", converted)
    report.lost("polygons left as they were", "image size unknown", unknown)


def masks_to_polygons(dataset: Dataset, report: Report) -> None:
    """Replace each non-crowd mask by the polygons tracing it exactly, where they can."""
    from cococonv.contours import mask_to_polygons

    traced = 0
    kept = 0
    for item in dataset:
        new_annotations = []
        for ann in item.annotations:
            if type(ann) is not Mask or ann.attributes.get("is_crowd"):
                new_annotations.append(ann)
                continue
            rings = mask_to_polygons(ann.rle)
            if rings is None:
                kept += 1
                new_annotations.append(ann)
                continue
            group = ann.group
            if len(rings) > 1 and not group:
                group = free_group(item)
            for ring in rings:
                new_annotations.append(Polygon(id=ann.id, label=ann.label, group=group,
                                               z_order=ann.z_order, attributes=ann.attributes,
                                               extra=ann.extra, points=ring))
            traced += 1
        item.annotations = new_annotations
    report.approximated("masks", "traced into exact polygons", traced)
    report.approximated("masks", "kept as RLE: holes or not exactly traceable", kept)
