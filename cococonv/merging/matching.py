"""When two annotations are the same object: same kind, label, attributes, geometry within
a tolerance. Ids, groups and z-order are not compared: inputs number them on their own."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import (Annotation, Bbox, Caption, Ellipse, Mask, Points, Polygon,
                     Polyline)

#: Default largest coordinate difference (pixels) two copies of one shape may have:
#: a JSON round trip through float32 tools stays well inside it.
DEFAULT_TOLERANCE = 1e-3


def _close(a: Sequence[float], b: Sequence[float], tolerance: float) -> bool:
    if len(a) != len(b):
        return False
    try:
        return all(abs(x - y) <= tolerance for x, y in zip(a, b))
    except TypeError:  # a non-numeric coordinate: only equal values match
        return list(a) == list(b)


def _geometry(ann: Annotation) -> tuple[list[Any], Any]:
    """The numbers compared within the tolerance, and what must be equal exactly."""
    if isinstance(ann, Bbox):
        return [ann.x, ann.y, ann.w, ann.h], None
    if isinstance(ann, (Polygon, Polyline)):
        return ann.points, None
    if isinstance(ann, Points):
        return ann.points, list(ann.visibility)
    if isinstance(ann, Ellipse):
        return [ann.cx, ann.cy, ann.rx, ann.ry], None
    if isinstance(ann, Mask):
        return [], ann.rle
    if isinstance(ann, Caption):
        return [], ann.caption
    return [], None


def same_annotation(a: Annotation, b: Annotation, tolerance: float = DEFAULT_TOLERANCE
                    ) -> bool:
    """True when ``b`` repeats ``a`` (labels already in one label space)."""
    if type(a) is not type(b) or a.label != b.label or a.attributes != b.attributes:
        return False
    numbers_a, exact_a = _geometry(a)
    numbers_b, exact_b = _geometry(b)
    return exact_a == exact_b and _close(numbers_a, numbers_b, tolerance)


class AnnotationIndex:
    """An item's annotations bucketed by (kind, label), to find a repeat without comparing
    every pair of an item's objects."""

    def __init__(self, annotations: Sequence[Annotation], tolerance: float):
        self.tolerance = tolerance
        self.buckets: dict[tuple[str, Any], list[Annotation]] = {}
        for ann in annotations:
            self.add(ann)

    def add(self, ann: Annotation) -> None:
        self.buckets.setdefault((ann.kind, ann.label), []).append(ann)

    def find(self, ann: Annotation, exclude: set[int]) -> Annotation | None:
        """A repeat of ``ann`` whose ``id()`` is not in ``exclude`` (already matched)."""
        for other in self.buckets.get((ann.kind, ann.label), ()):
            if id(other) not in exclude and same_annotation(other, ann, self.tolerance):
                return other
        return None
