"""A stream's item names for a VOC export, checked without holding its items.

naming.py maps each item's id and subset before any file is written, and that needs every
id first (an id met twice is written as ``<subset>/<id>``, both times). A stream's first
walk (the plan's survey) records each item's id, subset and, when ``--save-images`` keeps
the image's own suffix, its image name (``StreamIds.add``); ``check`` then runs
naming.py's rules over those names in item order, with the same warnings, errors and bad
records as for a Dataset, and says which positions of the walk are dropped. Later walks
(``KeptItems``) skip those and map the rest the same way. What is held is the names, not
the items: some 100 bytes an item.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterator

from cococonv.model import Image, Item, Source
from cococonv.paths import iter_writable
from cococonv.report import Report

from .naming import IdMapper

_NO_ANNOTATIONS: list = []
_NO_FIELDS: dict = {}


class StreamIds:
    """The names of a stream's items in walk order (``add`` each item of one walk)."""

    def __init__(self, *, save_images: bool, image_ext: str | None):
        self.save_images, self.image_ext = save_images, image_ext
        self.ids: list[str] = []
        self.subset_of = array("I")  # each item's subset, as its index in ``subsets``
        self.subsets: dict[str, int] = {}
        self.seen: set[str] = set()
        self.repeated: set[str] = set()
        # the image names, only where naming.py checks them (their suffix joins the id)
        self.images: list[str | None] | None = [] if save_images and not image_ext else None

    def add(self, item: Item) -> None:
        item_id = item.id
        if item_id in self.seen:
            self.repeated.add(item_id)
        else:
            self.seen.add(item_id)
        self.ids.append(item_id)
        index = self.subsets.get(item.subset)
        if index is None:
            index = self.subsets[item.subset] = len(self.subsets)
        self.subset_of.append(index)
        if self.images is not None:
            self.images.append(item.image.name if item.image is not None else None)

    def check(self, report: Report) -> tuple[IdMapper, set[int]]:
        """naming.py's checks over the names in walk order (errors and bad records as for a
        Dataset): the mapper later walks prepare their items with, and the positions
        dropped as bad records."""
        self.seen = set()  # not needed past the walk
        names = list(self.subsets)
        mapper = IdMapper(self.repeated, names, report, save_images=self.save_images,
                          image_ext=self.image_ext)
        dropped: set[int] = set()
        expected = 0
        # Each stand-in carries its walk position as its image_id, kept by the mapper.
        for item in iter_writable(self._stand_ins(names), report, mapper):
            position = item.image_id
            dropped.update(range(expected, position))  # type: ignore[arg-type]
            expected = position + 1  # type: ignore[operator]
        dropped.update(range(expected, len(self.ids)))
        mapper.report(report, self._example(names))
        return mapper, dropped

    def _stand_ins(self, names: list[str]) -> Iterator[Item]:
        """Items holding only what naming.py reads: the id, the subset, the image name."""
        images, subset_of = self.images, self.subset_of
        for position, item_id in enumerate(self.ids):
            name = images[position] if images is not None else None
            yield Item(item_id, names[subset_of[position]],
                       Image(name) if name is not None else None, _NO_ANNOTATIONS,
                       _NO_FIELDS, _NO_FIELDS, position)

    def _example(self, names: list[str]) -> tuple[str, list[str]] | None:
        """The repeated id met first, with its first two subsets (for the warning)."""
        if not self.repeated:
            return None
        first: str | None = None
        subsets: list[str] = []
        for position, item_id in enumerate(self.ids):
            if (first is None and item_id in self.repeated) or item_id == first:
                first = item_id
                subsets.append(names[self.subset_of[position]])
                if len(subsets) == 2:
                    break
        return first, subsets  # type: ignore[return-value]


class KeptItems:
    """A later walk of the stream: the items ``StreamIds.check`` kept, mapped by its
    mapper (each walk yields the same items, as the stream does)."""

    def __init__(self, source: Source, mapper: IdMapper, dropped: set[int]):
        self.source, self.mapper, self.dropped = source, mapper, dropped

    def __iter__(self) -> Iterator[Item]:
        prepare, dropped = self.mapper, self.dropped
        for position, item in enumerate(self.source):
            if not dropped or position not in dropped:
                yield prepare(item)[0]
