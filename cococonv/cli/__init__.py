"""The `cococonv` command line: the root group (``group``), its commands, the entry point."""
from __future__ import annotations

import os
import sys

from typing import Any

from .group import CococonvGroup, Interrupted, catch_termination, register_all

__all__ = ["CococonvGroup", "Interrupted", "catch_termination", "cli", "main"]


def main() -> None:
    """Console-script entry point.

    Ends with ``os._exit`` after flushing: freeing a dataset of millions of objects one by
    one costs seconds (2 s of 11 s at 50,000 images) and the OS reclaims it at once.
    """
    from .group import cli  # its commands load on first use (group.COMMAND_MODULES)

    catch_termination()
    try:
        cli(prog_name="cococonv")
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            code = code or 1
    os._exit(code if isinstance(code, int) else 0)


def __getattr__(name: str) -> Any:
    """``cococonv.cli.cli``: the root group with every command registered (tests and
    callers that walk ``cli.commands``); ``main`` loads only the command it runs."""
    if name == "cli":
        from .group import cli

        register_all()
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
