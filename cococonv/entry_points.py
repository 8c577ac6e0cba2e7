"""The installed plugins' entry points, read without importlib.metadata.

Why: every run looks up one entry-point group, and importing importlib.metadata for it
costs some 18 ms of start-up (email, csv, zipfile, pathlib...): a tenth of a small
conversion. Installed distributions keep their entry points in
``<site>/<name>.dist-info/entry_points.txt`` (``.egg-info`` for old installs), an INI file
read here directly, the folders of ``sys.path`` in order, the first distribution of a name
winning, as importlib.metadata does. Where ``sys.path`` holds something else than folders
(a zip), :func:`group_entry_points` gives None and the caller asks importlib.metadata.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

_INFO_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class Distribution:
    """The distribution an entry point comes from (its name, for messages)."""

    name: str


@dataclass(frozen=True)
class EntryPoint:
    """``name = module:attr`` of one group, as importlib.metadata's entry points."""

    name: str
    value: str
    dist: Distribution

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        found: Any = importlib.import_module(module.strip())
        for attr in attrs.strip().split("."):
            if attr:
                found = getattr(found, attr)
        return found


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of section ``[group]`` of an entry_points.txt."""
    found, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line:
            name, _, value = line.partition("=")
            found.append((name.strip(), value.strip()))
    return found


def group_entry_points(group: str) -> list[EntryPoint] | None:
    """The entry points of ``group`` of the distributions on ``sys.path``; None when a path
    entry is not a folder (importlib.metadata reads those)."""
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                return None
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for info in names:
            if not info.endswith(_INFO_SUFFIXES):
                continue
            stem = info.rsplit(".", 1)[0].split("-", 1)[0]  # the name before the version
            dist = _normalised(stem)
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(folder, info, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
            lines = _section(text, group)
            if lines:
                origin = Distribution(_declared_name(os.path.join(folder, info)) or stem)
                found += [EntryPoint(name, value, origin) for name, value in lines]
    return found


def _declared_name(info: str) -> str | None:
    """The ``Name:`` of a distribution's METADATA (PKG-INFO for an egg-info)."""
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, file), encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Name:"):
                        return line[5:].strip()
                    if not line.strip():
                        break  # the headers end at the first empty line
        except OSError:
            continue
    return None
