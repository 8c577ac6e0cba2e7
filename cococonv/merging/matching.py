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
    """An item's annotations bucketed by kind, label and a grid cell of their first two
    coordinates (cells as wide as the tolerance, so a repeat is in the same cell or a
    neighbour): finding repeats costs about one comparison per annotation, not one per
    pair, even on an item with thousands of objects. Each annotation is found once."""

    def __init__(self, annotations: Sequence[Annotation], tolerance: float):
        self.tolerance = tolerance
        self.cell = max(tolerance, 1e-9)
        self.buckets: dict[tuple[Any, ...], list[Annotation]] = {}
        for ann in annotations:
            key = self._key(ann)
            self.buckets.setdefault(key[0] + key[1], []).append(ann)

    def _key(self, ann: Annotation) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(kind, label, exact part) and the grid cell (empty without two coordinates)."""
        numbers, exact = _geometry(ann)
        head = (ann.kind, ann.label, _hashable(exact))
        try:
            return head, (int(numbers[0] // self.cell), int(numbers[1] // self.cell))
        except (IndexError, TypeError, ValueError, OverflowError):  # few, odd or no numbers
            return head, ()

    def pop(self, ann: Annotation) -> Annotation | None:
        """Remove and return a repeat of ``ann``, or None."""
        head, cell = self._key(ann)
        cells = [()] if not cell else [(cell[0] + dx, cell[1] + dy)
                                       for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        for near in cells:
            bucket = self.buckets.get(head + near)
            for i, other in enumerate(bucket or ()):
                if same_annotation(other, ann, self.tolerance):
                    bucket[i] = bucket[-1]  # order inside a bucket does not matter
                    bucket.pop()
                    return other
        return None


def _hashable(value: Any) -> Any:
    """A hashable stand-in for an exact-compared value (mask RLE, visibility)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
