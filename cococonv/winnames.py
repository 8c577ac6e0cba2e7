"""File names Windows cannot hold, for outputs that may be opened there.

A folder output follows the rules of the system cococonv runs on: Linux takes ``a:b.jpg``
or ``CON.xml`` as file names, and datasets made there use them (``10:42:07.jpg``). Windows
does not: its device names (``CON``, ``NUL``, ``COM1``... with any extension), the
characters ``<>:"|?*`` and a trailing dot or space cannot be file names, and a ``:`` on
NTFS names an alternate data stream of another file. So on Windows such names are refused
like any escaping name (:func:`cococonv.paths.safe_relpath`), and a ``.zip`` written
elsewhere, which is often unpacked on Windows, is checked with :func:`windows_problem`
and its members Windows cannot extract are counted in a warning.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from .text import shown

if TYPE_CHECKING:
    from .report import Report

# COM and LPT take a digit or a superscript one (COM\u00b9): Windows reserves both.
_RESERVED = re.compile("(?:CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])",
                       re.IGNORECASE)
_CHARACTERS = re.compile(r'[<>:"|?*]')


def windows_problem(segment: str) -> str | None:
    """Why Windows cannot hold one file or folder name, or None when it can."""
    found = _CHARACTERS.search(segment)
    if found:
        return f"holds {found.group()!r}, which Windows file names cannot hold"
    if segment.endswith((".", " ")):
        return "ends with a dot or a space, which Windows drops from file names"
    stem = segment.split(".", 1)[0].rstrip(" ")
    if _RESERVED.fullmatch(stem):
        return f"is the Windows device name {stem.upper()!r}, which is not a file name there"
    return None


def windows_members(folder: str) -> list[str]:
    """The files and folders under ``folder`` (``/``-separated, relative, sorted) that a
    zip of it would hold as members Windows cannot extract as they are."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        for name in [*dirnames, *filenames]:
            if windows_problem(name):
                found.append(name if base == "." else f"{base}/{name}")
    return sorted(found)


def warn_windows_members(folder: str, report: "Report") -> None:
    """One warning counting the members of a zip-to-be Windows cannot extract."""
    found = windows_members(folder)
    if found:
        report.warn(f"{len(found)} name(s) in the archive cannot be extracted on Windows (e.g. "
                    f"{shown(found[0])}: {windows_problem(found[0].rsplit('/', 1)[-1])}); "
                    f"they extract on Linux and macOS (docs/untrusted-input.md)")


__all__ = ["windows_problem", "windows_members", "warn_windows_members"]
