"""`cococonv validate`: spec errors and smells of a dataset, each with its place
(cococonv.validation); exit 1 on errors, and on warnings too under --strict."""
from __future__ import annotations

from typing import Any

import click

from ..fileio import dumps_json
from ..report import plural
from ..text import printable
from ..validation import Validation, validate as run_validation, validate_project
from .group import cli
from .info import _importer_of
from .options import PluginOptionsCommand, json_option, split_plugin_values, verbosity_options
from .stats import input_options
from .transform import check_one_input

#: Findings the table lists; --json has them all.
SHOWN = 100


@cli.command(cls=PluginOptionsCommand, plugin_lookup=_importer_of)
@input_options
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--area-tolerance", type=click.FloatRange(min=0), default=None, metavar="SHARE",
              help="Share of the computed area a declared area may differ by "
                   "[default: 0.1].")
@verbosity_options
@json_option
@click.pass_context
def validate(ctx: click.Context, source: str | None, input_format: str | None,
             root: str | None, strict: bool, area_tolerance: float | None, as_json: bool,
             **plugin_values: Any) -> None:
    """Check a dataset for spec errors and smells (duplicate and dangling ids, bad boxes,
    areas, polygons and RLE, unused categories, missing images, annotation id 0, crowd
    objects without RLE), each with its place.

    Exit 0 when there is no error (and, with --strict, no warning), 1 otherwise.
    Reads -i PATH (importer options, e.g. -r/--relpath, as in `convert`) or the project
    -p DIR (its sources merged as `export` merges them).
    """
    check_one_input(source, root, input_format)
    if root is not None:
        result = validate_project(root, area_tolerance=area_tolerance)
    else:
        plugins = ctx.meta.get("cococonv.plugins", [])
        options = split_plugin_values(plugin_values, plugins)[0] if plugins else {}
        result = run_validation(source, input_format, area_tolerance=area_tolerance,
                                **options)
    if as_json:
        click.echo(dumps_json(result.as_dict(strict), indent=True).decode())
    else:
        for line in validation_lines(result, strict):
            click.echo(printable(line))
    if not result.passed(strict):
        ctx.exit(1)


def validation_lines(result: Validation, strict: bool) -> list[str]:
    """The findings as a table (the first SHOWN), then the verdict."""
    lines = []
    shown = result.findings[:SHOWN]
    if shown:
        rule_width = max(len(f.rule) for f in shown)
        for f in shown:
            place = f.place()
            lines.append(f"{f.severity:<8} {f.rule:<{rule_width}}  "
                         f"{place + ': ' if place else ''}{f.message}")
    if len(result.findings) > SHOWN:
        lines.append(f"... and {len(result.findings) - SHOWN} more (--json lists them all)")
    verdict = "passed" if result.passed(strict) else "failed"
    lines.append(f"{verdict}: {plural(result.errors, 'error')}, "
                 f"{plural(result.warnings, 'warning')}"
                 + (" (--strict: warnings fail)" if strict else ""))
    return lines
