"""`cococonv merge A[:FMT] B[:FMT] ... -o OUT -f FMT`: many datasets into one."""
from __future__ import annotations

import os
from collections import Counter
from typing import Any

import click

from ..mergefiles import merge_files
from ..merging import MODES, ON_CONFLICT, MergeLog
from ..registry import default_registry
from ..text import printable
from .group import cli
from ..errors import LossError
from .options import (PluginOptionsCommand, check_report_file, jobs_option, json_option,
                      make_report, on_error_option, overwrite_option, render_report,
                      report_options, split_plugin_values, verbosity_options, write_report)
from .project import _exporter_of


def split_input(arg: str) -> tuple[str, str | None]:
    """``path:fmt`` when the tail names an importer and ``path:fmt`` is no existing file;
    anything else is a path whose format is detected."""
    path, sep, fmt = arg.rpartition(":")
    if sep and path and not os.path.exists(arg) and default_registry().has("importer", fmt):
        return path, fmt
    return arg, None


@cli.command(cls=PluginOptionsCommand, plugin_lookup=_exporter_of)
@click.argument("inputs", nargs=-1, required=True, metavar="A[:FMT] B[:FMT] ...")
@click.option("-o", "--output", "target", required=True, metavar="PATH",
              help="Output folder, .zip or tar archive, single file, or - for stdout.")
@click.option("-f", "--format", "output_format", required=True, metavar="FMT",
              help="Output format.")
@click.option("--mode", type=click.Choice(MODES), default="union", show_default=True,
              help="union: every item; intersect: only items every input holds; exact: "
                   "fail unless every input holds the same items.")
@click.option("--on-conflict", type=click.Choice(ON_CONFLICT), default="union",
              show_default=True,
              help="For an item inputs give different image sizes or annotations (and a "
                   "label with different keypoint schemas): fail, keep the first input's, "
                   "the last one's, or combine the annotations (first size and schema).")
@click.option("--tolerance", type=click.FloatRange(min=0), default=None, metavar="PX",
              help="Largest coordinate difference of two annotations taken as one "
                   "[default: 0.001].")
@overwrite_option
@on_error_option
@jobs_option
@verbosity_options
@json_option
@report_options
@click.pass_context
def merge(ctx: click.Context, inputs: tuple[str, ...], target: str, output_format: str,
          mode: str, on_conflict: str, tolerance: float | None, overwrite: bool,
          on_error: str, jobs: int | None, as_json: bool, report_file: str | None,
          strict: bool, **plugin_values: Any) -> None:
    """Merge datasets into one: labels by name, items by subset and file name.

    \b
    Example:
      cococonv merge coco_a b.json:coco_instances task.zip:cvat -f coco -o merged
    Clashing image, annotation and category ids are reassigned and each is counted (-v or
    --json lists them); identical annotations are kept once.
    """
    if as_json and target == "-":
        raise click.UsageError("--json prints the report on stdout, which -o - already uses "
                               "for the data; write the data to a file")
    if len(inputs) < 2:
        raise click.UsageError("merge needs at least two inputs")
    check_report_file(report_file, target)
    plugins = ctx.meta.get("cococonv.plugins", [])
    options = split_plugin_values(plugin_values, plugins)[0] if plugins else {}
    report = make_report(ctx, on_error)
    try:
        log = merge_files([split_input(arg) for arg in inputs], target,
                          output_format=output_format, output_options=options, mode=mode,
                          on_conflict=on_conflict, tolerance=tolerance, overwrite=overwrite,
                          report=report, jobs=jobs, strict=strict)
    except LossError as err:
        _show(err.merge_log, report, target, as_json, report_file)  # type: ignore[attr-defined]
        raise
    _show(log, report, target, as_json, report_file)


def _show(log: MergeLog, report: Any, target: str, as_json: bool,
          report_file: str | None) -> None:
    """The merge table and the report on stderr; the whole as JSON on stdout (--json)
    and in --report FILE."""
    totals = _totals(report.dataset)
    if as_json or report_file:
        from ..fileio import dumps_json
        data = dumps_json({"merged": totals, **log.as_dict(), **report.as_dict()})
        if report_file:
            write_report(report_file, data)
        if as_json:
            click.echo(data.decode())
    if not report.quiet:
        click.echo(_table(log, totals, target), err=True)
    render_report(report, False)


def _totals(dataset: Any) -> dict[str, Any]:
    return {"items": len(dataset),
            "annotations": sum(len(item.annotations) for item in dataset),
            "labels": sum(1 for label in dataset.categories.labels if not label.placeholder)}


def _table(log: MergeLog, totals: dict[str, Any], target: str) -> str:
    rows = [("input", "items", "matched", "annotations added", "repeats")]
    rows += [(s.name, str(s.items), str(s.matched), str(s.annotations), str(s.duplicates))
             for s in log.inputs]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"merged {len(log.inputs)} inputs into {target}: {totals['items']} items, "
             f"{totals['annotations']} annotations, {totals['labels']} labels"]
    lines += ["  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths)))
              for row in rows]
    reassigned = Counter(entry[0] for entry in log.reassignments)
    if reassigned:
        lines.append("reassigned: " + ", ".join(f"{what}s {n}" for what, n in
                                                reassigned.items())
                     + " (-v or --json lists each)")
    conflicts = Counter((entry[0], entry[5]) for entry in log.conflicts)
    for (what, resolution), n in conflicts.items():
        lines.append(f"conflicts: {what} {n} ({resolution})")
    return "\n".join(printable(line) for line in lines)
