"""What a merge changed: every id it reassigned, every conflict it settled, per input."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError
from ..report import Report

#: Report rows (what, how) for each kind of reassignment, so the table counts them.
REASSIGNED = {
    "image id": ("image ids", "reassigned: clashing with an earlier input's, or the item's "
                 "id in an earlier input"),
    "annotation id": ("annotation ids", "reassigned: used by an earlier input"),
    "category id": ("category ids", "reassigned: clashing with an earlier input's, or the "
                    "label's id in an earlier input"),
    "item id": ("item ids", "renamed: another file of the subset has it in an earlier input"),
}


@dataclass(slots=True)
class InputSummary:
    """One input's part in the merge."""

    name: str
    items: int = 0
    matched: int = 0
    annotations: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"input": self.name, "items": self.items, "matched_items": self.matched,
                "annotations": self.annotations, "duplicate_annotations": self.duplicates}


@dataclass
class MergeLog:
    """Reassignments ``(what, input, subset, item or label, old, new)`` and conflicts
    ``(what, input, subset, item or label, detail, resolution)``, in the order made."""

    report: Report
    reassignments: list[tuple[str, str, str, str, Any, Any]] = field(default_factory=list)
    conflicts: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    inputs: list[InputSummary] = field(default_factory=list)

    def reassigned(self, what: str, source: str, subset: str, name: str,
                   old: Any, new: Any) -> None:
        self.reassignments.append((what, source, subset, name, old, new))
        row, how = REASSIGNED[what]
        self.report.approximated(row, how)
        self.report.info(f"{source}: {_place(subset, name)}: {what} {old!r} -> {new!r}")

    def conflict(self, what: str, source: str, subset: str, name: str, detail: str,
                 resolution: str) -> None:
        self.conflicts.append((what, source, subset, name, detail, resolution))
        self.report.approximated(f"{what} differing between inputs", resolution)
        self.report.info(f"{source}: {_place(subset, name)}: {what}: {detail}; {resolution}")

    def settle(self, what: str, policy: str, place: tuple[str, str], earlier: str,
               source: str, detail: str, *, union: str) -> str:
        """Apply ``--on-conflict`` to one conflict: raise under ``fail``, else log it and
        return what is kept (``union`` says what that policy keeps for this ``what``)."""
        if policy == "fail":
            raise DataError(f"{_place(*place)}: {what} differs between {earlier} and "
                            f"{source} ({detail}); choose with --on-conflict "
                            f"first|last|union")
        resolution = {"first": "the earliest input's kept", "last": "the later input's kept",
                      "union": union}[policy]
        self.conflict(what, source, place[0], place[1], detail, resolution)
        return resolution

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": [summary.as_dict() for summary in self.inputs],
            "reassignments": [{"what": what, "input": source, "subset": subset, "name": name,
                               "from": old, "to": new}
                              for what, source, subset, name, old, new in self.reassignments],
            "conflicts": [{"what": what, "input": source, "subset": subset, "name": name,
                           "detail": detail, "resolution": resolution}
                          for what, source, subset, name, detail, resolution
                          in self.conflicts],
        }


def _place(subset: str, name: str) -> str:
    """An item as ``subset/file``; a label (no subset) as ``label 'name'``."""
    return f"{subset}/{name}" if subset else f"label {name!r}"
