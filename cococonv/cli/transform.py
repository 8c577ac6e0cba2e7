"""`cococonv transform`: apply transforms to a dataset or a project, writing a dataset."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import CococonvError, OptionError
from ..plugin import Plugin
from ..registry import default_registry
from .convert import plugins_of
from .group import cli
from .options import (PluginOptionsCommand, check_report_file, exporter_side, make_report, peek,
                      refuse_json_to_stdout, report_options, route_values, run_options,
                      run_reported, transforms_in)


PROJECT_FORMATS = "-if is for -i; a project remembers its sources' formats"


def _project_format(root: str) -> str | None:
    """The one format every source of the project has, else None."""
    from ..project import open_project

    formats = {source.format for source in open_project(root).sources}
    return formats.pop() if len(formats) == 1 else None


def check_one_input(source: str | None, root: str | None,
                    input_format: str | None = None) -> None:
    """OptionError unless exactly one of -i and -p is given (and -if only with -i)."""
    if (source is None) == (root is None):
        raise OptionError("give the dataset with -i PATH or a project with -p DIR "
                          "(one of them)")
    if root is not None and input_format is not None:
        raise OptionError(PROJECT_FORMATS)


def project_output_format(root: str, input_format: str | None,
                          output_format: str | None) -> str:
    """The output format of a run on a project: -f, else its sources' one format."""
    if input_format is not None:
        raise OptionError(PROJECT_FORMATS)
    output_format = output_format or _project_format(root)
    if output_format is None:
        raise OptionError("the project's sources have different formats: give the "
                          "output format with -f")
    return output_format


def input_or_project_plugins(args: list[str]) -> list[type[Plugin]]:
    """For -i, what convert takes (the exporter defaulting to the input's format); for -p,
    the exporter of -f or of the project's sources, and the transforms."""
    root = peek(args, "-p", "--project")
    if root is None:
        return plugins_of(args, output_default=True)
    registry = default_registry()
    out_format = peek(args, "-f", "--format", "--output-format")
    if out_format is None:
        try:
            out_format = _project_format(root)
        except CococonvError:
            out_format = None  # the run says what is wrong with the project
    found = exporter_side(registry.exporter(out_format)) \
        if registry.has("exporter", out_format) else []
    return found + transforms_in(args)


@cli.command(cls=PluginOptionsCommand, plugin_lookup=input_or_project_plugins,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-i", "--input", "source", metavar="PATH",
              help="Dataset folder, .zip, single annotation file, or - for stdin.")
@click.option("-if", "--input-format", "input_format", metavar="FMT",
              help="Input format (default: detected).")
@click.option("-p", "--project", "root", metavar="DIR",
              help="Project folder whose sources, merged, are transformed (instead of -i).")
@click.option("-o", "--output", "target", required=True, metavar="PATH",
              help="Output folder, .zip, single .json/.xml file, or - for stdout.")
@click.option("-f", "--format", "--output-format", "output_format", metavar="FMT",
              help="Output format (default: the input's).")
@run_options
@report_options
@click.pass_context
def transform(ctx: click.Context, source: str | None, input_format: str | None,
              root: str | None, target: str, output_format: str | None,
              transforms: tuple[str, ...], overwrite: bool, on_error: str, jobs: int | None,
              as_json: bool, report_file: str | None, strict: bool,
              **plugin_values: Any) -> None:
    """Apply transforms (-t NAME, repeatable, in order) to a dataset or a project.

    \b
    Examples:
      cococonv transform -t remap_labels --mapping cat:animal,dog:animal -i coco -o out
      cococonv transform -t reindex --start 0 -p proj -o out -f voc
    Transform and format options (see `cococonv formats`) go directly or after `--`.
    """
    check_one_input(source, root)
    if not transforms:
        raise OptionError("name at least one transform with -t NAME (see `cococonv "
                          "formats`)")
    refuse_json_to_stdout(as_json, target)
    check_report_file(report_file, target, source or root)
    plugins: list[type[Plugin]] = ctx.meta.get("cococonv.plugins", [])
    input_options, output_options, chain = route_values(plugin_values, plugins, transforms)
    report = make_report(ctx, on_error)
    if root is not None:
        output_format = project_output_format(root, input_format, output_format)
        run_reported(report, as_json, report_file, lambda: api.export_project(
            root, output_format, target, overwrite=overwrite, report=report, jobs=jobs,
            transforms=chain, strict=strict, **output_options))
    else:
        output_format = output_format or _input_format(source, input_format)
        run_reported(report, as_json, report_file, lambda: api.convert(
            source, target, input_format=input_format, output_format=output_format,
            input_options=input_options, output_options=output_options, transforms=chain,
            overwrite=overwrite, report=report, jobs=jobs, strict=strict))


def _input_format(source: str, given: str | None) -> str:
    """The output format when -f is not given: the input's (given or detected), which
    must have an exporter of that name."""
    from ..streams import is_stream

    name = given
    if name is None and not is_stream(source):
        matches = api.detect(source)
        name = matches[0][0] if matches else None
    if name is None:
        raise OptionError("the input's format is not known (stdin, or nothing "
                          "detected): give the output format with -f")
    if not default_registry().has("exporter", name):
        raise OptionError(f"there is no {name} exporter: give the output format with -f")
    return name
