"""What one item's export dropped, changed or warned about, kept for the report.

Workers cannot touch the run's Report; they fill a Tally, and the finish replays the tallies
in the order the pre-split exporter reported them (subset, then task, then item), so the
report's entries keep their order.
"""
from __future__ import annotations

from cococonv.report import Report


class Tally:
    """Counts keyed like Report's, in first-seen order, and warnings in order."""

    __slots__ = ("lost_counts", "approx_counts", "warnings")

    def __init__(self) -> None:
        self.lost_counts: dict[tuple[str, str], int] = {}
        self.approx_counts: dict[tuple[str, str], int] = {}
        self.warnings: list[str] = []

    def lost(self, what: str, why: str, count: int = 1) -> None:
        if count:
            key = (what, why)
            self.lost_counts[key] = self.lost_counts.get(key, 0) + count

    def approximated(self, what: str, how: str, count: int = 1) -> None:
        if count:
            key = (what, how)
            self.approx_counts[key] = self.approx_counts.get(key, 0) + count

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def __bool__(self) -> bool:
        return bool(self.lost_counts or self.approx_counts or self.warnings)

    def add(self, other: "Tally") -> None:
        for key, count in other.lost_counts.items():
            self.lost_counts[key] = self.lost_counts.get(key, 0) + count
        for key, count in other.approx_counts.items():
            self.approx_counts[key] = self.approx_counts.get(key, 0) + count
        self.warnings += other.warnings

    def replay(self, report: Report) -> None:
        for (what, why), count in self.lost_counts.items():
            report.lost(what, why, count)
        for (what, how), count in self.approx_counts.items():
            report.approximated(what, how, count)
        for message in self.warnings:
            report.warn(message)
