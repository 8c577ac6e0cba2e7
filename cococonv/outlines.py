"""One outline form per item: the work of the ``polygons_to_masks``, ``masks_to_polygons``
and ``segmentation_mode`` transforms, item by item, in core so that an exporter can run it in
its own workers (a plugin imports core, never another plugin).

:class:`OutlineRules` says what one object is and what the next writer needs. The
transforms use the defaults (objects by group and label, every mask traced alone). The COCO
exporter, which writes one record per object next, asks for its own objects
(``group_objects``) re-formed whole: in mask mode an object's polygons, ellipses and rotated
boxes become one RLE (crowd ones with list counts, as COCO writes crowd regions) that keeps
the box and area the source declared; in polygons mode only an object whose one outline is a
mask is traced, the polygons keeping the mask's box and area (they cover the same pixels).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import geometry
from .limits import LimitError
from .model import Annotation, Bbox, Ellipse, Item, Mask, Polygon

Objects = Callable[[Item], list[list[Annotation]]]


class Counts(Protocol):
    """Where losses and changes are counted: the run's Report, or an export worker's tally."""

    def lost(self, what: str, why: str, count: int = 1) -> None: ...
    def approximated(self, what: str, how: str, count: int = 1) -> None: ...


def by_group_and_label(item: Item) -> list[list[Annotation]]:
    """The item's annotations as objects: one per group and label, an ungrouped one alone."""
    buckets: dict[tuple[int, Any], list[Annotation]] = {}
    objects: list[list[Annotation]] = []
    for ann in item.annotations:
        if not ann.group:
            objects.append([ann])
            continue
        found = buckets.get((ann.group, ann.label))
        if found is None:
            found = buckets[(ann.group, ann.label)] = []
            objects.append(found)
        found.append(ann)
    return objects


@dataclass(frozen=True)
class OutlineRules:
    """How objects are found and re-formed (the defaults are the transforms')."""

    #: What one object is.
    objects: Objects = by_group_and_label
    #: Re-form an object only when it has one form to begin with: mask mode leaves an
    #: object that already holds a mask, polygons mode traces only an object's lone mask.
    whole_objects: bool = False
    #: Ellipses and rotated boxes (without a declared box) are outlines too: in mask mode
    #: they join the object's RLE, as the 64- and 4-point polygons on their outline.
    all_outlines: bool = False
    #: A crowd object's new RLE has list counts.
    crowd_list_counts: bool = False
    #: New shapes keep the box and area the source declared (a traced mask's polygons
    #: also its measured area); otherwise they are measured again downstream.
    keep_measures: bool = False
    #: Count the rasterised objects as approximations (the COCO exporter writes what
    #: --segmentation-mode mask asked for without a line).
    count_rasterised: bool = True


TRANSFORM_RULES = OutlineRules()


def reform_outlines(item: Item, mode: str, report: Counts,
                    rules: OutlineRules = TRANSFORM_RULES,
                    objects: list[list[Annotation]] | None = None) -> list[Annotation] | None:
    """The item's annotations with every outline in ``mode`` (``mask`` or ``polygons``;
    ``guess`` changes nothing), or None when nothing changed. The item is not modified.
    ``objects``: the item's objects when the caller has them (else ``rules.objects``)."""
    if objects is None:
        objects = rules.objects(item)
    if mode == "mask":
        return _to_masks(item, objects, report, rules)
    if mode == "polygons":
        return _to_polygons(item, objects, report, rules)
    return None


def _is_outline(ann: Annotation, rules: OutlineRules) -> bool:
    kind = type(ann)
    if kind is Polygon:
        return True
    if not rules.all_outlines:
        return False
    if kind is Ellipse:
        return True
    return kind is Bbox and bool(geometry.rotation_of(ann)) and ann.declared_bbox is None


def _ring(ann: Annotation, report: Counts) -> list[float]:
    kind = type(ann)
    if kind is Polygon:
        return ann.points  # type: ignore[attr-defined]
    if kind is Ellipse:
        report.approximated("ellipses", "written as 64-point polygons", 1)
        return geometry.ellipse_to_polygon(ann)  # type: ignore[arg-type]
    report.approximated("rotated boxes", "written as 4-point polygons", 1)
    return geometry.box_corners(ann)  # type: ignore[arg-type]


