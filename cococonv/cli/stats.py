"""`cococonv stats`: counts and distributions of a dataset (cococonv.stats)."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..fileio import dumps_json
from ..stats import QUANTILES, dataset_stats
from ..text import printable
from .group import cli
from .info import _importer_of
from .transform import check_one_input
from .options import (PluginOptionsCommand, json_option, make_report, on_error_option,
                      split_plugin_values, verbosity_options)


def load_input(ctx: click.Context, source: str | None, input_format: str | None,
               root: str | None, on_error: str, plugin_values: dict[str, Any]):
    """The dataset of ``-i``/``-if`` with the importer options given on the line, or the
    merged sources of the project ``-p``."""
    check_one_input(source, root, input_format)
    report = make_report(ctx, on_error)
    if root is not None:
        return api.load_project(root, report=report, jobs=1)
    plugins = ctx.meta.get("cococonv.plugins", [])
    options = split_plugin_values(plugin_values, plugins)[0] if plugins else {}
    return api.load(source, input_format, report=report, jobs=1, **options)


def input_options(func):
    """-i/--input and -if/--input-format, as `info` takes them, or -p/--project."""
    func = click.option("-p", "--project", "root", metavar="DIR",
                        help="Project folder whose sources, merged as `export` merges "
                             "them, are read (instead of -i).")(func)
    func = click.option("-if", "--input-format", "input_format", metavar="FMT",
                        help="Input format (default: detected).")(func)
    return click.option("-i", "--input", "source", metavar="PATH",
                        help="Dataset folder, .zip, single file, or - for stdin.")(func)


@cli.command(cls=PluginOptionsCommand, plugin_lookup=_importer_of)
@input_options
@on_error_option
@verbosity_options
@json_option
@click.pass_context
def stats(ctx: click.Context, source: str | None, input_format: str | None, root: str | None,
          on_error: str, as_json: bool, **plugin_values: Any) -> None:
    """Print items per subset, annotations per label and kind, box and area quantiles,
    image sizes, crowd, keypoint-visibility and attribute counts.

    Reads -i PATH (importer options, e.g. -r/--relpath, as in `convert`) or the project
    -p DIR.
    """
    summary = dataset_stats(load_input(ctx, source, input_format, root, on_error,
                                       plugin_values))
    if as_json:
        click.echo(dumps_json(summary, indent=True).decode())
        return
    for line in stats_lines(summary):
        click.echo(printable(line))


def stats_lines(s: dict[str, Any]) -> list[str]:
    """The human table of ``dataset_stats``."""
    subsets = ", ".join(f"{name} {n}" for name, n in s["subsets"].items()) or "none"
    lines = [f"items: {s['items']} ({subsets}); without annotations: "
             f"{s['images_without_annotations']}",
             f"annotations: {s['annotations']}; crowd objects: {s['crowd']}"]
    kinds = sorted(s["annotations_by_kind"])
    if kinds:
        width = max(len(name) for name in s["annotations_by_label"])
        lines.append(f"  {'label':<{width}}  " + "  ".join(f"{k:>8}" for k in kinds))
        for name, counts in s["annotations_by_label"].items():
            lines.append(f"  {name:<{width}}  "
                         + "  ".join(f"{counts.get(k, 0):>8}" for k in kinds))
    lines.append("quantiles:          count" + "".join(f"{q:>11}" for q, _ in QUANTILES))
    for title, q in (("box width", s["boxes"]["width"]), ("box height", s["boxes"]["height"]),
                     ("area", s["areas"])):
        values = "".join(f"{_num(q[name]):>11}" for name, _ in QUANTILES)
        lines.append(f"  {title:<16}{q['count']:>7}{values}")
    sizes = s["image_sizes"]
    if sizes["distinct"]:
        lines.append(f"image sizes: {sizes['distinct']} distinct; width "
                     f"{sizes['width']['min']}-{sizes['width']['max']}, height "
                     f"{sizes['height']['min']}-{sizes['height']['max']}; unknown "
                     f"{sizes['unknown']}")
    else:
        lines.append(f"image sizes: none known ({sizes['unknown']} unknown)")
    vis = s["keypoint_visibility"]
    lines.append("keypoint visibility: " + ", ".join(f"v={v} {n}" for v, n in vis.items()))
    attrs = ", ".join(f"{name} {n}" for name, n in s["attributes"].items()) or "none"
    lines.append(f"attributes: {attrs}")
    return lines


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
