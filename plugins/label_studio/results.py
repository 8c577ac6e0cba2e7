"""Results that are not shapes: per-region attributes (choices, textarea, number, rating,
datetime, taxonomy sharing a region's id), and the links between regions (``parentID``
as the model's groups, ``relation`` results as a ``relations`` attribute)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cococonv.errors import DataError
from cococonv.model import Annotation, Item

ATTRIBUTE_TYPES = ("choices", "textarea", "number", "rating", "datetime", "taxonomy")
_VALUE_KEYS = {"choices": "choices", "textarea": "text", "number": "number",
               "rating": "rating", "datetime": "datetime", "taxonomy": "taxonomy"}

Err = Callable[[str, str], DataError]


def attribute_value(result: dict, where: str, error: Err) -> tuple[str, Any]:
    """``(name, value)`` of an attribute result: a one-choice control named like its only
    choice is a checkbox (True), other choices and texts are text, numbers stay numbers."""
    name = result.get("from_name")
    if type(name) is not str or not name:
        raise error("an attribute result needs its 'from_name'", where)
    rtype = result["type"]
    key = _VALUE_KEYS[rtype]
    got = result["value"].get(key)
    place = f"{where}.value.{key}"
    if rtype in ("number", "rating"):
        if type(got) not in (int, float):
            raise error(f"must be a number, got {got!r}"[:80], place)
        return name, got
    if rtype == "taxonomy":
        if type(got) is not list or any(type(p) is not list for p in got):
            raise error("must be a list of label paths", place)
        return name, "; ".join("/".join(str(s) for s in path) for path in got)
    values = [got] if type(got) is str else got
    if type(values) is not list or any(type(v) is not str for v in values):
        raise error("must be a list of strings", place)
    if rtype == "choices" and values == [name]:
        return name, True
    return name, (", " if rtype == "choices" else "\n").join(values)


def link_regions(item: Item, made: dict[Any, Annotation], regions: dict[Any, list],
                 relations: list[tuple[str, dict]], error: Err) -> None:
    """Regions tied by ``parentID`` share a group (the root's); ``relation`` results
    become the ``relations`` attribute of their source region (JSON text)."""
    parents: dict[Any, Any] = {}
    for rid in made:
        for _, r in regions[rid]:
            parent = r.get("parentID")
            if parent is not None and parent in made and parent != rid:
                parents[rid] = parent
    used = {a.group for a in item.annotations if a.group}
    roots: dict[Any, int] = {}
    root_of = _roots(parents)
    has_children = set(parents.values())
    for rid, ann in made.items():
        root = root_of.get(rid, rid)
        if root == rid and rid not in has_children:
            continue
        if root not in roots:
            number = max(used, default=0) + 1
            used.add(number)
            roots[root] = number
        ann.group = roots[root]
    by_source: dict[Any, list[dict]] = {}
    for where, r in relations:
        source, target = r.get("from_id"), r.get("to_id")
        if source not in made or target not in made:
            raise error(f"a relation between {source!r} and {target!r}, which are not "
                        f"both regions of this annotation", where)
        link: dict[str, Any] = {"to": target}
        if r.get("direction") not in (None, "right"):
            link["direction"] = r["direction"]
        labels = (r.get("labels") or [])
        if labels:
            link["labels"] = labels
        by_source.setdefault(source, []).append(link)
    for source, links in by_source.items():
        made[source].attributes["relations"] = orjson.dumps(links).decode()


def _roots(parents: dict[Any, Any]) -> dict[Any, Any]:
    """The root of each region with a parent, every chain walked once (a long chain of
    ``parentID`` links costs its length, not its square); a cycle's root is the region
    where the walk met itself."""
    root_of: dict[Any, Any] = {}
    for start in parents:
        path, node, seen = [], start, set()
        while node in parents and node not in root_of and node not in seen:
            seen.add(node)
            path.append(node)
            node = parents[node]
        root = root_of.get(node, node)
        for member in path:
            root_of[member] = root
    return root_of


def relations_of(ann: Annotation) -> list[dict] | None:
    """The links a ``relations`` attribute holds, or None when it is not ours to read."""
    text = ann.attributes.get("relations")
    if type(text) is not str:
        return None
    try:
        links = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(links) is not list or any(type(x) is not dict or "to" not in x for x in links):
        return None
    return links
