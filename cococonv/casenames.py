"""Names that differ only by letter case (``A.jpg``, ``a.jpg``), for outputs whose file
system, or the one they are unpacked on, does not tell them apart.

Linux datasets hold such pairs; Windows and macOS (by default) keep one file of each pair.
An archive is written as it is, with a warning counting the pairs, as for names Windows
cannot hold (:mod:`cococonv.winnames`). A folder written on a case-insensitive file system
would lose one file of each pair silently, so that run is refused before it writes,
naming the first pair: rename one item in the input (there is no rename transform), or
write an archive.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import DataError
from .text import shown

if TYPE_CHECKING:
    from .model import Source
    from .report import Report


def case_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Each name that differs from an earlier one only by case, with that earlier one."""
    seen: dict[str, str] = {}
    pairs = []
    for name in names:
        first = seen.setdefault(name.casefold(), name)
        if first != name:
            pairs.append((first, name))
    return pairs


def folder_pairs(folder: str) -> list[tuple[str, str]]:
    """The case-only pairs among the files and folders of each folder under ``folder``
    (``/``-separated paths relative to it)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        prefix = "" if base == "." else base + "/"
        for a, b in case_pairs(sorted([*dirnames, *filenames])):
            found.append((prefix + a, prefix + b))
    return sorted(found)


def warn_case_pairs(folder: str, report: "Report") -> None:
    """One warning counting the members of an archive-to-be that clash by case only."""
    found = folder_pairs(folder)
    if found:
        a, b = found[0]
        report.warn(f"{len(found)} name(s) in the archive differ from another only by letter "
                    f"case (e.g. {shown(a)} and {shown(b)}): unpacked on Windows or macOS, "
                    f"one file of each pair replaces the other")


def ignores_case(folder: str) -> bool:
    """Whether the file system of ``folder`` (an existing folder) ignores letter case: a
    probe file's upper-case name finds it."""
    try:
        with tempfile.NamedTemporaryFile(prefix=".cococonv-case-", dir=folder) as probe:
            name = os.path.basename(probe.name)
            return os.path.exists(os.path.join(folder, name.upper()))
    except OSError:
        return False


def refuse_case_pairs(dataset: "Source", target: str) -> None:
    """DataError for two items of one subset whose ids (or image names) differ only by
    case, when the folder ``target`` will be on a file system that ignores case."""
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent) or not ignores_case(parent):
        return
    ids: dict[str, list[str]] = {}
    images: dict[str, list[str]] = {}
    for item in dataset:
        ids.setdefault(item.subset, []).append(item.id)
        if item.image is not None and item.image.name:
            images.setdefault(item.subset, []).append(item.image.name)
    for what, names in (("item ids", ids), ("image names", images)):
        for subset, values in names.items():
            pairs = case_pairs(values)
            if pairs:
                a, b = pairs[0]
                raise DataError(
                    f"{what} {shown(a)} and {shown(b)} of subset {shown(subset)} differ only "
                    f"by letter case, and the output's file system ignores case (one file "
                    f"would replace the other; {len(pairs)} such pair(s)): rename one, or "
                    f"write a .zip", file=target)
