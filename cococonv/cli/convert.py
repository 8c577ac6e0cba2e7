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
from .options import (PluginOptionsCommand, jobs_option, json_option, make_report, on_error_option,
                      overwrite_option, peek, render_report, split_plugin_values,
                      transform_option, verbosity_options)


def _plugins_of(args: list[str]) -> list[type[Plugin]]:
    """Importer (given or detected), exporter and transforms named by the raw arguments."""
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
    if registry.has("exporter", out_format):
        found.append(registry.exporter(out_format))
    for i, arg in enumerate(args):
        if arg in ("-t", "--transform") and i + 1 < len(args) and \
                registry.has("transform", args[i + 1]):
            found.append(registry.transform(args[i + 1]))
    return found


@cli.command(cls=PluginOptionsCommand, plugin_lookup=_plugins_of,
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
@transform_option
@overwrite_option
@on_error_option
@jobs_option
@verbosity_options
@json_option
@click.pass_context
def convert(ctx: click.Context, source: str, input_format: str | None, target: str,
            output_format: str, transforms: tuple[str, ...], overwrite: bool, on_error: str,
            jobs: int | None, as_json: bool, **plugin_values: Any) -> None:
    """Convert a dataset from one format to another.

    \b
    Example:
      cococonv convert -if voc -i VOCdevkit/VOC2012 -f coco -o out --reindex
    Format options (see `cococonv formats FMT`) go directly or after `--`.
    """
    if as_json and target == "-":
        raise click.UsageError("--json prints the report on stdout, which -o - already uses "
                               "for the data; write the data to a file")
    plugins: list[type[Plugin]] = ctx.meta.get("cococonv.plugins", [])
    values = split_plugin_values(plugin_values, plugins)
    by_kind: dict[str, dict[str, Any]] = {"importer": {}, "exporter": {}}
    transform_options: dict[str, dict[str, Any]] = {}
    for plugin, given in zip(plugins, values):
        if plugin.kind == "transform":
            transform_options[plugin.name] = given
        else:
            by_kind[plugin.kind].update(given)
    if sum(plugin.kind == "importer" for plugin in plugins) > 1:
        # The importer is not known yet (stdin, nothing detected): an option the exporter
        # also declares (--save-images) is the exporter's, not a guess at the importer's.
        for name in by_kind["exporter"]:
            by_kind["importer"].pop(name, None)
    report = make_report(ctx, on_error)
    api.convert(source, target, input_format=input_format, output_format=output_format,
                input_options=by_kind["importer"], output_options=by_kind["exporter"],
                transforms=[(name, transform_options.get(name, {})) for name in transforms],
                overwrite=overwrite, report=report, jobs=jobs)
    render_report(report, as_json)
