"""Merging datasets: labels unified by name, items matched by (subset, image file name),
clashing ids reassigned and logged, conflicts settled by a policy, repeats kept once.

``Merger`` folds inputs one at a time (``add``, then ``finish``); ``merge_datasets`` is
the one-call form. ``MergeLog`` lists every reassignment and conflict.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..model import Dataset, Source
from ..report import Report
from .log import InputSummary, MergeLog
from .matching import DEFAULT_TOLERANCE, same_annotation
from .merger import MODES, ON_CONFLICT, Merger, item_key

__all__ = ["DEFAULT_TOLERANCE", "InputSummary", "MODES", "MergeLog", "Merger", "ON_CONFLICT",
           "item_key", "merge_datasets", "same_annotation"]


def merge_datasets(datasets: Iterable[Source], report: Report | None = None, *,
                   names: Iterable[str] | None = None, mode: str = "union",
                   on_conflict: str = "union", tolerance: float = DEFAULT_TOLERANCE
                   ) -> tuple[Dataset, MergeLog]:
    """Merge ``datasets`` (consumed one at a time) and say what changed."""
    merger = Merger(report, mode=mode, on_conflict=on_conflict, tolerance=tolerance)
    given = list(names) if names is not None else []
    index = 0
    for dataset in datasets:  # no enumerate: its cached tuple would hold the last input
        merger.add(dataset, given[index] if index < len(given) else None)
        del dataset  # not held while the next input loads
        index += 1
    return merger.finish(), merger.log
