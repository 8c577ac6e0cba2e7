"""`cococonv convert`: import, transform and export in one go."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import CococonvError
from ..plugin import Plugin
from ..registry import default_registry
from ..streams import is_stream
from .group import cli
from .options import (PluginOptionsCommand, exporter_side, make_report, peek, refuse_json_to_stdout,
                      render_report, route_values, run_options, transforms_in)


def plugins_of(args: list[str], *, output_default: bool = False) -> list[type[Plugin]]:
    """Importer (given or detected), exporter and transforms named by the raw arguments;
    with ``output_default`` the exporter is the input's format when -f is not given."""
    registry = default_registry()
    found: list[type[Plugin]] = []
    in_format = peek(args, "-if", "--input-format")
    source = peek(args, "-i", "--input")
    try:
        if in_format is None and source is not None and not is_stream(source):
            matches = api.detect(source)
            in_format = matches[0][0] if matches else None
        if in_format:
            found.append(registry.importer(in_format))
    except CococonvError:
        in_format = None
    if not in_format:
        # Nothing detected (an unreadable zip, no known layout, stdin): accept every
        # importer's options, so the run says why the input could not be read instead of
        # click saying "No such option" about an option of the format the user meant.
        found.extend(registry.importers.values())
    out_format = peek(args, "-f", "--format", "--output-format")
    if out_format is None and output_default:
        out_format = in_format
    if registry.has("exporter", out_format):
        found.extend(exporter_side(registry.exporter(out_format)))
    return found + transforms_in(args)


@cli.command(cls=PluginOptionsCommand, plugin_lookup=plugins_of,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-i", "--input", "source", required=True, metavar="PATH",
              help="Dataset folder, .zip or tar archive, single annotation file, or - "
                   "for stdin.")
@click.option("-if", "--input-format", "input_format", metavar="FMT",
              help="Input format (default: detected).")
@click.option("-o", "--output", "target", required=True, metavar="PATH",
              help="Output folder, .zip or tar archive (.tar, .tar.gz ...), single "
                   ".json/.xml file, or - for stdout.")
@click.option("-f", "--format", "--output-format", "output_format", required=True,
              metavar="FMT", help="Output format.")
@run_options
@click.pass_context
def convert(ctx: click.Context, source: str, input_format: str | None, target: str,
            output_format: str, transforms: tuple[str, ...], overwrite: bool, on_error: str,
            jobs: int | None, as_json: bool, **plugin_values: Any) -> None:
    """Convert a dataset from one format to another.

    \b
    Example:
      cococonv convert -if voc -i VOCdevkit/VOC2012 -f coco -o out --reindex
    Format and transform options (see `cococonv formats FMT`) go directly or after
    `--`; -t NAME (repeatable) runs transforms in order before the export.
    """
    refuse_json_to_stdout(as_json, target)
    plugins: list[type[Plugin]] = ctx.meta.get("cococonv.plugins", [])
    input_options, output_options, chain = route_values(plugin_values, plugins, transforms)
    report = make_report(ctx, on_error)
    api.convert(source, target, input_format=input_format, output_format=output_format,
                input_options=input_options, output_options=output_options, transforms=chain,
                overwrite=overwrite, report=report, jobs=jobs)
    render_report(report, as_json)
