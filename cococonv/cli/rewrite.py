"""What `filter` and `split` share: read a dataset, change it with one step, write it.

The run goes through ``api.convert``, or ``api.export_project`` for -p (their checks of input and output paths, the atomic
write), with the step as a function so the command keeps the step's result for its table.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .. import api
from ..expressions import ExpressionError
from ..plugin import Plugin
from ..report import Report
from .options import (PluginOptionsCommand, check_report_file, jobs_option, json_option,
                      make_report, on_error_option, overwrite_option, report_options,
                      split_plugin_values, verbosity_options)
from .transform import check_one_input, input_or_project_plugins, project_output_format


def in_out_options(func: Callable) -> Callable:
    """-i/-if or -p, -o/-f and the options of every command that reads and writes a
    dataset."""
    for decorate in (report_options, json_option, verbosity_options, jobs_option,
                     on_error_option, overwrite_option):
        func = decorate(func)
    func = click.option("-f", "--format", "--output-format", "output_format", metavar="FMT",
                        help="Output format (default: the input's).")(func)
    func = click.option("-o", "--output", "target", required=True, metavar="PATH",
                        help="Output folder, .zip, single .json/.xml file, or - for stdout."
                        )(func)
    func = click.option("-p", "--project", "root", metavar="DIR",
                        help="Project folder whose sources, merged, are read (instead of -i)."
                        )(func)
    func = click.option("-if", "--input-format", "input_format", metavar="FMT",
                        help="Input format (default: detected).")(func)
    return click.option("-i", "--input", "source", metavar="PATH",
                        help="Dataset folder, .zip, single annotation file, or - for stdin."
                        )(func)


COMMAND = {"cls": PluginOptionsCommand, "plugin_lookup": input_or_project_plugins,
           "context_settings": {"help_option_names": ["-h", "--help"]}}


IO_NAMES = ("source", "input_format", "root", "target", "output_format", "overwrite", "on_error",
            "jobs", "as_json", "report_file", "strict")


def split_io(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of ``in_out_options``, and the rest (the plugins' options)."""
    return ({name: values.pop(name) for name in IO_NAMES}, values)


def fail_on_expression(ctx: click.Context, error: ExpressionError) -> None:
    """The error line, then the expression with a caret under the column; exit 2."""
    click.echo(f"error: {error}", err=True)
    click.echo(error.caret(), err=True)
    ctx.exit(error.exit_code)


def run(ctx: click.Context, io: dict[str, Any], plugin_values: dict[str, Any],
        step: Callable[[Any, Report], Any]) -> None:
    """Import, apply ``step(dataset, report)`` (it returns a result with ``dataset``,
    ``as_dict()`` and ``table()``), export, then print the result. ``io`` holds the
    command's source, input_format, root, target, output_format, overwrite, on_error, jobs,
    as_json, report_file and strict; the format defaults to the input's. A run --strict
    refuses still prints its result and writes --report FILE, to say why."""
    from ..errors import LossError

    source, root, target, as_json = io["source"], io["root"], io["target"], io["as_json"]
    check_one_input(source, root)
    if as_json and target == "-":
        raise click.UsageError("--json prints on stdout, which -o - already uses for the "
                               "data; write the data to a file")
    check_report_file(io["report_file"], target, source or root)
    plugins: list[type[Plugin]] = ctx.meta.get("cococonv.plugins", [])
    by_kind: dict[str, dict[str, Any]] = {"importer": {}, "exporter": {}, "transform": {}}
    for plugin, given in zip(plugins, split_plugin_values(plugin_values, plugins)):
        by_kind[plugin.kind].update(given)
    if sum(plugin.kind == "importer" for plugin in plugins) > 1:
        for name in by_kind["exporter"]:  # as in convert: a shared option is the exporter's
            by_kind["importer"].pop(name, None)
    input_format = io["input_format"]
    if root is not None:
        output_format = project_output_format(root, input_format, io["output_format"])
    else:
        output_format = io["output_format"] or input_format or _detected(source)
    results: list[Any] = []

    def apply(dataset: Any, run_ctx: Any) -> Any:
        results.append(step(dataset, run_ctx.report))
        return results[-1].dataset

    report = make_report(ctx, io["on_error"])
    common = {"overwrite": io["overwrite"], "report": report, "jobs": io["jobs"],
              "strict": io["strict"], "transforms": [apply]}
    try:
        if root is not None:
            api.export_project(root, output_format, target, **common, **by_kind["exporter"])
        else:
            api.convert(source, target, input_format=input_format,
                        output_format=output_format, input_options=by_kind["importer"],
                        output_options=by_kind["exporter"], **common)
    except LossError:
        _render(report, results[0], as_json, io["report_file"])
        raise
    _render(report, results[0], as_json, io["report_file"])


def _detected(source: str) -> str:
    matches = api.detect(source) if source != "-" else []
    if not matches:
        raise click.UsageError("give the output format with -f (the input's format is not "
                               "known)")
    return matches[0][0]


def _render(report: Report, result: Any, as_json: bool, report_file: str | None) -> None:
    """The command's table on stderr then the loss report; with --json (on stdout) and
    --report FILE, one document holding both."""
    from ..fileio import dumps_json
    from .options import _KEPT, write_report

    _KEPT.append(report)
    data = dumps_json({**result.as_dict(), "report": report.as_dict()}, indent=True)
    if report_file:
        write_report(report_file, data)
    if as_json:
        click.echo(data.decode())
    if not report.quiet:
        click.echo(result.table(), err=True)
        if report.table():
            click.echo(report.table(), err=True)
