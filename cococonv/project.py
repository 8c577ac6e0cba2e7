"""The project folder: a readable JSON config that remembers sources and their formats."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import DataError, OutputExistsError
from .fileio import dumps_json

CONFIG_NAME = "cococonv-project.json"
VERSION = 1


@dataclass
class Source:
    path: str
    format: str | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Project:
    root: str
    sources: list[Source] = field(default_factory=list)

    @property
    def config_path(self) -> str:
        return os.path.join(self.root, CONFIG_NAME)

    def save(self) -> None:
        data = {"version": VERSION,
                "sources": [{"path": s.path, "format": s.format, "options": s.options}
                            for s in self.sources]}
        tmp = self.config_path + ".part"
        with open(tmp, "wb") as fh:
            fh.write(dumps_json(data, indent=True) + b"\n")
        os.replace(tmp, self.config_path)


def create_project(root: str, *, overwrite: bool = False) -> Project:
    """Make an empty project folder (refusing a non-empty one unless ``overwrite``)."""
    if os.path.isdir(root) and os.listdir(root) and not overwrite:
        raise OutputExistsError("folder exists and is not empty (use --overwrite)", file=root)
    os.makedirs(root, exist_ok=True)
    project = Project(root)
    project.save()
    return project


def open_project(root: str) -> Project:
    """Read a project folder's config."""
    path = os.path.join(root, CONFIG_NAME)
    if not os.path.isfile(path):
        raise DataError(f"not a cococonv project (no {CONFIG_NAME}; make one with "
                        f"`cococonv create -o DIR`)", file=root)
    with open(path, "rb") as fh:
        try:
            data = orjson.loads(fh.read())
        except orjson.JSONDecodeError as exc:
            raise DataError(f"config is not valid JSON ({exc})", file=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise DataError("config has no 'sources' list", file=path)
    if data.get("version", VERSION) != VERSION or type(data.get("version", VERSION)) is not int:
        raise DataError(f"{data['version']!r} is not a config version this cococonv reads "
                        f"(it reads {VERSION})", file=path, where="version")
    return Project(root, [_source(entry, path, f"sources[{index}]")
                          for index, entry in enumerate(data["sources"])])


def _source(entry: Any, path: str, where: str) -> Source:
    """One validated ``sources[i]`` entry: every field is checked, so a hand-edited config
    gives one line naming the field, not a TypeError."""
    if not isinstance(entry, dict):
        raise DataError("must be an object with a 'path'", file=path, where=where)
    if not isinstance(entry.get("path"), str) or not entry["path"]:
        raise DataError("source needs a 'path'", file=path, where=where)
    fmt = entry.get("format")
    if fmt is not None and not isinstance(fmt, str):
        raise DataError("must be a format name or null", file=path, where=f"{where}.format")
    options = entry.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise DataError("must be an object", file=path, where=f"{where}.options")
    return Source(entry["path"], fmt, dict(options))


def add_source(project: Project, path: str, format: str | None,
               options: dict[str, Any]) -> Source:
    """Remember a source (by absolute path) and save the config."""
    source = Source(os.path.abspath(path), format, options)
    project.sources.append(source)
    project.save()
    return source
