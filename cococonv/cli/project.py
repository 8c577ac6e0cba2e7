"""`cococonv create`, `import` and `export`: work through a project folder."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..merging import ON_CONFLICT
from ..plugin import Plugin
from ..project import create_project
from ..registry import default_registry
from ..text import printable
from .group import cli
from .options import (PluginOptionsCommand, check_report_file, exporter_side, jobs_option,
                      make_report, overwrite_option, peek, refuse_json_to_stdout,
                      report_options, route_values, run_options, run_reported,
                      split_plugin_values, transforms_in, verbosity_options)


@cli.command()
@click.option("-o", "--output", "root", required=True, metavar="DIR",
              help="Project folder to create.")
@overwrite_option
def create(root: str, overwrite: bool) -> None:
    """Create an empty project folder."""
    create_project(root, overwrite=overwrite)
    click.echo(printable(f"created project {root}"), err=True)


def _importer_of(args: list[str]) -> list[type[Plugin]]:
    name = peek(args, "-f", "--format")
    registry = default_registry()
    return [registry.importer(name)] if registry.has("importer", name) else []


@cli.command("import", cls=PluginOptionsCommand, plugin_lookup=_importer_of)
@click.option("-p", "--project", "root", default=".", show_default=True, metavar="DIR",
              help="Project folder.")
@click.option("-f", "--format", "input_format", metavar="FMT",
              help="Format of the source (default: detected now).")
@jobs_option
@verbosity_options
@click.argument("path")
@click.pass_context
def import_(ctx: click.Context, root: str, input_format: str | None, path: str,
            jobs: int | None, **plugin_values: Any) -> None:
    """Add a dataset at PATH as a source of the project.

    The source is checked by loading it once; its format and options are remembered.
    """
    plugins = ctx.meta.get("cococonv.plugins", [])
    options = split_plugin_values(plugin_values, plugins)[0] if plugins else {}
    input_format, dataset = api.import_source(root, path, input_format,
                                              report=make_report(ctx), jobs=jobs,
                                              **options)
    click.echo(printable(f"imported {path} as {input_format}: {len(dataset)} items"), err=True)


def _exporter_of(args: list[str]) -> list[type[Plugin]]:
    name = peek(args, "-f", "--format")
    registry = default_registry()
    found = exporter_side(registry.exporter(name)) if registry.has("exporter", name) else []
    return found + transforms_in(args)


@cli.command("export", cls=PluginOptionsCommand, plugin_lookup=_exporter_of)
@click.option("-p", "--project", "root", default=".", show_default=True, metavar="DIR",
              help="Project folder.")
@click.option("-f", "--format", "output_format", required=True, metavar="FMT",
              help="Output format.")
@click.option("-o", "--output", "target", required=True, metavar="PATH",
              help="Output folder, .zip or tar archive, single file, or - for stdout.")
@click.option("--on-conflict", type=click.Choice(ON_CONFLICT), default="union",
              show_default=True,
              help="For an image sources give different sizes or annotations: fail, keep the "
                   "first source's, the last one's, or combine (as `cococonv merge`).")
@run_options
@report_options
@click.pass_context
def export(ctx: click.Context, root: str, output_format: str, target: str, on_conflict: str,
           transforms: tuple[str, ...], overwrite: bool, on_error: str, jobs: int | None,
           as_json: bool, report_file: str | None, strict: bool,
           **plugin_values: Any) -> None:
    """Export the project's sources, merged, in format FMT (after the -t transforms)."""
    refuse_json_to_stdout(as_json, target)
    check_report_file(report_file, target)
    plugins = ctx.meta.get("cococonv.plugins", [])
    _, options, chain = route_values(plugin_values, plugins, transforms)
    report = make_report(ctx, on_error)
    run_reported(report, as_json, report_file, lambda: api.export_project(
        root, output_format, target, overwrite=overwrite, report=report, jobs=jobs,
        transforms=chain, on_conflict=on_conflict, strict=strict, **options))
