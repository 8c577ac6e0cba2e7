"""`cococonv merge` as one call: inputs loaded one at a time, folded in, the result saved."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

from .api import check_named_files, check_separate, load, save
from .context import Context
from .errors import CococonvError, LossError, OptionError
from .inputs import open_tree
from .merging import DEFAULT_TOLERANCE, Merger, MergeLog
from .registry import Registry, default_registry
from .report import Report
from .staging import remove_stale_for


def merge_files(inputs: Iterable[tuple[str, str | None]], target: str, *,
                output_format: str, output_options: Mapping[str, Any] | None = None,
                mode: str = "union", on_conflict: str = "union",
                tolerance: float | None = None, overwrite: bool = False,
                report: Report | None = None, registry: Registry | None = None,
                stdout: BinaryIO | None = None, jobs: int | None = None,
                strict: bool = False) -> MergeLog:
    """``cococonv merge``: load each ``(path, format or None)`` in turn, fold it in, save.

    Returns the ``cococonv.merging.MergeLog`` (every reassignment and conflict, per-input
    counts); its ``report`` is the run's. ``strict``: as for ``api.save``; the LossError
    then carries the log as ``merge_log``, for the report of the refused run.
    """
    reg = registry if registry is not None else default_registry()
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    inputs = list(inputs)
    if len(inputs) < 2:
        raise OptionError("merge needs at least two inputs")
    exporter_cls = reg.exporter(output_format)
    exporter_cls.check_target(target)
    exporter_cls.resolve_options(dict(output_options or {}))
    merger = Merger(ctx.report, mode=mode, on_conflict=on_conflict,
                    tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance)
    for path, _fmt in inputs:
        check_separate(path, target)
    remove_stale_for(target)
    for path, fmt in inputs:
        try:
            tree = open_tree(path)
            dataset = load(tree, fmt, report=ctx, registry=reg)
        except CococonvError as err:
            raise err.located(file=path)
        check_separate(path, target, reads=tree.read_folders())
        check_named_files(path, target, dataset, overwrite=overwrite)
        merger.add(dataset, path)
        del dataset  # the next input loads in the memory this one held
    ctx.report.dataset = merger.finish()
    try:
        save(ctx.report.dataset, output_format, target, overwrite=overwrite, report=ctx,
             registry=reg, stdout=stdout, strict=strict, **dict(output_options or {}))
    except LossError as err:
        err.merge_log = merger.log  # type: ignore[attr-defined]
        raise
    return merger.log
