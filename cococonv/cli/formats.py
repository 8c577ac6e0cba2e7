"""`cococonv formats`: the plugins and their options."""
from __future__ import annotations

import inspect

import click

from ..chain import implied_options
from ..errors import UnknownFormatError
from ..fileio import dumps_json
from ..registry import default_registry
from ..text import printable, printable_lines
from .group import cli
from .options import _show, json_option


@cli.command()
@click.argument("name", required=False)
@json_option
def formats(name: str | None, as_json: bool) -> None:
    """List importers, exporters and transforms, or show one plugin's options."""
    registry = default_registry()
    kinds = ("importer", "exporter", "transform")
    if name is None:
        if as_json:
            data = {k: sorted(registry.table(k)) for k in kinds}
            data["broken"] = [b.entry_point for b in registry.broken]
            click.echo(dumps_json(data).decode())
            return
        for kind in kinds:
            click.echo(f"{kind}s:")
            for plugin_name, plugin in sorted(registry.table(kind).items()):
                click.echo(printable(f"  {plugin_name:<28} {plugin.summary()}"))
        for broken in registry.broken:
            click.echo(printable(f"broken: {broken.entry_point} ({broken.distribution}): "
                                  f"{broken.error}"))
        return
    found = [(k, registry.get(k, name)) for k in kinds if registry.has(k, name)]
    if not found:
        known = sorted({n for kind in kinds for n in registry.table(kind)})
        raise UnknownFormatError(f"no plugin is named {name!r}; known: {', '.join(known)}")
    if as_json:
        click.echo(dumps_json([{
            "kind": kind, "name": plugin.name, "help": inspect.getdoc(plugin) or "",
            "options": [{"name": o.name, "flag": o.flag, "type": o.type.__name__,
                         "default": o.default, "choices": o.choices, "help": o.help}
                        for o in plugin.options]} for kind, plugin in found]).decode())
        return
    for kind, plugin in found:
        click.echo(printable(f"{plugin.name} ({kind})"))
        click.echo(printable_lines(inspect.getdoc(plugin) or ""))
        if plugin.options:
            click.echo("options:")
            for opt in plugin.options:
                choices = f" [{'|'.join(opt.choices)}]" if opt.choices else ""
                click.echo(printable(f"  {opt.flag:<30} {opt.help}{choices} "
                                     f"(default: {_show(opt.default, opt)})"))
        implied = implied_options(plugin) if kind == "exporter" else ()
        if implied:
            click.echo("also, done by a transform before the export (docs/transforms.md):")
            for opt in implied:
                click.echo(printable(f"  {opt.flag:<30} {opt.help}"))
        click.echo("")
