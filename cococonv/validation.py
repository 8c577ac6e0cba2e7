"""Dataset validation (``cococonv validate``): spec errors and smells, each with its place.

Two sources of findings, so a defect is seen rather than crashed on:

- the importer: the input is read under a collecting report (``--on-error skip``), so
  every record the importer refuses (a COCO box of negative size, a polygon under three
  points, an RLE whose size or counts are wrong, an annotation of an unknown image or
  category, an image id used twice) becomes an *error* at the file and JSON path the
  importer names, and every repair it made (text ``iscrowd``, flat rings) or warning it
  gave becomes a *warning*. The format's own reader stays the one authority on what the
  format allows; validate does not parse the files a second way.
- the model rules (cococonv.validation_rules): what the importer keeps but the data
  should not hold, checked on the loaded dataset for every format.

A file that cannot be read at all (bad JSON, no annotation file) is one error finding; an
input path that is not there is an error of the command, as for every other command.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import CococonvError, DataError
from .findings import ERROR, WARNING, Finding
from .model import Dataset
from .registry import Registry
from .report import Report

__all__ = ["ERROR", "WARNING", "CollectingReport", "Finding", "Validation", "import_findings",
           "validate", "validate_dataset", "validate_project"]

@dataclass(slots=True)
class Validation:
    """The findings of one validation, in the order found."""

    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def passed(self, strict: bool = False) -> bool:
        """No errors (and, when ``strict``, no warnings either)."""
        return not self.errors and not (strict and self.warnings)

    def as_dict(self, strict: bool = False) -> dict[str, Any]:
        rules: dict[str, int] = {}
        for finding in self.findings:
            rules[finding.rule] = rules.get(finding.rule, 0) + 1
        return {"passed": self.passed(strict), "strict": strict, "errors": self.errors,
                "warnings": self.warnings, "rules": rules,
                "findings": [f.as_dict() for f in self.findings]}


class CollectingReport(Report):
    """A quiet ``skip`` report that keeps each refused record's error whole (file, place
    and message), not only its text."""

    def __init__(self) -> None:
        super().__init__("skip", quiet=True)
        self.refused: list[CococonvError] = []

    def bad_record(self, error: CococonvError) -> None:
        self.refused.append(error)
        super().bad_record(error)


def validate(path: str, format: str | None = None, *, registry: Registry | None = None,
             area_tolerance: float | None = None, **options: Any) -> Validation:
    """Read ``path`` (format detected unless given; importer ``options`` as for
    ``api.load``) and check it: what the importer refused or repaired, then the model
    rules. Never raises for defects of the data; an input that is not there, or an
    unusable command line, still raises."""
    from . import api
    from .inputs import open_tree
    tree = open_tree(path)  # a path that is not there is the command line's fault: raised
    return _validated(lambda report: api.load(tree, format, report=report, registry=registry,
                                              jobs=1, **options), path, area_tolerance)


def validate_project(root: str, *, registry: Registry | None = None,
                     area_tolerance: float | None = None) -> Validation:
    """``validate`` for a project folder: its sources read and merged as ``export``
    merges them (what the merge reassigned or dropped is a warning too). A folder that
    is no project raises, as a missing input does."""
    from . import api
    from .project import open_project
    open_project(root)
    return _validated(lambda report: api.load_project(root, report=report, registry=registry,
                                                      jobs=1), root, area_tolerance)


def _validated(read: Callable[[CollectingReport], Dataset], path: str,
               area_tolerance: float | None) -> Validation:
    report = CollectingReport()
    try:
        dataset = read(report)
    except DataError as err:
        findings = import_findings(report)
        findings.append(Finding("unreadable", ERROR, err.message, file=err.file or path,
                                where=err.where))
        return Validation(findings)
    return Validation(import_findings(report) + validate_dataset(dataset, area_tolerance))


def validate_dataset(dataset: Dataset, area_tolerance: float | None = None) -> list[Finding]:
    """The model rules over a loaded dataset (cococonv.validation_rules)."""
    from .validation_rules import DEFAULT_AREA_TOLERANCE, check_dataset
    tolerance = DEFAULT_AREA_TOLERANCE if area_tolerance is None else area_tolerance
    return check_dataset(dataset, tolerance)


def import_findings(report: CollectingReport) -> list[Finding]:
    """Refused records as errors, the importer's repairs and warnings as warnings."""
    found = [Finding("refused-record", ERROR, err.message, file=err.file, where=err.where)
             for err in report.refused]
    found += [Finding("repaired-on-import", WARNING, f"{count} {what}: {how}")
              for (what, how), count in report.approximations.items()]
    found += [Finding("lost-on-import", WARNING, f"{count} {what}: {why}")
              for (what, why), count in report.losses.items()]
    found += [Finding("import-warning", WARNING, text) for text in report.warnings]
    return found
