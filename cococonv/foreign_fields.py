"""Which ``extra`` keys of an annotation an exporter of another format drops, for the report.

An exporter writes its own namespace (``extra["cvat"]``) and nothing else of ``extra``
(cococonv/model.py). Every other key is a source value the output loses (Encord's
``track_id``, a RedBrick classification's ``name``), except the keys an importer keeps only
to write its own format back the same way, which hold nothing a user gave.
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


def dropped_fields(extra: Mapping[str, Any], own: str,
                   namespaces: Callable[[], frozenset[str]]) -> list[str]:
    """The keys of ``extra`` an exporter whose namespace is ``own`` cannot write: the source
    format's own fields. Another plugin's namespace (a dict under a name ``namespaces()``
    holds) is that format's to write and is not counted here; ``namespaces`` is called only
    when such a key turns up (finding them loads every plugin)."""
    found = []
    for key, value in extra.items():
        if key == own or key in _BOOKKEEPING or (type(key) is str and key.startswith("_")):
            continue
        if type(value) is dict and key in namespaces():
            continue
        found.append(key)
    return found


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


def what(name: str) -> str:
    """The report's *what* for one dropped field (its nouns excuse attributes only)."""
    return f"annotation fields of other formats: {name}"
