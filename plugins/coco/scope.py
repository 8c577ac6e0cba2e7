"""What the annotation builders of every COCO kind share during one run.

The reader (reader.py) drives the files; the builders (objects.py, simple_kinds.py,
panoptic.py) only need this: the labels, the images, the group numbers and the error line.
Keeping it below all of them is what lets the reader import them without a cycle.
"""
from __future__ import annotations

from typing import Any

from cococonv.engine import map_items
from cococonv.model import Categories, Dataset, Item
from cococonv.report import Report
from cococonv.sources import Tree

from .images import ImageTable
from .labels import LabelTable
from .records import FileScope, RunMap


class CocoScope(FileScope):
    """The run's dataset, labels, images and object groups, and its engine (``run_map``,
    ``Context.map``: in this process unless given) for per-record heavy work."""

    def __init__(self, tree: Tree, report: Report, run_map: RunMap = map_items):
        super().__init__(tree, report)
        self.run_map = run_map
        self.categories = Categories()
        self.dataset = Dataset(self.categories, meta={"coco": {"files": {}}})
        self.labels = LabelTable(self, self.categories)
        self.images = ImageTable(self, self.dataset)
        self._group = 0
        # id(item) -> (group_id value -> model group, model groups the item uses)
        self._links: dict[int, tuple[dict[int, int], set[int]]] = {}

    def next_group(self, item: Item | None = None) -> int:
        """A group number no other object of ``item`` uses."""
        self._group += 1
        links = self._links.get(id(item)) if self._links and item is not None else None
        if links is not None:
            while self._group in links[1]:
                self._group += 1
            links[1].add(self._group)
        return self._group

    def link_group(self, item: Item, value: int) -> int:
        """The model group of an ``attributes["group_id"]`` link (see grouping.py): the
        value itself unless another object of the item already uses that number."""
        links = self._links.get(id(item))
        if links is None:
            links = self._links[id(item)] = ({}, {a.group for a in item.annotations if a.group})
        mapping, used = links
        group: Any = mapping.get(value)
        if group is None:
            group = value if value > 0 and value not in used else self.next_group(item)
            used.add(group)
            mapping[value] = group
        return group
