"""Finds plugins through the ``cococonv.plugins`` entry-point group, built-ins included.

Each entry point resolves to a tuple ``PLUGINS`` of plugin classes. A package that fails to
import is reported once and listed as broken; two plugins of one kind with one name are
an error naming both. ``COCOCONV_PLUGINS=coco,voc`` loads only the named entry points.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from .errors import CococonvError, UnknownFormatError
from .plugin import Exporter, Importer, Plugin, Transform

GROUP = "cococonv.plugins"
KINDS = {"importer": Importer, "exporter": Exporter, "transform": Transform}


@dataclass
class BrokenPlugin:
    entry_point: str
    distribution: str
    error: str


@dataclass
class Registry:
    importers: dict[str, type[Importer]] = field(default_factory=dict)
    exporters: dict[str, type[Exporter]] = field(default_factory=dict)
    transforms: dict[str, type[Transform]] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)
    origin: dict[tuple[str, str], str] = field(default_factory=dict)

    def table(self, kind: str) -> dict[str, type[Plugin]]:
        return {"importer": self.importers, "exporter": self.exporters,
                "transform": self.transforms}[kind]  # type: ignore[return-value]

    def add(self, plugin: type[Plugin], origin: str) -> None:
        kind = plugin.kind
        if kind not in KINDS or not plugin.name:
            raise CococonvError(f"plugin {plugin.__qualname__} from {origin} has no name or kind")
        table = self.table(kind)
        if plugin.name in table:
            raise CococonvError(f"two {kind}s are named {plugin.name!r}: "
                                f"{self.origin[(kind, plugin.name)]} and {origin}")
        table[plugin.name] = plugin
        self.origin[(kind, plugin.name)] = origin

    def get(self, kind: str, name: str) -> type[Plugin]:
        table = self.table(kind)
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            hint = ""
            for broken in self.broken:
                if broken.entry_point.split(":")[0] == name.split("_")[0]:
                    hint = f" (plugin {broken.entry_point} failed to load: {broken.error})"
            raise UnknownFormatError(f"unknown {kind} {name!r}{hint}; known: {known}")
        return table[name]

    def importer(self, name: str) -> type[Importer]:
        return self.get("importer", name)  # type: ignore[return-value]

    def exporter(self, name: str) -> type[Exporter]:
        return self.get("exporter", name)  # type: ignore[return-value]

    def transform(self, name: str) -> type[Transform]:
        return self.get("transform", name)  # type: ignore[return-value]


def load_registry(eps: Iterable[EntryPoint] | None = None, *, warn: bool = True) -> Registry:
    """Build a registry from entry points (default: the installed ones)."""
    if eps is None:
        eps = entry_points(group=GROUP)
    only = os.environ.get("COCOCONV_PLUGINS")
    wanted = {name.strip() for name in only.split(",")} if only else None
    registry = Registry()
    for ep in sorted(eps, key=lambda e: e.name):
        if wanted is not None and ep.name not in wanted:
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None) or "unknown distribution"
        origin = f"{ep.name} ({dist})"
        try:
            plugins = ep.load()
            plugins = tuple(plugins)
        except Exception as exc:  # a broken third-party plugin must not stop the rest
            registry.broken.append(BrokenPlugin(f"{ep.name}:{ep.value}", dist,
                                                f"{type(exc).__name__}: {exc}"))
            if warn:
                print(f"warning: plugin {ep.name} from {dist} failed to load: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for plugin in plugins:
            registry.add(plugin, origin)
    return registry


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The installed plugins, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_registry()
    return _DEFAULT
