"""What the in-memory reader's record code sees when it reads one batch of a stream.

The streaming source (stream_source.py) hands images.py, objects.py and simple_kinds.py a
batch of records at a time; this scope makes that invisible in what they report: error
places are the records' positions in the file, the per-file warnings are given once a
file, and an ``image_id`` naming no image is refused naming the file's images.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Item
from cococonv.report import Report
from cococonv.sources import Tree

from .images import ImageTable
from .reader import CocoReader
from .records import ID_TYPES

_ANN_PLACE = re.compile(r"annotations\[(\d+)\]")
DUPLICATES = "annotations reuse an id already used in this file; ids are kept as they are"
_KEYPOINTS = re.compile(r"^(.*): category (.*) names (\d+) keypoints, but (\d+) annotations? "
                        r"hold (.*); kept as given$")


class ItemKeys:
    """What ImageTable asks of its dataset (is this item id taken?), keeping keys only."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()

    def get(self, subset: str, item_id: str) -> Any:
        return True if (subset, item_id) in self.keys else None

    def add(self, item: Item) -> Item:
        self.keys.add((item.subset, item.id))
        return item


class BatchReport:
    """The run's report as one batch's readers see it: places renumbered to the file's,
    no progress bar per batch, and the per-file warnings held to be given once a file."""

    def __init__(self, scope: "StreamScope", report: Report | None):
        self.scope = scope
        self.report = report  # None: a later walk, which reports nothing again
        self.keypoints: dict[tuple[str, str, str], list] = {}

    def bad_record(self, error: DataError) -> None:
        if self.report is not None:
            self.report.bad_record(error)

    def lost(self, what: str, why: str, count: int = 1) -> None:
        if self.report is not None:
            self.report.lost(what, why, count)

    def approximated(self, what: str, how: str, count: int = 1) -> None:
        if self.report is not None:
            self.report.approximated(what, how, count)

    def info(self, message: str) -> None:
        if self.report is not None:
            self.report.info(message)

    def progress(self, iterable: Any, **_: Any) -> Iterator[Any]:
        return iter(iterable)

    def warn(self, message: str) -> None:
        if self.report is None or message.endswith(DUPLICATES):
            return  # duplicate ids are counted over the whole file by the index
        found = _KEYPOINTS.match(message)
        if found is not None:
            key = (found.group(1), found.group(2), found.group(3))
            total, held = self.keypoints.setdefault(key, [0, set()])
            self.keypoints[key][0] = total + int(found.group(4))
            held.update(found.group(5).split(" or "))
            return
        self.report.warn(self.scope.placed(message))

    def flush(self) -> None:
        """The keypoint-count warnings of the file, summed over its batches."""
        for (display, name, names), (total, held) in self.keypoints.items():
            shown = " or ".join(sorted(held, key=int))
            self.report.warn(f"{display}: category {name} names {names} keypoints, but "
                             f"{total} annotation{'s' if total != 1 else ''} hold {shown}; "
                             f"kept as given")
        self.keypoints = {}


class StreamImages(ImageTable):
    """ImageTable for one batch at a time: an unknown ``image_id`` is refused naming the
    file's images (``file_ids``, those read so far without error), as the in-memory
    reader, which holds them all, does."""

    file_ids: list[Any] = []  # the file's image ids, in file order
    failed: set[int] = set()  # positions of the images refused so far

    def item_of(self, ann: dict, i: int) -> tuple[Item, int | None, int | None]:
        iid = ann.get("image_id")
        if type(iid) not in ID_TYPES or iid in self.image_map:
            return super().item_of(ann, i)
        failed = self.failed
        cached = getattr(self, "_known", None)
        if cached is None or cached[0] is not self.file_ids or cached[1] != len(failed):
            # made again only when an image was refused since: not once per record
            cached = self._known = (self.file_ids, len(failed), dict.fromkeys(
                value for k, value in enumerate(self.file_ids)
                if k not in failed and type(value) in ID_TYPES))
        batch, self.image_map = self.image_map, cached[2]  # type: ignore[assignment]
        try:
            return super().item_of(ann, i)
        finally:
            self.image_map = batch


class StreamScope(CocoReader):
    """The reader's scope for one batch of records: places are file positions."""

    def __init__(self, tree: Tree, report: Report, run_map: Any):
        super().__init__(tree, report, run_map)
        self.batch_report = BatchReport(self, report)
        self.report = self.batch_report  # type: ignore[assignment]
        self.images = StreamImages(self, ItemKeys())  # type: ignore[arg-type]
        self.positions: Any = None

    def placed(self, text: str) -> str:
        """``annotations[k]`` of the batch as the file's position."""
        positions = self.positions
        if positions is None:
            return text
        return _ANN_PLACE.sub(lambda m: f"annotations[{positions[int(m.group(1))]}]", text)

    def error(self, message: str, where: str) -> DataError:
        return DataError(self.placed(message), file=self.display, where=self.placed(where))
