"""Which ``extra`` keys of an annotation an exporter of another format drops, for the report.

An exporter writes its own namespace (``extra["cvat"]``) and nothing else of ``extra``
(cococonv/model.py). Every other key is a source value the output loses (Encord's
``track_id``, a RedBrick classification's ``name``), except the keys an importer keeps only
to write its own format back the same way, which hold nothing a user gave.

Another plugin's namespace is that format's to write back, so it is no loss in itself. A
plugin whose namespace also holds values the source gave (SA-1B's ``predicted_iou``, the
unknown keys of a LabelMe shape) declares those keys in ``Plugin.source_fields``; the
registry hands them over with the namespaces (:class:`Namespaces`), and every exporter
that counts through this module reports them as ``NAMESPACE.FIELD``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: Kept by the COCO importer for its own round trip: the declared box and area (also typed
#: fields), the task file a record came from, the keypoint count (derived) and the
#: exporter's private markers (names starting with ``_``).
_BOOKKEEPING = frozenset({"bbox", "area", "coco_task", "num_keypoints"})

#: At most this many field names get a report line of their own; the rest share one, so
#: no input decides how many entries a report holds.
MAX_NAMED = 20
OTHERS = "other fields"


class Namespaces(frozenset):
    """The ``extra`` namespaces of a run's plugins, plus ``source``: for each namespace
    that holds source data, the keys that do (``Plugin.source_fields``; ``"keys.*"`` says
    each key of the dict under ``keys`` is one field). A frozenset, so code that only
    asks "is this a namespace" needs no change; it survives ``-`` and pickling."""

    source: dict[str, tuple[str, ...]]

    def __new__(cls, names: Iterable[str] = (),
                source: Mapping[str, Iterable[str]] | None = None) -> "Namespaces":
        made = super().__new__(cls, names)
        made.source = {name: tuple(fields) for name, fields in (source or {}).items()
                       if fields and name in made}
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Namespaces, (tuple(self), self.source))

    def __sub__(self, other: Any) -> "Namespaces":
        return Namespaces(frozenset(self) - other, self.source)


def source_fields(namespace: str, value: Mapping[str, Any],
                  namespaces: frozenset[str]) -> list[str]:
    """The source data another plugin's namespace holds, as ``namespace.field`` names
    (empty for a namespace of bookkeeping only, or when ``namespaces`` declares none)."""
    declared = getattr(namespaces, "source", {}).get(namespace, ())
    names = []
    for field in declared:
        if field.endswith(".*"):
            inner = value.get(field[:-2])
            if type(inner) is dict:
                names += [f"{namespace}.{key}" for key in inner]
        elif field in value:
            names.append(f"{namespace}.{field}")
    return names


def dropped_fields(extra: Mapping[str, Any], own: str,
                   namespaces: Callable[[], frozenset[str]]) -> list[str]:
    """The keys of ``extra`` an exporter whose namespace is ``own`` cannot write: the source
    format's own fields, and the source data another plugin's namespace holds (see
    :func:`source_fields`). The rest of such a namespace (a dict under a name
    ``namespaces()`` holds) is that format's to write and is not counted here;
    ``namespaces`` is called only when such a key turns up (finding them loads every
    plugin)."""
    found = []
    for key, value in extra.items():
        if key == own or key in _BOOKKEEPING or (type(key) is str and key.startswith("_")):
            continue
        if type(value) is dict:
            known = namespaces()
            if key in known:
                found += source_fields(key, value, known)
                continue
        found.append(key)
    return found


#: Joins the parts of a name :func:`outline` gives (no field name holds it).
_SEP = "\x00"


def outline(extra: Mapping[str, Any], own: str) -> list[str]:
    """What :func:`dropped_fields` would judge, for per-item work in workers, which cannot
    ask the run's namespaces: a plain key as it is, a dict-valued one as ``KEY``, each of
    its keys and each key of a dict under those (joined by ``_SEP``); :func:`settle`
    judges the counted outlines in the parent. (Judging in the worker would need the
    namespaces, which load every plugin, and an item of almost every source has a
    dict-valued extra: COCO's image record. The names are as many as the items' own
    keys; the exporters using this hold their items or output whole anyway.)"""
    found = []
    for key, value in extra.items():
        if key == own or key in _BOOKKEEPING or (type(key) is str and key.startswith("_")):
            continue
        if type(value) is not dict:
            found.append(str(key))
            continue
        found.append(f"{key}{_SEP}")
        for field, inner in value.items():
            found.append(f"{key}{_SEP}{field}")
            if type(inner) is dict:
                found += [f"{key}{_SEP}{field}{_SEP}{name}" for name in inner]
    return found


def settle(outlines: Mapping[str, int], namespaces: Callable[[], frozenset[str]],
           counts: dict[str, int]) -> None:
    """Add to ``counts`` (as :func:`count_dropped` does) the lost fields that counted
    :func:`outline` names stand for, judged by the run's namespaces (asked for only when
    a dict-valued key is among them)."""
    for name, count in outlines.items():
        if _SEP not in name:
            add(counts, name, count)
            continue
        key, _, rest = name.partition(_SEP)
        known = namespaces()
        if key not in known:
            if not rest:
                add(counts, key, count)
            continue
        for field in getattr(known, "source", {}).get(key, ()):
            if field.endswith(".*") and rest.startswith(field[:-2] + _SEP):
                add(counts, f"{key}.{rest[len(field) - 1:]}", count)
            elif rest == field:
                add(counts, f"{key}.{field}", count)


def count_dropped(annotations: Iterable[Any], own: str,
                  namespaces: Callable[[], frozenset[str]], counts: dict[str, int]) -> None:
    """Add to ``counts`` (field name -> records) the fields ``annotations`` lose; the shapes
    of one source record share its ``extra`` and count once."""
    seen: set[int] = set()
    for ann in annotations:
        extra = ann.extra
        if not extra or id(extra) in seen or extra.keys() == {own}:
            continue
        seen.add(id(extra))
        for key in dropped_fields(extra, own, namespaces):
            add(counts, str(key), 1)


def add(counts: dict[str, int], name: str, count: int) -> None:
    """``counts[name] += count``, under :data:`OTHERS` once :data:`MAX_NAMED` names are in."""
    if name not in counts and len(counts) >= MAX_NAMED:
        name = OTHERS
    counts[name] = counts.get(name, 0) + count


def what(name: str, of: str = "annotation") -> str:
    """The report's *what* for one dropped field of an annotation (or, ``of="image"``, of
    an item); its nouns excuse attributes only."""
    return f"{of} fields of other formats: {name}"
