"""The optional compiled helpers (``cococonv._fastmasks``, ``cococonv._fastpng``), or None.

They are built from ``cococonv/_fast*.c`` at install time when a C compiler is there;
without them the numpy code paths run, with the same output. ``COCOCONV_NO_SPEEDUPS=1``
turns them off (the tests use it to check both paths; handy to rule them out in a bug).
"""
from __future__ import annotations

import os
from types import ModuleType


def _enabled() -> bool:
    return os.environ.get("COCOCONV_NO_SPEEDUPS", "") in ("", "0")


def fastmasks() -> ModuleType | None:
    """Mask painting and reading (``cococonv/_fastmasks.c``)."""
    if not _enabled():
        return None
    try:
        from cococonv import _fastmasks
    except ImportError:
        return None
    return _fastmasks


def fastpng() -> ModuleType | None:
    """Deflate of mask PNG scanlines (``cococonv/_fastpng.c``)."""
    if not _enabled():
        return None
    try:
        from cococonv import _fastpng
    except ImportError:
        return None
    return _fastpng
