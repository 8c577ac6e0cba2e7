"""`cococonv show`: write a self-contained HTML gallery of a dataset (cococonv.gallery)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ..plugin import Plugin
from ..text import printable
from .group import cli
from .info import _importer_of
from .options import (PluginOptionsCommand, jobs_option, make_report, on_error_option,
                      overwrite_option, split_plugin_values, verbosity_options)


def values_of(args: Sequence[str], *names: str) -> list[str]:
    """Every value of the options ``names`` in raw arguments (``-i A -i B``)."""
    found = []
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            found.append(args[i + 1])
        else:
            found.extend(arg.split("=", 1)[1] for name in names
                         if name.startswith("--") and arg.startswith(name + "="))
    return found


def importers_of(args: list[str]) -> list[type[Plugin]]:
    """The importer of each -i (its -if, or detected), so their options are accepted."""
    formats = values_of(args, "-if", "--input-format")
    found: list[type[Plugin]] = []
    for index, source in enumerate(values_of(args, "-i", "--input")):
        fmt = formats[index] if index < len(formats) else (formats[0] if formats else None)
        for plugin in _importer_of(["-i", source] + (["-if", fmt] if fmt else [])):
            if plugin not in found:
                found.append(plugin)
    return found


@cli.command(cls=PluginOptionsCommand, plugin_lookup=importers_of,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-i", "--input", "sources", multiple=True, metavar="PATH",
              help="Dataset folder, .zip or tar archive, or single file; twice to show two "
                   "datasets side by side (e.g. a source and its conversion).")
@click.option("-if", "--input-format", "input_formats", multiple=True, metavar="FMT",
              help="Input format (default: detected); once for all inputs or once per -i.")
@click.option("-p", "--project", "projects", multiple=True, metavar="DIR",
              help="A project folder (its sources merged) instead of, or beside, an -i.")
@click.option("-o", "--output", "target", metavar="FILE.html",
              help="The HTML file to write; - for stdout (image paths then relative to the "
                   "working folder). Optional with --png.")
@click.option("--png", "png", metavar="DIR",
              help="Also (or, without -o, only) write one PNG per item with its "
                   "annotations drawn over the image, into DIR (a folder, .zip or tar).")
@jobs_option
@click.option("--embed-images", is_flag=True,
              help="Inline downscaled JPEG thumbnails (the page then travels alone) "
                   "instead of linking the image files.")
@click.option("--conversion-report", "conversion_report", metavar="FILE",
              help="A `convert --report FILE` result to show with the stats.")
@overwrite_option
@on_error_option
@verbosity_options
@click.pass_context
def show(ctx: click.Context, sources: tuple[str, ...], input_formats: tuple[str, ...],
         projects: tuple[str, ...], target: str | None, png: str | None,
         jobs: int | None, embed_images: bool,
         conversion_report: str | None, overwrite: bool, on_error: str,
         **plugin_values: Any) -> None:
    """Write one HTML file that shows the dataset's images with their annotations drawn
    over them: a grid, a large view, hover details, filters and stats. No server or
    network is needed to open it.

    \b
    Examples:
      cococonv show -i coco_dir -o gallery.html
      cococonv show -i voc_dir -i converted_coco -o compare.html
      cococonv show -i coco_dir --png overlays/
    Importer options (e.g. -r/--relpath) are accepted as in `convert`.
    """
    from ..gallery import show as write_show

    options: dict[str, Any] = {}
    for given in split_plugin_values(plugin_values, ctx.meta.get("cococonv.plugins", [])):
        options.update(given)
    report = make_report(ctx, on_error)
    result = write_show(sources, target, input_formats=input_formats, projects=projects,
                        embed_images=embed_images, overwrite=overwrite, report=report,
                        conversion_report=conversion_report, png=png, jobs=jobs, **options)
    table = report.table()
    if not report.quiet:
        if table:
            click.echo(table, err=True)
        for line in result.lines():
            click.echo(printable(line), err=True)
