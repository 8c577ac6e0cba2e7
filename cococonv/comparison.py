"""Comparing a dataset with what a format gave back, and which report entries excuse
which differences: the round-trip rule of the conformance kit (``cococonv.testing``).

Each difference has a *kind*: an annotation kind (``bbox``, ``polygon``, ``mask``,
``points``, ``polyline``, ``ellipse``, ``caption``, ``label``) for an annotation missing,
changed beyond ``TOLERANCE`` or appearing, or ``attributes``, ``group``, ``items``,
``image_size``, ``categories`` (a label name missing), ``supercategory``. A report entry
(lost or approximated) excuses the kinds its ``what`` names through ``EXCUSES``. Counts are
not compared: a report counts records as its own format sees them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import (Annotation, Bbox, Caption, Categories, Dataset, Ellipse, Item, Mask,
                    Points, Polygon, Polyline)
from .report import Report

#: Pixels a coordinate may move (formats round, VOC is 1-based in whole pixels).
TOLERANCE = 1.0
#: Mask overlap (intersection over union) below which a mask counts as changed.
MIN_MASK_IOU = 0.95

SHAPE_KINDS = ("bbox", "polygon", "mask", "points", "polyline", "ellipse")
ANNOTATION_KINDS = SHAPE_KINDS + ("caption", "label")

ALL_ANNOTATIONS = ANNOTATION_KINDS + ("attributes", "group", "categories")

#: Nouns of a report entry's ``what`` -> the kinds of difference the entry excuses. Words
#: match whole, in lower case, singular or plural; a noun directly followed by another noun
#: (of this table or of NOT_KINDS) only qualifies it and excuses nothing itself:
#: "annotation ids" excuses nothing, "image labels" only ``label``.
EXCUSES: dict[str, tuple[str, ...]] = {
    "annotation": ALL_ANNOTATIONS, "record": ALL_ANNOTATIONS, "object": ALL_ANNOTATIONS,
    "shape": SHAPE_KINDS + ("attributes", "group"),
    "segment": ("polygon", "mask"), "segmentation": ("polygon", "mask"),
    "box": ("bbox",), "polygon": ("polygon",), "outline": ("polygon", "mask"),
    "mask": ("mask",), "region": ("mask",), "void": ("mask",),
    "keypoint": ("points",), "point": ("points",), "skeleton": ("points",),
    "polyline": ("polyline",), "line": ("polyline",), "ellipse": ("ellipse",),
    "caption": ("caption",), "label": ("label", "categories"), "tag": ("label",),
    "class": ("label", "categories"), "category": ("categories",),
    "supercategory": ("supercategory",), "colour": ("categories",),
    "attribute": ("attributes",), "field": ("attributes",), "group": ("group",),
    "link": ("group",), "part": ("group", "bbox"),
    "item": ("items",), "image": ("image_size",), "size": ("image_size",),
    "subset": ("items",),
}
#: Nouns that name no model kind: "annotation ids", "z_order values", "keypoint sets".
NOT_KINDS = frozenset({"id", "value", "name", "set", "order", "file", "list"})
#: Words after which a ``what`` only qualifies what it named: "group links between
#: objects" excuses ``group``, not every kind of object.
QUALIFIERS = frozenset({"between", "of", "with", "in", "than", "from", "by", "into", "as",
                        "for", "used", "sharing", "found", "shorter", "reaching"})



# -- comparing what came back ------------------------------------------------------------
@dataclass
class RoundTrip:
    """What ``round_trip`` found: every difference by kind, and which the report excused."""

    fmt: str
    report: Report
    differences: dict[str, list[str]] = field(default_factory=dict)

    @property
    def excused(self) -> set[str]:
        return excused_kinds(self.report)

    @property
    def unexcused(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.differences.items() if k not in self.excused}

    def describe(self) -> str:
        lines = [f"{self.fmt}: differences the report does not account for:"]
        for kind, found in sorted(self.unexcused.items()):
            lines += [f"  {kind}: {one}" for one in found[:5]]
            if len(found) > 5:
                lines.append(f"  {kind}: ... {len(found) - 5} more")
        entries = report_entries(self.report)
        lines.append("report: " + ("; ".join(entries) if entries else "(nothing lost)"))
        return "\n".join(lines)


def report_entries(report: Report) -> list[str]:
    return [f"lost {w} ({y})" for w, y in report.losses] + \
        [f"approximated {w} ({h})" for w, h in report.approximations]


def excused_kinds(report: Report) -> set[str]:
    """The difference kinds the report excuses: those named by each lost entry's ``what``
    and each approximated entry's ``what`` and ``how`` (an approximation says what the
    value became: "ellipses" "written as 64-point polygons"), by EXCUSES."""
    kinds: set[str] = set()
    for what, _why in report.losses:
        kinds |= _named(what, cut=True)
    for what, how in report.approximations:
        kinds |= _named(what, cut=True) | _named(how, cut=False, broad=False)
    return kinds


#: Nouns naming every kind: in an approximation's ``how`` ("given one as their VOC
#: object's <bndbox>") they say where the value went, not what became of each kind.
BROAD_NOUNS = frozenset({"annotation", "record", "object", "shape"})


def _named(text: str, *, cut: bool, broad: bool = True) -> set[str]:
    """The kinds a text names; with ``cut``, only before its first QUALIFIERS word;
    without ``broad``, BROAD_NOUNS name nothing."""
    words = []
    for word in re.findall(r"[a-z_]+", text.lower().replace("'s", "")):
        if not broad and _singular(word) in BROAD_NOUNS:
            continue
        if cut and word in QUALIFIERS:
            break
        words.append(_singular(word))
    kinds: set[str] = set()
    for here, following in zip(words, words[1:] + [""]):
        if here in EXCUSES and following not in EXCUSES and following not in NOT_KINDS:
            kinds.update(EXCUSES[here])
    return kinds


def _singular(word: str) -> str:
    if word.endswith(("sses", "xes", "ches")):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def compare(expected: Dataset, actual: Dataset) -> dict[str, list[str]]:
    """Differences between two datasets by kind (see the module docstring)."""
    found: dict[str, list[str]] = {}

    def note(kind: str, text: str) -> None:
        found.setdefault(kind, []).append(text)

    _compare_categories(expected.categories, actual.categories, note)
    got = {(item.subset, item.id): item for item in actual}
    for item in expected:
        other = got.get((item.subset, item.id))
        where = f"{item.subset}/{item.id}"
        if other is None:
            moved = sorted(subset for subset, item_id in got if item_id == item.id)
            note("items", f"{where} is missing" +
                 (f" (found in subset {', '.join(moved)})" if moved else ""))
            continue
        size = item.image.size if item.image else None
        other_size = other.image.size if other.image else None
        if size != other_size:
            note("image_size", f"{where}: {size} became {other_size}")
        _compare_annotations(where, item, expected.categories, other, actual.categories,
                             note)
    return found


def _compare_categories(expected: Categories, actual: Categories, note) -> None:
    for label in expected.labels:
        index = actual.find(label.name)
        if index is None:
            note("categories", f"label {label.name!r} is missing")
        elif (actual.labels[index].parent or "") != (label.parent or ""):
            note("supercategory", f"label {label.name!r}: supercategory {label.parent!r} "
                               f"became {actual.labels[index].parent!r}")
    for label, schema in expected.keypoints.items():
        index = actual.find(expected.labels[label].name)
        other = actual.keypoints.get(index) if index is not None else None
        if other is None or list(other.names) != list(schema.names) or \
                [list(e) for e in other.skeleton] != [list(e) for e in schema.skeleton]:
            note("points", f"keypoint schema of {expected.labels[label].name!r} changed")


def _compare_annotations(where: str, item: Item, cats: Categories, other: Item,
                         other_cats: Categories, note) -> None:
    left = list(other.annotations)
    pairs: list[tuple[Annotation, Annotation]] = []
    for ann in item.annotations:
        name = cats.name_of(ann.label)
        candidates = [o for o in left if o.kind == ann.kind and
                      other_cats.name_of(o.label) == name and same_geometry(ann, o)]
        if not candidates:
            note(ann.kind, f"{where}: {_describe(ann, name)} is missing or changed")
            continue
        best = next((o for o in candidates if _attribute_changes(ann, o) == []),
                    candidates[0])
        left.remove(best)
        pairs.append((ann, best))
        for change in _attribute_changes(ann, best):
            note("attributes", f"{where}: {_describe(ann, name)}: {change}")
    for extra in left:
        note(extra.kind, f"{where}: {_describe(extra, other_cats.name_of(extra.label))} "
                         f"appeared")
    _compare_groups(where, pairs, note)


def _compare_groups(where: str, pairs: list[tuple[Annotation, Annotation]], note) -> None:
    """Annotations grouped together stay together, and apart from other groups."""
    by_group: dict[int, set[int]] = {}
    for ann, got in pairs:
        if ann.group:
            by_group.setdefault(ann.group, set()).add(got.group)
    seen: dict[int, int] = {}
    for group, became in by_group.items():
        if len(became) != 1 or 0 in became or next(iter(became)) in seen:
            note("group", f"{where}: group {group} became groups {sorted(became)}")
        else:
            seen[next(iter(became))] = group


def _describe(ann: Annotation, name: str | None) -> str:
    return f"{ann.kind} #{ann.id} ({name})"


def _attribute_changes(ann: Annotation, got: Annotation) -> list[str]:
    """Each expected attribute must come back with its value and type; a missing one may
    read as its false default (``occluded: False`` omitted is still not occluded)."""
    changes = []
    for key, value in ann.attributes.items():
        if key not in got.attributes:
            if value:
                changes.append(f"{key}={value!r} is missing")
            continue
        back = got.attributes[key]
        if type(back) is not type(value) and not (
                isinstance(value, float) and type(back) is int) or back != value:
            changes.append(f"{key}={value!r} became {back!r}")
    return changes


def same_geometry(a: Annotation, b: Annotation) -> bool:
    """Whether two annotations of one kind have the same shape, within TOLERANCE."""
    if isinstance(a, Bbox):
        return _close(a.bounds(), b.bounds())  # type: ignore[attr-defined]
    if isinstance(a, (Polygon, Polyline)):
        return _close_ring(a.points, b.points, closed=isinstance(a, Polygon))  # type: ignore
    if isinstance(a, Points):
        return list(a.visibility) == list(b.visibility) and \
            _close(a.points, b.points)  # type: ignore[attr-defined]
    if isinstance(a, Ellipse):
        return _close([a.cx, a.cy, a.rx, a.ry], [b.cx, b.cy, b.rx, b.ry])  # type: ignore
    if isinstance(a, Mask):
        return _mask_iou(a.rle, b.rle) >= MIN_MASK_IOU  # type: ignore[attr-defined]
    if isinstance(a, Caption):
        return a.caption == b.caption  # type: ignore[attr-defined]
    return True


def _close(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, abs_tol=TOLERANCE)
                                    for x, y in zip(a, b))


def _close_ring(a: Sequence[float], b: Sequence[float], *, closed: bool) -> bool:
    """The same points, for a closed ring starting at any vertex and in either direction."""
    if _close(a, b) or len(a) != len(b) or not closed:
        return _close(a, b)
    pairs = [tuple(b[i:i + 2]) for i in range(0, len(b), 2)]
    for order in (pairs, pairs[::-1]):
        for shift in range(len(order)):
            turned = [v for p in order[shift:] + order[:shift] for v in p]
            if _close(a, turned):
                return True
    return False


def _mask_iou(a: dict[str, Any], b: dict[str, Any]) -> float:
    from . import masks

    if list(a.get("size", [])) != list(b.get("size", [])):
        return 0.0
    return masks.iou(masks.compress(a), masks.compress(b))