def _to_masks(item: Item, objects: list[list[Annotation]], report: Counts,
              rules: OutlineRules) -> list[Annotation] | None:
    size = item.image.size if item.image is not None else None
    replacement: dict[int, Annotation | None] = {}
    rasterised = 0
    everything = rules.all_outlines
    for obj in objects:
        shapes = [a for a in obj
                  if type(a) is Polygon or (everything and _is_outline(a, rules))]
        if not shapes or (rules.whole_objects and any(type(a) is Mask for a in obj)):
            continue
        if size is None:
            report.approximated("polygons", "kept as polygons: image size unknown",
                                sum(1 for a in shapes if type(a) is Polygon))
            continue
        mask = _joined_mask(item, obj, shapes, size, report, rules)
        replacement[id(shapes[0])] = mask
        for other in shapes[1:]:
            replacement[id(other)] = None
        rasterised += 1
    if rules.count_rasterised:
        report.approximated("polygons", "rasterised into RLE masks", rasterised)
    return _replaced(item, replacement) if replacement else None


def _joined_mask(item: Item, obj: list[Annotation], shapes: list[Annotation],
                 size: tuple[int, int], report: Counts, rules: OutlineRules) -> Mask:
    from . import masks

    leader = shapes[0]
    rings = [_ring(a, report) for a in shapes]
    try:
        rle = masks.polygons_to_rle(rings, size[0], size[1])
    except LimitError as err:  # docs/limits.md: name the object
        raise err.located(file=item.id, where=None if leader.id is None else
                          f"annotation {leader.id}") from None
    crowd_of = obj[0] if rules.whole_objects else leader
    if rules.crowd_list_counts and crowd_of.attributes.get("is_crowd"):
        rle = masks.uncompress(rle)
    attributes = leader.attributes
    if any(type(a) is not Polygon for a in shapes) and "rotation" in attributes:
        attributes = {k: v for k, v in attributes.items() if k != "rotation"}
    mask = Mask(id=leader.id, label=leader.label, group=leader.group, z_order=leader.z_order,
                attributes=attributes, extra=leader.extra, rle=rle,
                declared_bbox=leader.declared_bbox, declared_area=leader.declared_area)
    # Outlines of other source records (COCO records linked by group_id): their boxes and
    # areas are not this object's.
    joined = len({id(a.extra) for a in shapes[1:]
                  if a.extra is not leader.extra and a.declared_bbox is not None})
    if not rules.keep_measures or joined:
        mask.geometry_changed()
    if rules.keep_measures:
        report.approximated("outlines of several source records", "joined into one mask; "
                            "its box and area measured again", joined)
    return mask


def _to_polygons(item: Item, objects: list[list[Annotation]], report: Counts,
                 rules: OutlineRules) -> list[Annotation] | None:
    replacement: dict[int, list[Annotation]] = {}
    groups = {a.group for a in item.annotations}
    for obj in objects:
        found = [a for a in obj if type(a) is Mask]
        if rules.whole_objects and (len(found) != 1 or
                                    any(_is_outline(a, rules) for a in obj)):
            continue
        for mask in found:
            crowd_of = obj[0] if rules.whole_objects else mask
            if crowd_of.attributes.get("is_crowd"):
                continue
            polygons = _traced(mask, groups, report, rules)
            if polygons is not None:
                replacement[id(mask)] = polygons
    if not replacement:
        return None
    annotations: list[Annotation] = []
    for ann in item.annotations:
        annotations.extend(replacement.get(id(ann), (ann,)))
    return annotations


def _traced(mask: Mask, groups: set[int], report: Counts,
            rules: OutlineRules) -> list[Annotation] | None:
    from .contours import mask_to_polygons

    rings = mask_to_polygons(mask.rle)
    if rings is None:
        report.approximated("masks", "kept as RLE (could not trace exactly)", 1)
        return None
    report.approximated("masks", "traced into polygons", 1)
    group = mask.group
    if len(rings) > 1 and not group:  # its rings stay one object
        group = max(groups, default=0) + 1
        groups.add(group)
    bbox = area = None
    if rules.keep_measures:
        from . import masks
        bbox = mask.declared_bbox
        area = mask.declared_area if mask.declared_area is not None else masks.area(mask.rle)
    return [Polygon(id=mask.id, label=mask.label, group=group, z_order=mask.z_order,
                    attributes=mask.attributes, extra=mask.extra, points=ring,
                    declared_bbox=bbox, declared_area=area) for ring in rings]


def _replaced(item: Item, replacement: dict[int, Annotation | None]) -> list[Annotation]:
    """The item's annotations with ``replacement`` applied (None drops one)."""
    annotations = []
    for ann in item.annotations:
        new = replacement.get(id(ann), ann)
        if new is not None:
            annotations.append(new)
    return annotations
