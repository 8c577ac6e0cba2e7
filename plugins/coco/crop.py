"""Cut from each object what objects drawn above it cover: the COCO exporter's
--crop-covered (per item, in its workers) and the ``crop_covered`` transform (any export)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cococonv.errors import DataError
from cococonv.limits import check_plane
from cococonv.context import Context
from cococonv.model import Dataset, Item, Mask
from cococonv.plugin import Transform
from cococonv.report import Report

from .grouping import area_shapes, group_objects


class CropCoveredTransform(Transform):
    """Cut from each object the parts covered by objects drawn above it (higher z_order,
    or later at equal z_order); changed objects become RLE masks. Formats without a
    drawing order (COCO) then keep what was visible."""

    name = "crop_covered"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context, **options: object) -> Dataset:
        items = list(dataset)
        cropped = []
        changed = 0
        for item, count in ctx.map(_crop_one, None, items):
            cropped.append(item)
            changed += count
        report_cropped(ctx.report, changed)
        return Dataset(dataset.categories, cropped, dataset.meta)


def _crop_one(plan: None, item: Item) -> tuple[Item, int]:
    """The engine's per-item function for the transform (workers return the new item)."""
    return crop_covered(item)


def crop_covered_items(items: Iterable[Item], report: Report) -> list[Item]:
    """:func:`crop_covered` applied to each item, the objects changed counted once."""
    result = []
    changed = 0
    for item in items:
        item, count = crop_covered(item)
        result.append(item)
        changed += count
    report_cropped(report, changed)
    return result


def report_cropped(report: Report, changed: int) -> None:
    report.approximated("covered objects", "cropped into RLE masks (--crop-covered)", changed)


def crop_covered(item: Item) -> tuple[Item, int]:
    """The item with its area objects no longer overlapping the objects above them, and how
    many objects changed.

    Drawing order is ``z_order``, then input order; later objects are on top. Objects whose
    area changed become RLE masks; an item of unknown image size is left as it is.
    """
    size = item.image.size if item.image is not None else None
    objects = [obj for obj in group_objects(item)
               if any(type(a).kind in ("polygon", "mask", "bbox", "ellipse") for a in obj)]
    if size is None or len(objects) < 2:
        return item, 0
    import numpy as np

    from cococonv import masks
    from cococonv.geometry import rasterize

    height, width = size
    try:
        check_plane(height, width, "--crop-covered's masks")
    except DataError as err:
        raise err.located(file=item.id) from None
    order = sorted(range(len(objects)), key=lambda k: (objects[k][0].z_order, k))
    covered = np.zeros((height, width), dtype=bool)
    replaced: dict[int, Mask | None] = {}
    changed = 0
    for k in reversed(order):
        obj = objects[k]
        shapes = area_shapes(obj)
        boxes = [] if type(shapes[0]).kind == "bbox" else \
            [a for a in obj if type(a).kind == "bbox"]  # their bbox is the new mask's
        rle = rasterize(shapes, height, width)
        if rle is None:
            continue
        pixels = masks.decode(rle).astype(bool)
        visible = pixels & ~covered
        if not obj[0].attributes.get("is_crowd"):
            covered |= pixels
        if visible.sum() != pixels.sum():
            leader = shapes[0]
            new = Mask(id=leader.id, label=leader.label, group=leader.group,
                       z_order=leader.z_order, attributes=leader.attributes,
                       extra=leader.extra, rle=masks.encode(visible))
            new.geometry_changed()
            replaced[id(leader)] = new
            for other in shapes[1:] + boxes:
                replaced[id(other)] = None
            changed += 1
    if not replaced:
        return item, 0
    annotations = []
    for ann in item.annotations:
        swap = replaced.get(id(ann), ann)
        if swap is not None:
            annotations.append(swap)
    return replace(item, annotations=annotations), changed
