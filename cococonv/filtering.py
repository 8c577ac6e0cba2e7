"""Keep or drop items and annotations by expressions (``cococonv filter``, the ``filter``
transform): the fields the language reads, and the pass that applies it and counts.

Order: the ``--items`` expression sees each item as read (``annotations`` is its count
before filtering), then ``--annotations`` runs on the items kept, then ``--remove-empty``
drops the items left without annotations. Every drop is counted in the report by label.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .expressions import (ANY, BOOL, NUMBER, STRING, Expression, Field, Scope,
                          compile_expression)
from .exprnodes import plain
from .model import (ANNOTATION_KINDS, Annotation, Bbox, Categories, Dataset, Ellipse, Item,
                    Mask, Points, Polygon, Polyline)
from .report import Report
from .text import printable

KIND_NAMES = tuple(kind.kind for kind in ANNOTATION_KINDS)
NO_LABEL = "(no label)"


class ItemSubject:
    """What an ``--items`` expression reads: one item (and the dataset's labels)."""

    __slots__ = ("item",)

    def __init__(self, item: Item):
        self.item = item

    def image_side(self, index: int) -> float | None:
        image = self.item.image
        return float(image.size[index]) if image is not None and image.size else None


class AnnotationSubject(ItemSubject):
    """What an ``--annotations`` expression reads: one annotation of an item; its box and
    area are computed once, on first use."""

    __slots__ = ("ann", "categories", "_box", "_area")

    def __init__(self, item: Item, categories: Categories):
        super().__init__(item)
        self.categories = categories
        self.ann: Annotation = Annotation()
        self._box: list[float] | None = None
        self._area: float | None = None

    def moveto(self, ann: Annotation) -> "AnnotationSubject":
        self.ann, self._box, self._area = ann, None, None
        return self

    def box(self, index: int) -> float | None:
        if self._box is None:
            self._box = box_of(self.ann) or [math.nan] * 4
        value = self._box[index]
        return None if math.isnan(value) else float(value)

    def area(self) -> float | None:
        if self._area is None:
            found = area_of(self.ann)
            self._area = math.nan if found is None else float(found)
        return None if math.isnan(self._area) else self._area


def box_of(ann: Annotation) -> list[float] | None:
    """``[x, y, w, h]`` of an annotation: the one its source declared, else its shape's;
    None for captions and labels (and a mask whose RLE cannot be read)."""
    if ann.declared_bbox is not None and len(ann.declared_bbox) == 4:
        return [float(v) for v in ann.declared_bbox]
    if isinstance(ann, Bbox):
        return [ann.x, ann.y, ann.w, ann.h]
    if isinstance(ann, (Polygon, Polyline, Points)):
        from .geometry import points_bbox
        return points_bbox(ann.points)
    if isinstance(ann, Ellipse):
        return [ann.cx - ann.rx, ann.cy - ann.ry, 2 * ann.rx, 2 * ann.ry]
    if isinstance(ann, Mask):
        from . import masks
        try:
            return masks.bbox(ann.rle)
        except (ValueError, TypeError, KeyError):
            return None
    return None


def area_of(ann: Annotation) -> float | None:
    """The area the source declared, else the shape's (polygon: exact; mask: pixels;
    points and lines: 0); None for captions and labels."""
    if isinstance(ann.declared_area, (int, float)) and not isinstance(ann.declared_area, bool):
        return float(ann.declared_area)
    if isinstance(ann, Bbox):
        return ann.w * ann.h
    if isinstance(ann, Polygon):
        from .geometry import shoelace_area
        return shoelace_area(ann.points)
    if isinstance(ann, (Polyline, Points)):
        return 0.0
    if isinstance(ann, Ellipse):
        return math.pi * ann.rx * ann.ry
    if isinstance(ann, Mask):
        from . import masks
        try:
            return float(masks.area(ann.rle))
        except (ValueError, TypeError, KeyError):
            return None
    return None


def _item_fields() -> dict[str, Field]:
    def item(read: Callable[[Item], Any]) -> Callable[[ItemSubject], Any]:
        return lambda subject: read(subject.item)
    return {
        "item": Field(STRING, item(lambda i: i.id), "the item's id"),
        "subset": Field(STRING, item(lambda i: i.subset), "the item's subset"),
        "image": Field(STRING, item(lambda i: i.image.name if i.image else None),
                       "the image file name (null when none)"),
        "image_width": Field(NUMBER, lambda s: s.image_side(1), "image width (null: unknown)"),
        "image_height": Field(NUMBER, lambda s: s.image_side(0),
                              "image height (null: unknown)"),
        "annotations": Field(NUMBER, item(lambda i: float(len(i.annotations))),
                             "the item's number of annotations, before filtering"),
    }


def _is_crowd(subject: AnnotationSubject) -> bool:
    value = subject.ann.attributes.get("is_crowd")
    return bool(value) if isinstance(value, (bool, int, float)) else False


def _annotation_fields() -> dict[str, Field]:
    fields = _item_fields()
    fields.update({
        "id": Field(ANY, lambda s: plain(s.ann.id), "the annotation's id"),
        "label": Field(STRING, lambda s: s.categories.name_of(s.ann.label),
                       "label name (null: unlabelled)"),
        "kind": Field(STRING, lambda s: s.ann.kind, "bbox, polygon, mask, ..."),
        "area": Field(NUMBER, lambda s: s.area(), "declared or computed area"),
        "x": Field(NUMBER, lambda s: s.box(0), "box left"),
        "y": Field(NUMBER, lambda s: s.box(1), "box top"),
        "w": Field(NUMBER, lambda s: s.box(2), "box width"),
        "h": Field(NUMBER, lambda s: s.box(3), "box height"),
        "is_crowd": Field(BOOL, _is_crowd, "COCO iscrowd"),
        "group": Field(NUMBER, lambda s: float(s.ann.group), "object group (0: none)"),
    })
    return fields


def _attribute_of_item(name: str) -> Callable[[ItemSubject], Any]:
    return lambda subject: plain(subject.item.attributes.get(name))


def _attribute_of_annotation(name: str) -> Callable[[AnnotationSubject], Any]:
    return lambda subject: plain(subject.ann.attributes.get(name))


ITEM_SCOPE = Scope("--items", {**_item_fields(), "id": _item_fields()["item"]},
                   _attribute_of_item)
ANNOTATION_SCOPE = Scope("--annotations", _annotation_fields(), _attribute_of_annotation,
                         {"kind": KIND_NAMES})


def compile_filters(items: str | None = None, annotations: str | None = None
                    ) -> tuple[Expression | None, Expression | None]:
    """Both predicates, or ExpressionError (exit 2) naming the option and the column."""
    return (compile_expression(items, ITEM_SCOPE) if items else None,
            compile_expression(annotations, ANNOTATION_SCOPE) if annotations else None)


@dataclass
class FilterResult:
    """What a filter pass kept and dropped, by label (``as_dict`` for --json)."""

    dataset: Dataset
    items_kept: int = 0
    items_dropped: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        by_label: dict[str, dict[str, Any]] = {
            label: {"kept": self.kept[label], "dropped": {}}
            for label in sorted(set(self.kept) | {label for label, _ in self.dropped})}
        for (label, why), count in sorted(self.dropped.items()):
            by_label[label]["dropped"][why] = count
        return {
            "items": {"kept": self.items_kept, "dropped": sum(self.items_dropped.values()),
                      "dropped_by_reason": dict(self.items_dropped)},
            "annotations": {"kept": sum(self.kept.values()),
                            "dropped": sum(self.dropped.values()), "by_label": by_label},
        }

    def table(self) -> str:
        data = self.as_dict()
        lines = [f"items: {data['items']['kept']} kept, {data['items']['dropped']} dropped",
                 f"annotations: {data['annotations']['kept']} kept, "
                 f"{data['annotations']['dropped']} dropped"]
        by_label = data["annotations"]["by_label"]
        if by_label:
            width = max(len("label"), *(len(printable(label)) for label in by_label))
            lines.append(f"  {'label':<{width}}  {'kept':>8}  {'dropped':>8}")
            for label, entry in by_label.items():
                lines.append(f"  {printable(label):<{width}}  {entry['kept']:>8}  "
                             f"{sum(entry['dropped'].values()):>8}")
        return "\n".join(lines)


#: Why an annotation or item went, as the report and --json name it.
BY_ANNOTATIONS = "dropped by filter --annotations"
WITH_ITEM = "their item was dropped by filter --items"
BY_ITEMS = "dropped by filter --items"
EMPTY = "left without annotations (filter --remove-empty)"


def filter_dataset(dataset: Dataset, *, items: str | None = None,
                   annotations: str | None = None, invert: bool = False,
                   remove_empty: bool = False, report: Report | None = None) -> FilterResult:
    """Keep the items and annotations the expressions match (``invert``: drop them).

    Changes ``dataset`` in place and returns it in the result with the counts; each drop
    is counted in ``report`` (``lost``), by label. ExpressionError for a bad expression.
    """
    item_expr, ann_expr = compile_filters(items, annotations)
    result = FilterResult(dataset)
    categories = dataset.categories
    if report is not None:
        _warn_unknown_labels(ann_expr, categories, report)
    keep_item = item_expr.test if item_expr is not None else None
    keep_ann = ann_expr.test if ann_expr is not None else None
    kept_items: list[Item] = []
    for item in dataset:
        if keep_item is not None and keep_item(ItemSubject(item)) is invert:
            result.items_dropped[BY_ITEMS] += 1
            for ann in item.annotations:
                result.dropped[(categories.name_of(ann.label) or NO_LABEL, WITH_ITEM)] += 1
            continue
        if keep_ann is not None:
            subject = AnnotationSubject(item, categories)
            kept_anns = []
            for ann in item.annotations:
                if keep_ann(subject.moveto(ann)) is invert:
                    result.dropped[(categories.name_of(ann.label) or NO_LABEL,
                                    BY_ANNOTATIONS)] += 1
                else:
                    kept_anns.append(ann)
            item.annotations = kept_anns
        if remove_empty and not item.annotations:
            result.items_dropped[EMPTY] += 1
            continue
        kept_items.append(item)
        for ann in item.annotations:
            result.kept[categories.name_of(ann.label) or NO_LABEL] += 1
    dataset.replace_items(kept_items)
    result.items_kept = len(kept_items)
    if report is not None:
        for why, count in result.items_dropped.items():
            report.lost("items", why, count)
        for (label, why), count in sorted(result.dropped.items()):
            report.lost(f"annotations of label {label!r}" if label != NO_LABEL
                        else "annotations without a label", why, count)
    return result


def _warn_unknown_labels(expression: Expression | None, categories: Categories,
                         report: Report) -> None:
    """A label the expression names that the dataset lacks matches nothing: a typo, or
    the wrong dataset, which the user should hear of."""
    if expression is None:
        return
    names = {label.name for label in categories.labels}
    missing = sorted(expression.mentions.get("label", set()) - names)
    if missing:
        report.warn(f"--annotations names label(s) {', '.join(repr(n) for n in missing)}, "
                    f"which the dataset does not have (labels: "
                    f"{', '.join(repr(n) for n in sorted(names)[:20]) or 'none'})")
