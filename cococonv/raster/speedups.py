"""The optional compiled helpers (``cococonv.raster._fastmasks``, ``._fastpng``,
``._fasttrace``, ``._fastcoords``, ``._fasttext``, ``._fastscan``), or None.

They are index-mask arithmetic (RLE <-> index-mask rows, polygon rasterisation, deflate of
index images) for ``paint``, ``runs`` and ``png`` beside them, mask outline tracing for
``cococonv.contours``, the COCO reader's polygon check (``cococonv.limits``) and YOLO
coordinate text for the yolo plugin, and the record spans of the streaming COCO reader.
They are built from ``cococonv/raster/_fast*.c`` at install time when a C compiler is
there; without them the numpy (or Python) code paths run, with the same output.
``COCOCONV_NO_SPEEDUPS=1`` turns them off (the tests use it to check both paths; handy to
rule them out in a bug).
"""
from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType


# The switch is read on every call (tests flip it), some 90,000 times a yolo -> coco run:
# from the environment's own table (20 ns) rather than through os.environ.get (0.5 us).
_TABLE = getattr(os.environ, "_data", None)
try:
    _KEY = os.environ.encodekey("COCOCONV_NO_SPEEDUPS")  # type: ignore[attr-defined]
    _ON = (os.environ.encodevalue(""), os.environ.encodevalue("0"))  # type: ignore[attr-defined]
except AttributeError:
    _TABLE = None


def _switched_off() -> bool:
    if _TABLE is not None:
        value = _TABLE.get(_KEY)
        return value is not None and value not in _ON
    return os.environ.get("COCOCONV_NO_SPEEDUPS", "") not in ("", "0")


def _compiled(name: str) -> ModuleType | None:
    """The module unless the switch is on (read each time: tests flip it)."""
    return None if _switched_off() else _module(name)


@functools.lru_cache(maxsize=None)
def _module(name: str) -> ModuleType | None:
    """The module, or None when it is not built (asked once, not per mask)."""
    try:
        return importlib.import_module(f"cococonv.raster.{name}")
    except ImportError:
        return None


def fastmasks() -> ModuleType | None:
    """Mask painting and reading (``cococonv/raster/_fastmasks.c``)."""
    return _compiled("_fastmasks")


def fastpng() -> ModuleType | None:
    """Deflate of mask PNG scanlines (``cococonv/raster/_fastpng.c``)."""
    return _compiled("_fastpng")


def fasttrace() -> ModuleType | None:
    """Mask outline tracing for ``cococonv.contours`` (``cococonv/raster/_fasttrace.c``)."""
    return _compiled("_fasttrace")


def fastcoords() -> ModuleType | None:
    """The COCO reader's ring check for ``cococonv.limits`` (``cococonv/raster/_fastcoords.c``)."""
    return _compiled("_fastcoords")


def fasttext() -> ModuleType | None:
    """YOLO coordinate text (``cococonv/raster/_fasttext.c``)."""
    return _compiled("_fasttext")


def describe() -> str:
    """One line for ``cococonv --version``: which path the mask work takes here."""
    if _switched_off():
        return "turned off (COCOCONV_NO_SPEEDUPS); numpy and zlib-ng do the work"
    names = ("_fastmasks", "_fastpng", "_fasttrace", "_fastcoords", "_fasttext")
    missing = [name for name in names if _module(name) is None]
    if not missing:
        return "built"
    return (f"not built ({', '.join(missing)}): numpy and zlib-ng do that work, slower; "
            f"reinstall with a C compiler and the Python headers to build them")


def fastscan() -> ModuleType | None:
    """Record spans for the streaming COCO reader (``cococonv/raster/_fastscan.c``)."""
    return _compiled("_fastscan")
