"""`cococonv detect`: which formats match a path."""
from __future__ import annotations

import click

from .. import api
from ..fileio import dumps_json
from ..text import printable
from .group import cli
from .options import json_option


@cli.command()
@click.argument("path")
@json_option
def detect(path: str, as_json: bool) -> None:
    """Name the formats that match PATH (folder, .zip or tar archive, or file), best first.

    Exits 1 when nothing matches.
    """
    matches = api.detect(path)
    if as_json:
        click.echo(dumps_json([{"format": n, "score": s} for n, s in matches]).decode())
    else:
        for name, _score in matches:
            click.echo(printable(name))
    if not matches:
        click.echo(printable(f"error: {path}: no known dataset format found"), err=True)
        raise SystemExit(1)
