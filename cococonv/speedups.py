"""The optional compiled helpers (``cococonv._fastmasks``), or None.

They are built from ``cococonv/_fastmasks.c`` at install time when a C compiler is there;
without them the numpy code paths run, with the same output. ``COCOCONV_NO_SPEEDUPS=1``
turns them off (the tests use it to check both paths; handy to rule them out in a bug).
"""
from __future__ import annotations

import os
from types import ModuleType


def fastmasks() -> ModuleType | None:
    if os.environ.get("COCOCONV_NO_SPEEDUPS", "") not in ("", "0"):
        return None
    try:
        from cococonv import _fastmasks
    except ImportError:
        return None
    return _fastmasks
