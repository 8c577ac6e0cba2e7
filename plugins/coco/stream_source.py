"""The streaming COCO source: items produced a batch at a time from indexed task files.

Each file is indexed once (stream_index.py); categories, info, licenses and unknown
top-level keys are read up front. A walk then reads a batch of images and the annotations
that name them, through the in-memory reader's own record code (images.py, objects.py,
simple_kinds.py), yields the batch's items and forgets them: memory tracks the index and
one batch, not the dataset. Error places are the records' positions in the file, as the
in-memory reader gives them; a later walk (exporters walk twice: plan, then records)
reports nothing again.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Categories, Item
from cococonv.report import Report
from cococonv.sources import Tree

from . import tasks as T
from .discovery import AnnotationFile
from .reader import annotation_reader
from .records import type_name
from .stream_index import FileIndex, NotStreamable, Spans
from .stream_scope import DUPLICATES, ItemKeys, StreamImages, StreamScope

#: Annotations decoded per batch (a batch is whole images: one larger image is one batch).
BATCH_RECORDS = 8192
#: Batches between two releases of the file's pages read (a release costs a page walk).
RELEASE_EVERY = 2


class _File:
    """One indexed task file and what its walk needs."""

    def __init__(self, source: AnnotationFile, index: FileIndex, task: str,
                 cat_map: dict, invent: bool):
        self.source, self.index, self.task = source, index, task
        self.cat_map, self.invent = cat_map, invent


class StreamedCoco:
    """A Source over COCO task files: categories and meta now, items on each walk."""

    def __init__(self, tree: Tree, report: Report, run_map: Any, files: list[AnnotationFile]):
        self.tree, self.report, self.run_map = tree, report, run_map
        self.scope = StreamScope(tree, report, run_map)
        self.categories: Categories = self.scope.categories
        self.meta: dict[str, Any] = self.scope.dataset.meta
        self.walks = 0
        self.counted: tuple[int, int] | None = None  # items, annotations of the last walk
        self.batches = 0
        self.files: list[_File] = []
        for source in files:
            if any(f.source.subset == source.subset for f in self.files):
                raise NotStreamable("two files of one subset meet on their images")
            try:
                self.files.append(self._index(source))
            except DataError as err:
                raise self._first(err) from None

    def _index(self, source: AnnotationFile) -> _File:
        scope = self.scope
        scope.display = display = self.tree.display(source.rel)
        with self.tree.open(source.rel) as handle:
            try:
                index = FileIndex(handle, display)
            except (ValueError, OSError) as exc:  # not a mappable file: an archive member
                raise NotStreamable(f"{display} is not a plain file ({exc})") from None
        sections = index.sections
        if "images" not in sections:
            raise NotStreamable("it has no images list")
        images = index.list_of("images")
        if not isinstance(images, (list, Spans)):
            raise scope.error(f"must be a list, got {type_name(images)}", "images")
        categories = index.decoded("categories")
        if categories is None:
            categories = []
        if not isinstance(categories, list):
            raise scope.error(f"must be a list, got {type_name(categories)}", "categories")
        annotations = index.list_of("annotations")
        has_annotations = annotations is not None
        annotations = annotations if annotations is not None else []
        if not isinstance(annotations, (list, Spans)):
            raise scope.error(f"must be a list, got {type_name(annotations)}", "annotations")
        task = source.task
        if task is None:
            sample = {"categories": categories}
            if has_annotations:
                sample["annotations"] = index.decode_records(annotations, range(
                    min(50, len(annotations))))
            task = T.guess_task(sample)
        if task == T.PANOPTIC or (task == T.IMAGE_INFO and annotations):
            raise NotStreamable(f"{task} files are read in memory")
        scope.task, scope.subset = task, source.subset
        cat_map = scope.labels.read_categories(categories, task)
        if not cat_map and task in (T.INSTANCES, T.STUFF, T.PERSON_KEYPOINTS, T.LABELS) \
                and annotations:
            raise NotStreamable("without categories its annotations may name new labels")
        top = {key: index.decoded(key) for key in sections
               if key not in ("images", "categories", "annotations")}
        file_meta = {"task": task, "subset": source.subset, "source": source.rel,
                     "categories": scope._label_objects(cat_map.values()),
                     "category_extra": [(self.categories.labels[i], extra) for i, extra
                                        in scope.labels.category_extra.items()],
                     "results": False, "has_annotations": has_annotations, "top": top}
        key = f"{task}_{source.subset}"
        while key in self.meta["coco"]["files"]:
            key += "+"
        self.meta["coco"]["files"][key] = file_meta
        if not file_meta["categories"]:
            file_meta["categories"] = scope._label_objects(scope.labels.cat_map.values())
        index.group(images, annotations)
        index.release()  # the parse read every page: the map keeps the spans valid
        index.read_randomly()
        return _File(source, index, task, cat_map, scope.labels.invent_categories)

    def __iter__(self) -> Iterator[Item]:
        scope = self.scope
        first = self.walks == 0
        self.walks += 1
        scope.batch_report.report = self.report if first else None
        scope._group = 0
        scope.images.dataset = ItemKeys()
        enabled = gc.isenabled()
        # Items are many small acyclic objects, freed by their reference counts: the
        # cyclic collector would only scan them (the in-memory reader pauses it too).
        gc.disable()
        try:
            items = annotations = 0
            for file in self.files:
                walk = self.report.progress(self._walk(file, first), total=len(
                    file.index.images), desc=f"{file.task} (walk {self.walks})")
                for item in walk:
                    items += 1
                    annotations += len(item.annotations)
                    yield item
            self.counted = (items, annotations)
        except DataError as err:
            raise self._first(err) from None
        finally:
            if enabled:
                gc.enable()
        scope.batch_report.report = None

    def _first(self, err: DataError) -> DataError:
        """Under ``--on-error fail``, the error the in-memory reader stops at."""
        if self.report.on_error != "fail":
            return err
        from .stream_check import first_error
        return first_error(self.scope, self.files, err)

    def _walk(self, file: _File, first: bool) -> Iterator[Item]:
        scope, index = self.scope, file.index
        scope.display = self.tree.display(file.source.rel)
        scope.task, scope.subset = file.task, file.source.subset
        scope.labels.cat_map, scope.labels.invent_categories = file.cat_map, file.invent
        table: StreamImages = scope.images  # type: ignore[assignment]
        table.file_ids, table.failed = index.image_ids, set()
        by_name: dict = {}
        read = annotation_reader(file.task)
        count = len(index.images)
        start = 0
        while start < count:
            stop = start + 1
            while stop < count and index.bounds[stop + 1] - index.bounds[start] <= BATCH_RECORDS:
                stop += 1
            yield from self._batch(file, read, table, by_name, start, stop)
            start = stop
        loose = index.loose
        if len(loose):
            table.image_map = {}
            for begin in range(0, len(loose), BATCH_RECORDS):
                self._annotations(file, read, loose[begin:begin + BATCH_RECORDS])
        if first:
            self._file_warnings(file)
        index.release()

    def _batch(self, file: _File, read: Any, table: StreamImages, by_name: dict,
               start: int, stop: int) -> Iterator[Item]:
        index, scope = file.index, self.scope
        table.image_map, table.image_index = {}, {}
        table.items_by_file, table.images_by_id = {}, {}
        scope._links = {}
        records = index.decode_records(index.images, range(start, stop))
        for k, img in enumerate(records, start):
            first = index.duplicate_ids.get(k)
            iid = img.get("id") if type(img) is dict else None
            if first is not None and iid not in table.image_map:
                table.image_map[iid] = None  # type: ignore[assignment]
                table.image_index[iid] = first
            try:
                table.read_image(img, k, file.source.subset, by_name)
            except DataError as err:
                table.failed.add(k)
                scope.report.bad_record(err)
            finally:
                if first is not None and table.image_map.get(iid) is None:
                    table.image_map.pop(iid, None)
        items = [entry[0] for entry in table.image_map.values()]
        positions = index.positions(start, stop)
        if len(positions):
            self._annotations(file, read, positions)
        self.batches += 1
        if self.batches % RELEASE_EVERY == 0:
            index.release()  # the pages read so far: RSS stays the index and a few batches
        yield from items

    def _annotations(self, file: _File, read: Any, positions: Any) -> None:
        scope = self.scope
        records = file.index.decode_records(file.index.annotations, positions)
        scope.positions = positions
        try:
            read(scope, records, file.task)
        finally:
            scope.positions = None

    def _file_warnings(self, file: _File) -> None:
        self.scope.batch_report.flush()
        duplicates = file.index.duplicate_records
        if duplicates and file.task in (T.INSTANCES, T.STUFF, T.PERSON_KEYPOINTS):
            self.report.warn(f"{self.scope.display}: {duplicates} {DUPLICATES}")

    def close(self) -> None:
        for file in self.files:
            file.index.close()
