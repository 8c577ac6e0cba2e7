"""`cococonv info`: what a dataset holds."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..fileio import dumps_json
from ..plugin import Plugin
from ..registry import default_registry
from ..streams import is_stream
from ..text import printable
from .group import cli
from .options import (PluginOptionsCommand, jobs_option, json_option, make_report, on_error_option, peek,
                      split_plugin_values, verbosity_options)


def _importer_of(args: list[str]) -> list[type[Plugin]]:
    name = peek(args, "-if", "--input-format")
    registry = default_registry()
    if name is None:
        source = peek(args, "-i", "--input")
        try:
            matches = api.detect(source) if source is not None and not is_stream(source) else []
        except Exception:  # detection problems are reported by the command itself
            matches = []
        name = matches[0][0] if matches else None
    return [registry.importer(name)] if registry.has("importer", name) else []


@cli.command(cls=PluginOptionsCommand, plugin_lookup=_importer_of)
@click.option("-i", "--input", "source", required=True, metavar="PATH",
              help="Dataset folder, .zip or tar archive, single file, or - for stdin.")
@click.option("-if", "--input-format", "input_format", metavar="FMT",
              help="Input format (default: detected).")
@on_error_option
@jobs_option
@verbosity_options
@json_option
@click.pass_context
def info(ctx: click.Context, source: str, input_format: str | None, on_error: str,
         jobs: int | None, as_json: bool, **plugin_values: Any) -> None:
    """Print items, annotations by kind and labels, per subset.

    Importer options (e.g. -r/--relpath) are accepted as in `convert`.
    """
    plugins = ctx.meta.get("cococonv.plugins", [])
    options = split_plugin_values(plugin_values, plugins)[0] if plugins else {}
    dataset = api.load(source, input_format, report=make_report(ctx, on_error), jobs=jobs,
                       **options)
    summary = api.info(dataset)
    if as_json:
        click.echo(dumps_json(summary, indent=True).decode())
        return
    click.echo(f"items: {summary['items']}")
    for subset, entry in summary["subsets"].items():
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(entry["annotations"].items())) or "none"
        click.echo(printable(f"  {subset}: {entry['items']} items; annotations: {kinds}"))
    labels = ", ".join(summary["labels"])
    click.echo(printable(f"labels ({len(summary['labels'])}): {labels}"))
