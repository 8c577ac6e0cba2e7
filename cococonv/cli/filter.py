"""`cococonv filter`: keep or drop items and annotations by expressions."""
from __future__ import annotations

from typing import Any

import click

from ..expressions import ExpressionError
from ..filtering import FilterResult, compile_filters, filter_dataset
from .group import cli
from .rewrite import COMMAND, fail_on_expression, in_out_options, run, split_io


@cli.command("filter", **COMMAND)
@in_out_options
@click.option("--items", "items", metavar="EXPR",
              help="Keep the items this expression matches (e.g. 'subset == \"train\"').")
@click.option("--annotations", "annotations", metavar="EXPR",
              help="Keep the annotations this expression matches "
                   "(e.g. 'label in (\"car\",\"bus\") and area > 32*32').")
@click.option("--invert", is_flag=True, help="Drop what the expressions match instead.")
@click.option("--remove-empty", is_flag=True, help="Drop the items left without annotations.")
@click.pass_context
def filter_command(ctx: click.Context, items: str | None, annotations: str | None,
                   invert: bool, remove_empty: bool, **values: Any) -> None:
    """Keep or drop items and annotations by expressions, and count what went.

    \b
    Example:
      cococonv filter -i coco_dir -o out --annotations 'label in ("car","bus") and area > 32*32'
    The language (fields, operators) is in docs/commands/filter.md.
    """
    io, plugin_values = split_io(values)
    if items is None and annotations is None and not remove_empty:
        raise click.UsageError("give --items, --annotations or --remove-empty")
    try:
        compile_filters(items, annotations)  # refused before anything is read
    except ExpressionError as error:
        fail_on_expression(ctx, error)
    def step(dataset: Any, report: Any) -> FilterResult:
        return filter_dataset(dataset, items=items, annotations=annotations, invert=invert,
                              remove_empty=remove_empty, report=report)

    run(ctx, io, plugin_values, step)
