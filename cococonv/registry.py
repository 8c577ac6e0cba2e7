"""Finds plugins through the ``cococonv.plugins`` entry-point group, built-ins included.

Each entry point resolves to a tuple ``PLUGINS`` of plugin classes. A package that fails to
import is reported once and listed as broken; two plugins of one kind with one name are
an error naming both. ``COCOCONV_PLUGINS=coco,voc`` loads only the named entry points.

Loading is lazy: looking up ``coco_instances`` first loads the entry point named ``coco``
(the name's prefix) and loads the others only if that does not provide it; listing or
detecting loads them all. A small conversion so imports one plugin package, not every one
(measured: 80-150 ms less per run).

Names are matched without regard to case (``-f COCO`` is ``coco``), here and not in the CLI,
so the API and the command line accept the same spellings; two plugins whose names differ
only in case are therefore the same name.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import CococonvError, UnknownFormatError
from .foreign_fields import Namespaces
from .plugin import Exporter, Importer, Plugin, Transform

GROUP = "cococonv.plugins"
KINDS = {"importer": Importer, "exporter": Exporter, "transform": Transform}


@dataclass
class BrokenPlugin:
    entry_point: str
    distribution: str
    error: str


class Registry:
    """Plugins by kind and name, loaded from entry points on demand."""

    def __init__(self, eps: Iterable[Any] = (), *, warn: bool = True):
        self._tables: dict[str, dict[str, type[Plugin]]] = {kind: {} for kind in KINDS}
        self._pending: dict[str, Any] = {}
        self.broken: list[BrokenPlugin] = []
        self.origin: dict[tuple[str, str], str] = {}
        self.warn = warn
        for ep in sorted(eps, key=lambda e: e.name):
            self._pending.setdefault(ep.name, ep)

    # -- loading -------------------------------------------------------------------------
    def _load(self, name: str) -> None:
        ep = self._pending.pop(name, None)
        if ep is None:
            return
        dist = getattr(getattr(ep, "dist", None), "name", None) or "unknown distribution"
        origin = f"{ep.name} ({dist})"
        try:
            plugins = tuple(ep.load())
        except Exception as exc:  # a broken third-party plugin must not stop the rest
            self.broken.append(BrokenPlugin(f"{ep.name}:{ep.value}", dist,
                                            f"{type(exc).__name__}: {exc}"))
            if self.warn:
                print(f"warning: plugin {ep.name} from {dist} failed to load: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return
        for plugin in plugins:
            self.add(plugin, origin)

    def load_all(self) -> "Registry":
        for name in list(self._pending):
            self._load(name)
        return self

    def add(self, plugin: type[Plugin], origin: str) -> None:
        kind = plugin.kind
        if kind not in KINDS or not plugin.name:
            raise CococonvError(f"plugin {plugin.__qualname__} from {origin} has no name or kind")
        table = self._tables[kind]
        clash = self._spelling(kind, plugin.name)
        if clash is not None:
            raise CococonvError(f"two {kind}s are named {plugin.name!r}: "
                                f"{self.origin[(kind, clash)]} and {origin}")
        table[plugin.name] = plugin
        self.origin[(kind, plugin.name)] = origin

    # -- lookup --------------------------------------------------------------------------
    def table(self, kind: str) -> dict[str, type[Plugin]]:
        """Every plugin of a kind (loads all entry points)."""
        self.load_all()
        return self._tables[kind]

    @property
    def importers(self) -> dict[str, type[Importer]]:
        return self.table("importer")  # type: ignore[return-value]

    @property
    def exporters(self) -> dict[str, type[Exporter]]:
        return self.table("exporter")  # type: ignore[return-value]

    @property
    def transforms(self) -> dict[str, type[Transform]]:
        return self.table("transform")  # type: ignore[return-value]

    def namespaces(self) -> Namespaces:
        """The ``extra`` namespaces every plugin declares, with the source fields each
        holds (``Plugin.source_fields``, of its importer and exporter; loads all entry
        points)."""
        self.load_all()
        plugins = [plugin for table in self._tables.values() for plugin in table.values()
                   if plugin.namespace]
        source: dict[str, list[str]] = {}
        for plugin in plugins:
            fields = source.setdefault(plugin.namespace, [])
            fields += [f for f in plugin.source_fields if f not in fields]
        return Namespaces((plugin.namespace for plugin in plugins), source)

    def _spelling(self, kind: str, name: str) -> str | None:
        """The registered spelling of ``name`` among the plugins loaded so far."""
        table = self._tables[kind]
        if name in table:
            return name
        folded = name.casefold()
        for known in table:
            if known.casefold() == folded:
                return known
        return None

    def resolve(self, kind: str, name: str | None) -> str | None:
        """The registered name a user's spelling refers to (any case), or None."""
        if not name:
            return None
        found = self._spelling(kind, name)
        if found is None:
            prefix = name.split("_")[0].casefold()
            for ep_name in [n for n in self._pending if n.casefold() == prefix]:
                self._load(ep_name)
            found = self._spelling(kind, name)
        if found is None:
            self.load_all()
            found = self._spelling(kind, name)
        return found

    def has(self, kind: str, name: str | None) -> bool:
        return self.resolve(kind, name) is not None

    def get(self, kind: str, name: str) -> type[Plugin]:
        found = self.resolve(kind, name)
        if found is None:
            table = self._tables[kind]
            known = ", ".join(sorted(table)) or "none"
            hint = ""
            for broken in self.broken:
                if broken.entry_point.split(":")[0].casefold() == name.split("_")[0].casefold():
                    hint = f" (plugin {broken.entry_point} failed to load: {broken.error})"
            raise UnknownFormatError(f"unknown {kind} {name!r}{hint}; known: {known}")
        return self._tables[kind][found]

    def importer(self, name: str) -> type[Importer]:
        return self.get("importer", name)  # type: ignore[return-value]

    def exporter(self, name: str) -> type[Exporter]:
        return self.get("exporter", name)  # type: ignore[return-value]

    def transform(self, name: str) -> type[Transform]:
        return self.get("transform", name)  # type: ignore[return-value]


def _installed() -> list[Any]:
    from .entry_points import group_entry_points

    found = group_entry_points(GROUP)  # without importlib.metadata's 18 ms of imports
    if found is None:  # a zip on sys.path
        from importlib.metadata import entry_points
        found = list(entry_points(group=GROUP))
    return found


def load_registry(eps: Iterable[Any] | None = None, *, warn: bool = True,
                  lazy: bool = False) -> Registry:
    """A registry of the given entry points (default: the installed ones).

    Eager unless ``lazy``: then entry points load when first needed.
    """
    eps = _installed() if eps is None else list(eps)
    only = os.environ.get("COCOCONV_PLUGINS")
    if only:
        wanted = {name.strip() for name in only.split(",")}
        eps = [ep for ep in eps if ep.name in wanted]
    registry = Registry(eps, warn=warn)
    return registry if lazy else registry.load_all()


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The installed plugins, each loaded when first needed, once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_registry(lazy=True)
    return _DEFAULT
