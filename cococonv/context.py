"""What a run hands every plugin: the report, the worker count, progress and scratch space.

One object instead of keyword arguments threaded by hand, so a new run-wide setting (a
distributed engine, a memory budget) reaches every importer, transform and exporter
without changing their signatures.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import engine
from .report import Report

T = TypeVar("T")


class Context:
    """One run's shared state. ``jobs`` is resolved: None or 0 mean one per usable CPU.

    ``namespaces`` is asked for, not given: finding every plugin's namespace loads every
    plugin, which a run pays for only when an exporter meets a key it must judge.
    """

    def __init__(self, report: Report | None = None, *, jobs: int | None = None,
                 namespaces: Callable[[], frozenset[str]] | None = None):
        self.report = report if report is not None else Report()
        self.jobs = engine.resolve_jobs(jobs)
        self._scratch: str | None = None
        self._find_namespaces = namespaces
        self._namespaces: frozenset[str] | None = None

    @classmethod
    def of(cls, given: "Context | Report | None", *, jobs: int | None = None,
           namespaces: Callable[[], frozenset[str]] | None = None) -> "Context":
        """A Context from what an API caller passed: a Context, a bare Report, or nothing.
        A given Context that has no way to find the namespaces yet takes ``namespaces``."""
        if isinstance(given, Context):
            if given._find_namespaces is None:
                given._find_namespaces = namespaces
            return given
        return cls(given, jobs=jobs, namespaces=namespaces)

    @property
    def namespaces(self) -> frozenset[str]:
        """The ``extra`` namespaces of the run's plugins (see ``Plugin.namespace``), found
        on first use; the installed plugins' when the run named no registry."""
        if self._namespaces is None:
            find = self._find_namespaces
            if find is None:
                from .registry import default_registry
                find = default_registry().namespaces
            found = find()
            self._namespaces = found if isinstance(found, frozenset) else frozenset(found)
        return self._namespaces

    def map(self, func: engine.ItemFunction, plan: Any, items: Iterable[Any], *,
            jobs: int | None = None) -> Iterator[Any]:
        """``func(plan, item)`` for each item in order, on this run's workers (or on
        ``jobs`` of them, fewer when the caller knows forking would not pay)."""
        return engine.map_items(func, plan, items, self.jobs if jobs is None else jobs,
                                note=self.report.note)

    def progress(self, iterable: Iterable[T], *, total: int | None = None,
                 desc: str = "") -> Iterator[T]:
        return self.report.progress(iterable, total=total, desc=desc)

    def scratch(self) -> str:
        """A private temporary folder for this run (created on first use, removed by
        ``close``): for parts an exporter joins at the end, never inside the output."""
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="cococonv-")
        return self._scratch

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
