"""COCO keypoint triplets read into ``Points``; a set longer or shorter than its schema is kept.

A ``keypoints`` list is flat ``x, y, v`` triplets (v: 0 absent, 1 occluded, 2 visible). Real
exports do not always give every category's declared names one triplet each: a dataset may
store 17 body points while its category names 21, keeping the rest under another key. Such
sets are kept as given (the extra key stays in ``extra``) and counted, once per category,
in one warning at the end of the file; exporters report what their format cannot hold.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Categories
from cococonv.report import Report

_NUMBER_TYPES = frozenset((int, float))
_VISIBILITY = frozenset((0, 1, 2))


class KeypointReader:
    """Checks the keypoints of one file's records and tallies length mismatches per label."""

    __slots__ = ("categories", "error", "mismatched")

    def __init__(self, categories: Categories, error: Callable[[str, str], DataError]):
        self.categories = categories
        self.error = error
        # label index -> Counter of point counts that differ from its schema's names
        self.mismatched: dict[int, Counter[int]] = {}

    def read(self, keypoints: Any, label: int | None, i: int) -> tuple[list, list]:
        """``(points, visibility)`` of one record's ``keypoints`` (flat x/y, one v each).

        Raises DataError for what is no keypoint list at all: not numbers, not triplets, or a
        visibility other than 0, 1 or 2.
        """
        if (type(keypoints) is not list or len(keypoints) % 3
                or not set(map(type, keypoints)) <= _NUMBER_TYPES):
            raise self.error("expected a flat list of x, y, v triplets",
                             f"annotations[{i}].keypoints")
        visibility = keypoints[2::3]
        if not set(visibility) <= _VISIBILITY:
            bad = next(v for v in visibility if v not in _VISIBILITY)
            raise self.error(f"visibility must be 0, 1 or 2, got {bad!r}",
                             f"annotations[{i}].keypoints")
        if label is not None:
            schema = self.categories.keypoints.get(label)
            count = len(keypoints) // 3
            if schema is not None and schema.names and len(schema.names) != count:
                self.mismatched.setdefault(label, Counter())[count] += 1
        points = [c for k, c in enumerate(keypoints) if k % 3 != 2]
        return points, visibility

    def warn(self, report: Report, display: str) -> None:
        """One warning per category whose sets did not match its names (then forget them)."""
        for label, counts in self.mismatched.items():
            names = len(self.categories.keypoints[label].names)
            total = sum(counts.values())
            held = " or ".join(str(n) for n in sorted(counts))
            report.warn(f"{display}: category {self.categories.labels[label].name!r} names "
                        f"{names} keypoints, but {total} annotation"
                        f"{'s' if total != 1 else ''} hold {held}; kept as given")
        self.mismatched.clear()
