"""`cococonv diff A B`: what changed between two datasets (cococonv.diffing); exit 1
when they differ."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..diffing import DEFAULT_IOU, DEFAULT_TOLERANCE, diff as run_diff
from ..errors import OptionError
from ..fileio import dumps_json
from ..text import printable
from .group import cli
from .options import json_option, make_report, on_error_option, verbosity_options

#: Entries of each list the table shows; --json has them all.
SHOWN = 20


class SidesCommand(click.Command):
    """Keeps the raw arguments, so that the sides A and B follow the command line's order
    of the positional arguments and the -p values (:func:`sides_in_order`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["cococonv.raw_args"] = list(args)
        return super().parse_args(ctx, args)


def sides_in_order(command: click.Command, args: list[str]) -> list[bool]:
    """For each dataset the command line names, in its order, whether it is a -p
    project: ``diff -p P B`` is [True, False], ``diff A -p P`` is [False, True]."""
    takes_value = {name for param in command.params if isinstance(param, click.Option)
                   and not param.is_flag for name in param.opts + param.secondary_opts}
    sides: list[bool] = []
    k = 0
    while k < len(args):
        arg = args[k]
        if arg == "--":
            sides += [False] * (len(args) - k - 1)
            break
        if arg in ("-p", "--project") or arg.startswith("--project="):
            sides.append(True)
            k += 1 if "=" in arg else 2
        elif arg in takes_value:
            k += 2
        else:
            if arg == "-" or not arg.startswith("-"):
                sides.append(False)
            k += 1
    return sides


@cli.command(cls=SidesCommand)
@click.argument("paths", metavar="[A] [B]", nargs=-1)
@click.option("-p", "--project", "projects", multiple=True, metavar="DIR",
              help="A project folder (its sources merged as `export` merges them) as one "
                   "side: it takes the place on the line where it is written, so "
                   "`diff -p P B` compares P with B and `diff A -p P` A with P; twice for "
                   "two projects.")
@click.option("-if", "--input-format", "formats", multiple=True, metavar="FMT",
              help="Input format: once for both inputs, or twice (A's, then B's); "
                   "default: detected. Not for a project side.")
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
def diff(ctx: click.Context, paths: tuple[str, ...], projects: tuple[str, ...],
         formats: tuple[str, ...], iou: float, tolerance: float, on_error: str,
         as_json: bool) -> None:
    """Compare dataset A with dataset B: items (by subset and id), annotations (by id,
    else by box IoU within a label) and categories (by name) added, removed or changed.

    Either side may be a project, -p DIR, in the place of its path.
    Exit 0 when they are equal, 1 when they differ.
    """
    if len(paths) + len(projects) != 2:
        raise OptionError("name two datasets: A and B, each a path or -p DIR")
    if len(formats) > 2:
        raise click.UsageError("-if is given once (both inputs) or twice (A, then B)")
    order = sides_in_order(ctx.command, ctx.meta["cococonv.raw_args"])
    if sorted(order) != sorted([False] * len(paths) + [True] * len(projects)):
        order = [False] * len(paths) + [True] * len(projects)  # not told apart: paths first
    if (projects and len(formats) == 2) or (formats and not paths):
        raise OptionError("-if is for the paths; a project remembers its sources' formats")
    loaded = []
    path_list, project_list = list(paths), list(projects)
    for side, is_project in enumerate(order):
        report = make_report(ctx, on_error)
        if is_project:
            loaded.append(api.load_project(project_list.pop(0), report=report, jobs=1))
            continue
        fmt = (formats[side] if len(formats) == 2 else formats[0]) if formats else None
        loaded.append(api.load(path_list.pop(0), fmt, report=report, jobs=1))
    result = run_diff(loaded[0], loaded[1], iou=iou, tolerance=tolerance)
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
