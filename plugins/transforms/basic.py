"""Everyday transforms: renumber ids, rename or drop labels, switch polygon/mask forms."""
from __future__ import annotations

from typing import Any

from cococonv.errors import OptionError
from cococonv.limits import LimitError
from cococonv.model import Categories, Dataset, Item, Mask, Polygon
from cococonv.plugin import Option, Transform
from cococonv.context import Context


class ReindexTransform(Transform):
    """Renumber item and annotation ids 1..N in input order.

    Image ids (`Item.image_id`, what COCO writes as image ids) restart per subset;
    annotation ids run over the whole subset. Label ids are renumbered 1..K too.
    """

    name = "reindex"
    options = (Option("start", int, 1, "First id."),)

    def apply(self, dataset: Dataset, ctx: Context, *, start: int) -> Dataset:
        report = ctx.report
        counters: dict[str, list[int]] = {}
        for item in dataset:
            image_next, ann_next = counters.setdefault(item.subset, [start, start])
            item.image_id = image_next
            for ann in item.annotations:
                ann.id = ann_next
                ann_next += 1
            counters[item.subset] = [image_next + 1, ann_next]
        for index, label in enumerate(dataset.categories.labels):
            label.id = start + index
        return dataset


class RemapLabelsTransform(Transform):
    """Rename, merge or drop labels: `--mapping old:new,old2:new,junk:` (empty new drops).

    Labels not named keep their name unless `--default delete`. Annotations of dropped
    labels are removed and counted in the report. A kept label stays the same object, so
    what a format's meta says of it follows the new name (model.Categories).
    """

    name = "remap_labels"
    options = (Option("mapping", list, [], "Comma-separated old:new pairs; old: drops."),
               Option("default", str, "keep", "What happens to labels not named.",
                      ("keep", "delete")))

    def apply(self, dataset: Dataset, ctx: Context, *, mapping: list[str],
              default: str) -> Dataset:
        report = ctx.report
        pairs: dict[str, str] = {}
        for entry in mapping:
            if ":" not in entry:
                raise OptionError(f"remap_labels: {entry!r} is not old:new")
            old, new = entry.split(":", 1)
            pairs[old.strip()] = new.strip()
        old_labels = dataset.categories.labels
        categories = Categories()
        remap: dict[int, int | None] = {}
        made: dict[str, int] = {}  # Categories.find per label was quadratic
        for index, label in enumerate(old_labels):
            target = pairs.get(label.name, label.name if default == "keep" else "")
            if not target:
                remap[index] = None
                continue
            found = made.get(target)
            if found is None:
                # the label's own object, renamed: Dataset.meta names labels by object
                found = made[target] = len(categories.labels)
                label.name = target
                categories.labels.append(label)
                if index in dataset.categories.keypoints:
                    categories.keypoints[found] = dataset.categories.keypoints[index]
                if index in dataset.categories.colormap:
                    categories.colormap[found] = dataset.categories.colormap[index]
            remap[index] = found
        dropped = 0
        for item in dataset:
            kept = []
            for ann in item.annotations:
                if ann.label is not None:
                    new = remap[ann.label]
                    if new is None:
                        dropped += 1
                        continue
                    ann.label = new
                kept.append(ann)
            item.annotations = kept
        dataset.categories = categories
        report.lost("annotations of dropped labels", "remap_labels", dropped)
        return dataset


class PolygonsToMasksTransform(Transform):
    """Rasterise polygons into RLE masks (one mask per object group); needs image sizes."""

    name = "polygons_to_masks"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        report = ctx.report
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
        return dataset


class MasksToPolygonsTransform(Transform):
    """Trace masks into polygons that cover exactly the same pixels.

    Masks with holes (or that cannot be traced exactly) stay masks and are counted, since a
    polygon would change their area.
    """

    name = "masks_to_polygons"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        report = ctx.report
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
                    group = _free_group(item)
                for ring in rings:
                    new_annotations.append(Polygon(id=ann.id, label=ann.label, group=group,
                                                   z_order=ann.z_order, attributes=ann.attributes,
                                                   extra=ann.extra, points=ring))
                traced += 1
            item.annotations = new_annotations
        report.approximated("masks", "traced into exact polygons", traced)
        report.approximated("masks", "kept as RLE: holes or not exactly traceable", kept)
        return dataset


def _free_group(item: Item) -> int:
    return max((a.group for a in item.annotations), default=0) + 1
