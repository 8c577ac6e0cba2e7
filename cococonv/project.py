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
    sources = []
    for index, entry in enumerate(data["sources"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise DataError("source needs a 'path'", file=path, where=f"sources[{index}]")
        sources.append(Source(entry["path"], entry.get("format"), dict(entry.get("options") or {})))
    return Project(root, sources)


def add_source(project: Project, path: str, format: str | None,
               options: dict[str, Any]) -> Source:
    """Remember a source (by absolute path) and save the config."""
    source = Source(os.path.abspath(path), format, options)
    project.sources.append(source)
    project.save()
    return source
