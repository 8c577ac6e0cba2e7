"""The VOC objects an item's annotations make, and which boxes are layout parts.

VOC writes a person's head, hands and feet as ``<part>`` boxes inside its ``<object>``; the
model holds them as boxes in the object's group. A label map that declares parts (a VOC
source's, or ``--label-map voc``) says which labels are parts of which: the group's first
object whose label has parts owns it, and its group's boxes of those labels are its parts.
Without one (COCO or CVAT input, where COCO's ``attributes["group_id"]`` link or CVAT's
``group_id`` made the group), the group's first object -- its first box or area shape --
owns the group, and every other box of the group whose label differs from the owner's is
one of its parts. That is how voc -> coco -> voc gets its layout back. A part of the
owner's own label (a ``person`` part in a ``person``) carries the ``layout_part`` attribute
from the VOC reader, so it stays a part instead of becoming a second object.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cococonv.model import Annotation, Bbox, Ellipse, Label, Mask, Polygon

AREA = (Polygon, Mask, Ellipse)
# The attribute that marks a box as a layout part where its label alone cannot tell.
PART_MARK = "layout_part"


@dataclass
class ObjectUnit:
    """One VOC object: a box (or none yet), its parts, its area shapes."""

    label: int | None
    box: Annotation | None = None
    parts: list[Bbox] = field(default_factory=list)
    shapes: list[Annotation] = field(default_factory=list)
    xml_index: int | None = None

    @property
    def leader(self) -> Annotation:
        return self.box if self.box is not None else self.shapes[0]


def _has_parts(ann: Annotation, names: list[str], declared: dict[str, set[str]]) -> bool:
    return ann.label is not None and bool(declared.get(names[ann.label]))


def _no_bndbox(ann: Annotation) -> bool:
    return type(ann) is Label and bool(ann.extra.get("voc", {}).get("no_bndbox"))


def gather_units(annotations: Sequence[Annotation], names: list[str],
                 declared_parts: dict[str, set[str]]) -> list[ObjectUnit]:
    """The annotations gathered into VOC objects, in the order of each one's first
    annotation (also when a box-less area shape, e.g. a COCO mask, comes before a box).

    ``declared_parts`` maps a label name to the part labels a label map gives it. A box
    joins as a part (see the module docstring); an area shape joins the object of its group
    and label, or starts one; every other box starts an object.
    """
    for ann in annotations:
        if type(ann) not in AREA:
            break
    else:  # area shapes only (COCO's records): no box to start an object or be a part
        return _area_units(annotations)
    owners: dict[int, Annotation] = {}
    for ann in annotations:
        if not ann.group or not (type(ann) is Bbox or type(ann) in AREA or _no_bndbox(ann)):
            continue
        owner = owners.get(ann.group)
        # With a label map, the first object whose label has parts owns the group.
        marked = owner is not None and owner.attributes.get(PART_MARK) is True
        if owner is None or (marked and ann.attributes.get(PART_MARK) is not True) or (
                declared_parts and not _has_parts(owner, names, declared_parts)
                and _has_parts(ann, names, declared_parts)):
            owners[ann.group] = ann

    def is_part(ann: Annotation) -> bool:
        owner = owners.get(ann.group) if ann.group else None
        if owner is None or owner is ann or ann.label is None or owner.label is None:
            return False
        if ann.attributes.get(PART_MARK) is True:
            return True
        if declared_parts:
            return names[ann.label] in declared_parts.get(names[owner.label], ())
        return ann.label != owner.label

    units: list[tuple[int, ObjectUnit]] = []
    unit_of: dict[int, ObjectUnit] = {}
    by_group: dict[tuple[int, int | None], ObjectUnit] = {}
    parts: list[Bbox] = []
    for position, ann in enumerate(annotations):
        if type(ann) is Bbox and is_part(ann):
            parts.append(ann)  # type: ignore[arg-type]
        elif type(ann) is Bbox or _no_bndbox(ann):
            unit = ObjectUnit(ann.label, box=ann)
            units.append((position, unit))
            unit_of[id(ann)] = unit
            if ann.group:
                by_group.setdefault((ann.group, ann.label), unit)
    for position, ann in enumerate(annotations):
        if type(ann) in AREA:
            owner = by_group.get((ann.group, ann.label)) if ann.group else None
            if owner is None:
                owner = ObjectUnit(ann.label)
                units.append((position, owner))
                if ann.group:
                    by_group[(ann.group, ann.label)] = owner
            owner.shapes.append(ann)
            unit_of[id(ann)] = owner
    for part in parts:
        unit_of[id(owners[part.group])].parts.append(part)
    units.sort(key=lambda pair: pair[0])
    return [unit for _position, unit in units]


def _area_units(annotations: Sequence[Annotation]) -> list[ObjectUnit]:
    """``gather_units`` of area shapes alone: each joins the object of its group and label,
    or starts one (so the objects come in the order of their first shape already)."""
    units: list[ObjectUnit] = []
    by_group: dict[tuple[int, int | None], ObjectUnit] = {}
    for ann in annotations:
        if ann.group:
            key = (ann.group, ann.label)
            owner = by_group.get(key)
            if owner is None:
                owner = by_group[key] = ObjectUnit(ann.label)
                units.append(owner)
        else:
            owner = ObjectUnit(ann.label)
            units.append(owner)
        owner.shapes.append(ann)
    return units


class FoundParts:
    """What a label map written for a source without declared parts must say, gathered an
    item's objects at a time (``add``): each owner label's part labels in first-seen order,
    and the labels used as objects."""

    def __init__(self) -> None:
        self.parts_of: dict[int, dict[int, None]] = {}
        self.objects: set[int] = set()

    def add(self, units: Sequence[ObjectUnit]) -> None:
        for unit in units:
            if unit.label is not None:
                self.objects.add(unit.label)
                if unit.parts:
                    found = self.parts_of.setdefault(unit.label, {})
                    for part in unit.parts:
                        found[part.label] = None  # type: ignore[index]

    def result(self) -> tuple[dict[int, list[int]], set[int]]:
        """``(owner label -> its part labels in first-seen order, labels used as objects)``."""
        return {owner: list(found) for owner, found in self.parts_of.items()}, self.objects
