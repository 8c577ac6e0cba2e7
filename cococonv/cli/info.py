"""`cococonv info`: what a dataset holds."""
from __future__ import annotations

import click

from .. import api
from ..fileio import dumps_json
from . import cli
from .options import (json_option, make_report, on_error_option, verbosity_options)


@cli.command()
@click.option("-i", "--input", "source", required=True, metavar="PATH",
              help="Dataset folder, .zip, single file, or - for stdin.")
@click.option("-if", "--input-format", "input_format", metavar="FMT",
              help="Input format (default: detected).")
@on_error_option
@verbosity_options
@json_option
@click.pass_context
def info(ctx: click.Context, source: str, input_format: str | None, on_error: str,
         as_json: bool) -> None:
    """Print items, annotations by kind and labels, per subset."""
    dataset = api.load(source, input_format, report=make_report(ctx, on_error))
    summary = api.info(dataset)
    if as_json:
        click.echo(dumps_json(summary, indent=True).decode())
        return
    click.echo(f"items: {summary['items']}")
    for subset, entry in summary["subsets"].items():
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(entry["annotations"].items())) or "none"
        click.echo(f"  {subset}: {entry['items']} items; annotations: {kinds}")
    click.echo(f"labels ({len(summary['labels'])}): {', '.join(summary['labels'])}")
