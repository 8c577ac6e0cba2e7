"""The VOC export plan's one pass over the items (export_plan.py decides from it): which
tasks have content, the labels the annotations use, the parts found in groups, the
subsets; gathered an item at a time, so that a stream is planned without holding its
items (a Dataset's objects are kept, ``keep_units``, to be numbered without a second
gathering)."""
from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Any

from cococonv.model import Item, Label

from . import layout as L
from .parts import FoundParts, ObjectUnit, gather_units

_LABEL = attrgetter("label")


class Survey:
    """What the plan needs of every item: ``has`` (task -> content found, seeded with the
    tasks a VOC source had), ``uses`` (label index -> annotations naming it), ``parts``
    (found in the groups when no label map declares them), ``subsets`` in first-seen
    order, and with ``keep_units`` each item with its objects."""

    def __init__(self, names: list[str], meta: dict[str, Any],
                 declared_parts: dict[str, set[str]], *, keep_units: bool):
        self.names, self.declared = names, declared_parts
        had = set(meta.get("tasks", ()))
        self.has = {task: task in had for task in L.TASKS}
        self.actions_of = _actions_of(meta, names)
        self.uses: Counter = Counter()
        self.parts = FoundParts()
        self.subsets: dict[str, None] = {}
        self.pairs: list[tuple[Item, list[ObjectUnit]]] | None = [] if keep_units else None

    def add(self, item: Item) -> None:
        anns = item.annotations
        units = gather_units(anns, self.names, self.declared)
        if self.pairs is not None:
            self.pairs.append((item, units))
        self.subsets.setdefault(item.subset, None)
        self.uses.update(map(_LABEL, anns))
        if not self.declared:
            self.parts.add(units)
        has = self.has
        if not has[L.CLASSIFICATION] and any(type(a) is Label and not a.extra.get("voc")
                                             for a in anns):
            has[L.CLASSIFICATION] = True
        if not has[L.DETECTION] and any(u.box is not None or u.shapes for u in units):
            has[L.DETECTION] = True
        if not has[L.SEGMENTATION] and (item.ignore or any(u.shapes for u in units)):
            has[L.SEGMENTATION] = True
        if not has[L.LAYOUT] and any(u.parts for u in units):
            has[L.LAYOUT] = True
        actions_of = self.actions_of
        if actions_of and not has[L.ACTION]:
            for ann in anns:
                actions = actions_of.get(ann.label)
                if actions and actions & set(ann.attributes):
                    has[L.ACTION] = True
                    break

    def label_counts(self, wanted: set[str]) -> Counter:
        """Annotations per label name, for the names in ``wanted``."""
        counts: Counter = Counter()
        for index, count in self.uses.items():
            if index is not None and self.names[index] in wanted:
                counts[self.names[index]] += count
        return counts


def _actions_of(meta: dict[str, Any], names: list[str]) -> dict[int, set]:
    """Label index -> the actions a VOC source's label map gives it (one pass over the
    annotations whatever the number of labels: 200,000 labels with actions were a pass
    each)."""
    position = label_positions(names)
    actions_of: dict[int, set] = {}
    for entry in meta.get("labelmap", ()):
        if entry.get("actions") and entry["name"] in position:
            actions_of.setdefault(position[entry["name"]], set()).update(entry["actions"])
    return actions_of


def label_positions(names: list[str]) -> dict[str, int]:
    """Each label name's first index (list.index per name was quadratic)."""
    position: dict[str, int] = {}
    for index, name in enumerate(names):
        position.setdefault(name, index)
    return position
