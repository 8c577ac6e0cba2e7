"""The `cococonv` command line: the root group (``group``), its commands, the entry point."""
from __future__ import annotations

import os
import sys

from .group import CococonvGroup, Interrupted, catch_termination, cli

__all__ = ["CococonvGroup", "Interrupted", "catch_termination", "cli", "main"]


def main() -> None:
    """Console-script entry point.

    Ends with ``os._exit`` after flushing: freeing a dataset of millions of objects one by
    one costs seconds (2 s of 11 s at 50,000 images) and the OS reclaims it at once.
    """
    from . import convert, detect, formats, info, merge, project, transform  # noqa: F401  (registers commands)
    from . import diff, stats, validate  # noqa: F401
    from . import filter, split  # noqa: F401  (filter and split: issue 14)
    from . import show  # noqa: F401  (show: issue 15)
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


def _register() -> None:
    from . import convert, detect, formats, info, merge, project, transform  # noqa: F401
    from . import diff, stats, validate  # noqa: F401  (reports: issue 14)
    from . import filter, split  # noqa: F401  (filter and split: issue 14)
    from . import show  # noqa: F401  (show: issue 15)


_register()
