"""Under ``--on-error fail``, the error the in-memory reader would have stopped at.

A stream reads images by batches and annotations grouped by image, so the first bad
record it meets need not be the first in the file. When one stops it, the files are
checked again in the in-memory reader's order (each file: categories, every image, then
every annotation in file order) and the first error found is the one raised: the user
gets the same line either way. Only a failing run pays for this pass.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Item
from cococonv.report import Report

from .reader import annotation_reader
from .stream_scope import ItemKeys, StreamImages, StreamScope

#: Records checked per call.
_CHUNK = 8192


def first_error(scope: StreamScope, files: Iterable[Any], found: DataError) -> DataError:
    """The first error of ``files`` (stream_source's ``_File``) in file order, else
    ``found``. Runs on a quiet report: the run is failing, nothing else is said."""
    saved = (scope.batch_report.report, scope.images, scope.labels.cat_map,
             scope.labels.invent_categories)
    scope.batch_report.report = Report("fail", quiet=True)
    try:
        for file in files:
            error = _check(scope, file)
            if error is not None:
                return error
        return found
    finally:
        (scope.batch_report.report, scope.images, scope.labels.cat_map,
         scope.labels.invent_categories) = saved
        scope.positions = None


def _check(scope: StreamScope, file: Any) -> DataError | None:
    index = file.index
    scope.display = scope.tree.display(file.source.rel)
    scope.task, scope.subset = file.task, file.source.subset
    scope.labels.cat_map, scope.labels.invent_categories = file.cat_map, file.invent
    table = scope.images = StreamImages(scope, ItemKeys())  # type: ignore[arg-type]
    table.file_ids, table.failed = index.image_ids, set()
    by_name: dict = {}
    try:
        for start in range(0, len(index.images), _CHUNK):
            stop = min(start + _CHUNK, len(index.images))
            records = index.decode_records(index.images, range(start, stop))
            for k, img in enumerate(records, start):
                table.read_image(img, k, file.source.subset, by_name)
                table.items_by_file, table.images_by_id = {}, {}
        # every image's size, on one item whose shapes are dropped after each chunk
        sink = Item("", file.source.subset)
        table.image_map = {iid: (sink, h, w) for iid, (_item, h, w)
                           in table.image_map.items()}
        read = annotation_reader(file.task)
        for start in range(0, len(index.annotations), _CHUNK):
            positions = range(start, min(start + _CHUNK, len(index.annotations)))
            records = index.decode_records(index.annotations, positions)
            scope.positions = positions
            read(scope, records, file.task)
            sink.annotations.clear()
            scope._links = {}
    except DataError as err:
        return err
    return None
