"""A stream made of a Dataset for the exporter tests: it counts its walks and never hands
out its list, and one helper that saves a source and returns what a run shows."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from cococonv import api
from cococonv.errors import CococonvError
from cococonv.model import Dataset
from cococonv.report import Report


class Walks:
    """A Source over a list, counting its walks; each walk gives fresh item copies, as a
    streaming reader does."""

    def __init__(self, dataset: Dataset):
        self.categories, self.meta = dataset.categories, dataset.meta
        self._items = list(dataset)
        self.walks = 0

    def __iter__(self):
        self.walks += 1
        for item in self._items:
            yield replace(item, annotations=list(item.annotations))


def saved(source: Any, fmt: str, out: Path, on_error: str, jobs: int = 1,
          **options: Any) -> tuple:
    """The files written (or the error line), the warnings, losses, approximations and
    skipped records of one save."""
    report = Report(on_error, quiet=True)
    try:
        api.save(source, fmt, str(out), report=report, jobs=jobs, **options)
    except CococonvError as err:
        return str(err), report.warnings
    files = {os.path.relpath(os.path.join(d, n), out): Path(d, n).read_bytes()
             for d, _dirs, names in os.walk(out) for n in names}
    return (files, report.warnings, list(report.losses.items()),
            list(report.approximations.items()), sorted(report.skipped))
