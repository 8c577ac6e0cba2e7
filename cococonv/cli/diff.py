"""`cococonv diff A B`: what changed between two datasets (cococonv.diffing); exit 1
when they differ."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..diffing import DEFAULT_IOU, DEFAULT_TOLERANCE, diff as run_diff
from ..fileio import dumps_json
from ..text import printable
from .group import cli
from .options import json_option, make_report, on_error_option, verbosity_options

#: Entries of each list the table shows; --json has them all.
SHOWN = 20


@cli.command()
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("-if", "--input-format", "formats", multiple=True, metavar="FMT",
              help="Input format: once for both inputs, or twice (A's, then B's); "
                   "default: detected.")
@click.option("--iou", type=click.FloatRange(0, 1, min_open=True), default=DEFAULT_IOU,
              show_default=True,
              help="Box IoU from which two annotations of one kind and label without "
                   "a shared id are the same object.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=DEFAULT_TOLERANCE,
              show_default=True, metavar="PIXELS",
              help="How far a coordinate may move before the geometry counts as changed.")
@on_error_option
@verbosity_options
@json_option
@click.pass_context
def diff(ctx: click.Context, first: str, second: str, formats: tuple[str, ...], iou: float,
         tolerance: float, on_error: str, as_json: bool) -> None:
    """Compare dataset A with dataset B: items (by subset and id), annotations (by id,
    else by box IoU within a label) and categories (by name) added, removed or changed.

    Exit 0 when they are equal, 1 when they differ.
    """
    if len(formats) > 2:
        raise click.UsageError("-if is given once (both inputs) or twice (A, then B)")
    fmt_a = formats[0] if formats else None
    fmt_b = formats[-1] if formats else None
    a = api.load(first, fmt_a, report=make_report(ctx, on_error), jobs=1)
    b = api.load(second, fmt_b, report=make_report(ctx, on_error), jobs=1)
    result = run_diff(a, b, iou=iou, tolerance=tolerance)
    if as_json:
        click.echo(dumps_json(result, indent=True).decode())
    else:
        for line in diff_lines(result):
            click.echo(printable(line))
    if not result["equal"]:
        ctx.exit(1)


def diff_lines(result: dict[str, Any]) -> list[str]:
    """The summary table, then the first SHOWN entries of each list."""
    lines = [f"{'':<12}{'added':>9}{'removed':>9}{'changed':>9}{'same':>9}"]
    for part, counts in result["summary"].items():
        lines.append(f"{part:<12}" + "".join(f"{counts[k]:>9}" for k in
                                             ("added", "removed", "changed", "same")))
    for part in ("categories", "items", "annotations"):
        for what in ("added", "removed", "changed"):
            entries = result[part][what]
            for entry in entries[:SHOWN]:
                lines.append(f"{what:<8} {part[:-1] if part != 'categories' else 'category'}"
                             f" {_name(entry)}{_what_changed(entry)}")
            if len(entries) > SHOWN:
                lines.append(f"... and {len(entries) - SHOWN} more {what} {part} "
                             f"(--json lists them all)")
    lines.append("equal" if result["equal"] else "different")
    return lines


def _name(entry: Any) -> str:
    if isinstance(entry, str):
        return repr(entry)
    if "kind" in entry:
        return (f"{entry['subset']}/{entry['item']}: {entry['kind']} id {entry['id']!r} "
                f"label {entry['label']!r}")
    if "item" in entry:
        return f"{entry['subset']}/{entry['item']}"
    return repr(entry["name"])


def _what_changed(entry: Any) -> str:
    if isinstance(entry, dict) and entry.get("changes"):
        return ": " + "; ".join(entry["changes"])
    return ""
