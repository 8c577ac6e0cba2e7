"""The SA-1B Source: one item per JSON file, each file read when its item is produced.

SA-1B is 11 million such files, so nothing here holds them all: the items are a generator
over the sorted file list, and a walk keeps one file's values at a time (the list of names
and the names of files that had bad records are all it remembers). Each walk reads the
files again and yields the same items; what a walk reports (bad records under
``--on-error skip``, the files left out) is reported once, by the first walk that meets it.
"""
from __future__ import annotations

import io
import os
import posixpath
from collections.abc import Iterator
from typing import Any, BinaryIO

from cococonv.errors import DataError
from cococonv.fileio import loads_json
from cococonv.images import probe_size
from cococonv.model import Categories, Image, Item, LabelCategory
from cococonv.paths import lookup_relpath
from cococonv.report import Report
from cococonv.sources import FileTree, Tree

from . import fields
from .fields import NAMESPACE
from .layout import SaFile, subsets_of

#: The largest JSON file read as one item (SA-1B's are a few MB for ~100 masks): parsed,
#: a file costs several times its size, so one file may not decide a run's memory.
MAX_FILE_BYTES = 128 << 20


class SegmentAnythingSource:
    """Categories (the one class ``--label`` names) and meta up front, then the items."""

    def __init__(self, tree: Tree, files: list[SaFile], report: Report, label: str):
        self.tree = tree
        self.files = files
        self.report = report
        self.categories = Categories()
        self.label = None
        if label:
            # marked as ours: it is no class of the data, so writing SA again loses nothing
            self.label = len(self.categories.labels)
            self.categories.labels.append(LabelCategory(label, extra={NAMESPACE:
                                                                       {"assigned": True}}))
        self.meta: dict[str, Any] = {}
        self.subsets = subsets_of(files)
        self._noted: set[str] = set()  # files whose bad records were reported
        self.counted: tuple[int, int] | None = None  # items and annotations of a whole walk
        self._warned = False

    def __iter__(self) -> Iterator[Item]:
        left_out: list[str] = []
        produced = annotations = 0
        for source in self.report.progress(self.files, desc="segment_anything files"):
            item = self._read(source, left_out)
            if item is not None:
                produced += 1
                annotations += len(item.annotations)
                yield item
        self._end_of_walk(left_out, produced)
        self.counted = (produced, annotations)  # for the run's "wrote N items" (Written.of)

    def _read(self, source: SaFile, left_out: list[str]) -> Item | None:
        display = self.tree.display(source.rel)
        quiet = source.rel in self._noted
        try:
            doc = _parse(self.tree, source.rel, display)
        except DataError as err:
            self._bad(err, source.rel, quiet)
            return None
        if type(doc) is not dict or not all(key in doc for key in fields.FILE_KEYS):
            left_out.append(display)
            return None
        try:
            item = self._item(source, doc)
        except DataError as err:
            self._bad(err.located(file=display), source.rel, quiet)
            return None
        self._annotations(item, doc["annotations"], display, quiet, source.rel)
        return item

    def _bad(self, err: DataError, rel: str, quiet: bool) -> None:
        if not quiet:
            self._noted.add(rel)
            self.report.bad_record(err)

    def _item(self, source: SaFile, doc: dict[str, Any]) -> Item:
        record = doc["image"]
        if type(record) is not dict:
            raise DataError(f"must be an object, got {type(record).__name__}", where="image")
        if type(doc["annotations"]) is not list:
            raise DataError(f"must be a list, got {type(doc['annotations']).__name__}",
                            where="annotations")
        name = fields.file_name(record)
        folder = posixpath.dirname(source.item_id)
        image = Image(name=posixpath.join(folder, name) if folder else name,
                      size=fields.image_size(record))
        if self._bind(image, source.rel, name) and image.size is None:
            probe_size(image)
        item = Item(id=source.item_id, subset=source.subset, image=image,
                    image_id=fields.image_id(record))
        own = {}
        keys = fields.unknown_keys(doc, fields.FILE_KEYS)
        if keys:
            own["keys"] = keys
        image_keys = fields.unknown_keys(record, fields.IMAGE_KEYS)
        if image_keys:
            own["image_keys"] = image_keys
        if own:
            item.extra[NAMESPACE] = own
        return item

    def _annotations(self, item: Item, records: list[Any], display: str, quiet: bool,
                     rel: str) -> None:
        size = item.image.size if item.image is not None else None
        for index, record in enumerate(records):
            try:
                item.annotations.append(fields.read_annotation(record, size, self.label))
            except DataError as err:
                place = f"annotations[{index}]" + (f".{err.where}" if err.where else "")
                err.where = None
                self._bad(err.located(file=display, where=place), rel, quiet)

    def _bind(self, image: Image, rel: str, name: str) -> bool:
        """Point ``image`` at its file, looked up beside the JSON (a name leaving that
        folder by its tail: never outside the input); False when it is not there."""
        tail = lookup_relpath(name)
        if tail is None:
            return False
        wanted = posixpath.join(posixpath.dirname(rel), tail)
        tree = self.tree
        if isinstance(tree, FileTree):
            for base, candidate in tree.image_lookups([wanted], ()):
                if base.exists(candidate):
                    base.bind_image(image, candidate)
                    return image.has_data
            return False
        if not tree.exists(wanted):
            return False
        tree.bind_image(image, wanted)
        return image.has_data

    def _end_of_walk(self, left_out: list[str], produced: int) -> None:
        if left_out and not produced and len(left_out) == len(self.files):
            raise DataError("no segment_anything files found: no .json file is an object "
                            "with \"image\" and \"annotations\"",
                            file=left_out[0] if len(left_out) == 1 else self.tree.name)
        if left_out and not self._warned:
            self._warned = True
            self.report.warn(f"{len(left_out)} .json file(s) are not segment_anything files "
                             f"(no \"image\" and \"annotations\") and were left out, e.g. "
                             f"{left_out[0]}")


def _parse(tree: Tree, rel: str, display: str) -> Any:
    with tree.open(rel) as fh:
        data = _read_bounded(fh)
    if data is None:
        raise DataError(f"more than {MAX_FILE_BYTES >> 20} MiB, the most one image's file "
                        f"may hold (docs/limits.md)", file=display)
    return loads_json(data, file=display)


def _read_bounded(fh: BinaryIO) -> bytes | None:
    """The file's bytes, None past MAX_FILE_BYTES. Sized first where the file can say
    (``read(MAX_FILE_BYTES + 1)`` would allocate that much for every file)."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = None
    if size is not None:
        return fh.read() if size <= MAX_FILE_BYTES else None
    parts, total = [], 0
    while total <= MAX_FILE_BYTES:
        part = fh.read(_CHUNK)
        if not part:
            return b"".join(parts)
        parts.append(part)
        total += len(part)
    return None


_CHUNK = 1 << 20
