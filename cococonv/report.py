"""The run report: the --on-error policy, warnings, and the ledger of losses and repairs."""
from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from .errors import CococonvError, DataError, LossError, shorten
from .text import printable

T = TypeVar("T")

ON_ERROR_CHOICES = ("fail", "skip", "warn")


class Report:
    """Collects what a run dropped, approximated or skipped, and applies --on-error.

    Importers and exporters call :meth:`bad_record` for a record they cannot read,
    :meth:`lost` for what the target cannot hold, :meth:`approximated` for a faithful but
    changed conversion, and :meth:`warn` for anything a user should read.
    """

    def __init__(self, on_error: str = "fail", *, quiet: bool = False, verbose: bool = False,
                 progress: bool | None = None):
        if on_error not in ON_ERROR_CHOICES:
            raise ValueError(on_error)
        self.on_error = on_error
        self.quiet = quiet
        self.verbose = verbose
        self.progress_enabled = progress
        self.losses: Counter[tuple[str, str]] = Counter()
        self.approximations: Counter[tuple[str, str]] = Counter()
        self.skipped: list[str] = []
        self.warnings: list[str] = []
        #: What a user may want to know of how the run went (not of the data): items
        #: the workers failed and this process redid; printed under -v.
        self.notes: list[str] = []
        #: The dataset as written, set by api.convert and api.export_project.
        self.dataset: Any = None
        #: What the run wrote (``Written``), set by api.save once the output is complete.
        self.written: Written | None = None

    def bad_record(self, error: CococonvError) -> None:
        """Raise under ``fail``; otherwise count the record as skipped (and say so under warn)."""
        if self.on_error == "fail":
            raise error
        self.skipped.append(str(error))
        if self.on_error == "warn":
            self.warn(f"skipped: {error}")

    def lost(self, what: str, why: str, count: int = 1) -> None:
        """Record that ``count`` of ``what`` could not be carried to the output."""
        if count:
            self.losses[(what, why)] += count

    def approximated(self, what: str, how: str, count: int = 1) -> None:
        """Record a conversion that changed a value's form (ellipse -> polygon, ...)."""
        if count:
            self.approximations[(what, how)] += count

    def warn(self, message: str) -> None:
        message = shorten(message)
        self.warnings.append(message)
        if not self.quiet:
            print(f"warning: {printable(message)}", file=sys.stderr)

    def note(self, message: str) -> None:
        """Keep ``message`` for the run report (``notes``) and print it under -v."""
        message = shorten(message)
        self.notes.append(message)
        self.info(message)

    def info(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(printable(message), file=sys.stderr)

    def progress(self, iterable: Iterable[T], *, total: int | None = None,
                 desc: str = "") -> Iterator[T]:
        """Wrap long work in a tqdm bar, shown only on a terminal and never under -q."""
        enabled = self.progress_enabled
        if enabled is None:
            enabled = sys.stderr.isatty()
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        if not enabled or self.quiet or (total is not None and total < 1000):
            return iter(iterable)
        from tqdm import tqdm
        return iter(tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False))

    @property
    def has_losses(self) -> bool:
        return bool(self.losses or self.approximations or self.skipped)

    @property
    def lost_anything(self) -> bool:
        """Whether a value or a record did not reach the output (what ``--strict`` refuses);
        an approximation changed a value's form but kept it."""
        return bool(self.losses or self.skipped)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "lost": [{"what": w, "why": y, "count": c} for (w, y), c in self.losses.items()],
            "approximated": [{"what": w, "how": h, "count": c}
                             for (w, h), c in self.approximations.items()],
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
        }
        if self.notes:
            data["notes"] = list(self.notes)
        if self.written is not None:
            data["written"] = self.written.as_dict()
        return data

    def table(self) -> str:
        """The end-of-run table of what was dropped or changed, for stderr."""
        rows = [("lost", w, c, y) for (w, y), c in self.losses.items()]
        rows += [("approximated", w, c, h) for (w, h), c in self.approximations.items()]
        if self.skipped:
            rows.append(("skipped", "bad records", len(self.skipped), "--on-error " + self.on_error))
        if not rows:
            return ""
        width = max(len(r[1]) for r in rows)
        lines = ["conversion report:"]
        for status, what, count, why in rows:
            lines.append(printable(f"  {status:<12} {what:<{width}}  {count:>7}  {why}"))
        return "\n".join(lines)


class Written:
    """What a run wrote: the items and annotations it handed the exporter (those the
    exporter could not hold are the report's ``lost`` rows) and the files it made."""

    __slots__ = ("items", "annotations", "files", "target")

    def __init__(self, items: int | None, annotations: int | None, files: int, target: str):
        self.items = items
        self.annotations = annotations
        self.files = files
        self.target = target

    @classmethod
    def of(cls, dataset: Any, folder: str, target: str) -> "Written":
        """Counted from the dataset the exporter was given (an in-memory Dataset, or a
        stream that counted its last walk as ``counted``: else they stay None, a stream is
        not read again for them) and the files in its finished folder."""
        items = annotations = None
        counted = getattr(dataset, "counted", None)  # a stream's last whole walk
        if counted is not None:
            items, annotations = counted
        elif hasattr(dataset, "__len__"):
            items = annotations = 0
            for item in dataset:
                items += 1
                annotations += len(item.annotations)
        files = sum(len(names) for _dir, _dirs, names in os.walk(folder))
        return cls(items, annotations, files, target)

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "annotations": self.annotations, "files": self.files,
                "target": self.target}

    def line(self) -> str:
        """``wrote 2 items, 14 annotations, 5 files to OUT`` (the end of a run, on stderr)."""
        counts = [plural(n, noun) for n, noun in ((self.items, "item"),
                                                   (self.annotations, "annotation"))
                  if n is not None]
        counts.append(plural(self.files, "file"))
        where = "the standard output" if self.target == "-" else self.target
        return printable(f"wrote {', '.join(counts)} to {where}")


#: A tally row: ("lost" or "approximated", what, why or how).
Row = tuple[str, str, str]


def replay_tally(report: Report, counts: Mapping[Any, int],
                 table: Mapping[Any, Row] | None = None) -> None:
    """Add counts that workers tallied (they cannot reach the run's Report) to ``report``,
    in the counts' order. A key is a ``Row``, or a code that ``table`` maps to one; a
    status other than lost/approximated is a bug in the plugin, so it raises."""
    for key, count in counts.items():
        status, what, why = key if table is None else table[key]
        if status == "lost":
            report.lost(what, why, count)
        elif status == "approximated":
            report.approximated(what, why, count)
        else:
            raise ValueError(f"tally status {status!r} (expected 'lost' or 'approximated')")


def plural(count: int, noun: str) -> str:
    """``1 item``, ``2 items``: the counts of the end-of-run lines."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_strict(report: Report) -> None:
    """``--strict``: raise LossError when the run lost anything, before its output is moved
    into place, so a refused run leaves no output."""
    if report.lost_anything:
        count = sum(report.losses.values()) + len(report.skipped)
        raise LossError(f"--strict: the run lost {count} value{'' if count == 1 else 's'} or "
                        f"records (see the report); nothing was written")


def ensure_data(condition: bool, message: str, *, file: str | None = None,
                where: str | None = None) -> None:
    """Raise a DataError unless ``condition`` holds (never an ``assert``: -O removes those)."""
    if not condition:
        raise DataError(message, file=file, where=where)
