"""Outline forms: polygons to RLE masks and back, and the segmentation mode that picks one
form for every outline (--segmentation-mode, for any target). The per-item work is
cococonv.outlines, which the COCO exporter runs too."""
from __future__ import annotations

from cococonv import export_options
from cococonv.context import Context
from cococonv.model import Dataset
from cococonv.outlines import reform_outlines
from cococonv.plugin import Transform
from cococonv.report import Report


class PolygonsToMasksTransform(Transform):
    """Rasterise polygons into RLE masks (one mask per object group); needs image sizes."""

    name = "polygons_to_masks"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        reform_dataset(dataset, "mask", ctx.report)
        return dataset


class MasksToPolygonsTransform(Transform):
    """Trace masks into polygons that cover exactly the same pixels.

    Masks with holes (or that cannot be traced exactly) stay masks and are counted, since a
    polygon would change their area; so do crowd masks (COCO keeps those as RLE).
    """

    name = "masks_to_polygons"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        reform_dataset(dataset, "polygons", ctx.report)
        return dataset


class SegmentationModeTransform(Transform):
    """One form for every outline: guess keeps each as it is, polygons traces masks
    (masks_to_polygons), mask rasterises polygons (polygons_to_masks).

    ``convert``/``export`` run this transform for every target's --segmentation-mode; the
    COCO exporter runs the same per-item work (cococonv.outlines) on its own objects.
    """

    name = "segmentation_mode"
    options = (export_options.segmentation_mode(),)

    def apply(self, dataset: Dataset, ctx: Context, *, segmentation_mode: str) -> Dataset:
        reform_dataset(dataset, segmentation_mode, ctx.report)
        return dataset


def reform_dataset(dataset: Dataset, mode: str, report: Report) -> None:
    """Every item's outlines in ``mode`` (outlines.py), the items updated in place."""
    for item in dataset:
        annotations = reform_outlines(item, mode, report)
        if annotations is not None:
            item.annotations = annotations
