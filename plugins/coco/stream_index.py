"""Where every record of one COCO task file lies, without building a Python object for each.

The file is memory-mapped and parsed once by msgspec into ``Raw`` spans (views into the
map, no copy): the top-level sections, then one span per image and per annotation.
Annotations are grouped by the image their ``image_id`` names, in file order within an
image, as compact numpy arrays; each record's bytes are decoded only when its item is
produced (stream_source.py). Syntax errors and over-deep nesting are refused here with the
in-memory reader's own error lines (``fileio.loads_json`` makes them).
"""
from __future__ import annotations

import mmap
from typing import Any

import msgspec

from cococonv.errors import DataError
from cococonv.fileio import _json_error, loads_json

from .records import type_name

#: Records whose ``image_id`` is decoded per call while grouping (bounded temporary memory).
_GROUP_CHUNK = 1 << 16


class NotStreamable(Exception):
    """This file is read by the in-memory reader (the reason is the message)."""


class _Ref(msgspec.Struct, gc=False):
    image_id: Any = None
    id: Any = None


class _ImageRef(msgspec.Struct, gc=False):
    id: Any = None


def _refs(decoder: msgspec.json.Decoder, raws: list, start: int) -> list:
    """The decoded refs of ``raws[start:start + chunk]`` (None for a record that is not an
    object: it is refused when its turn comes)."""
    chunk = raws[start:start + _GROUP_CHUNK]
    try:
        return decoder.decode(b"[" + b",".join(chunk) + b"]")
    except msgspec.ValidationError:
        out = []
        for raw in chunk:
            try:
                out.append(decoder.decode(b"[" + bytes(raw) + b"]")[0])
            except msgspec.ValidationError:
                out.append(None)
        return out


class _Repeats:
    """Counts the records whose id an earlier record used, as objects.py counts them
    (integer ids in numpy, for memory; others in a set)."""

    def __init__(self) -> None:
        self.numbers: list = []
        self.others: set = set()
        self.repeated = 0

    def add(self, refs: list) -> None:
        import numpy as np

        small = []
        for ref in refs:
            value = None if ref is None else ref.id
            if type(value) is int and -(1 << 63) <= value < (1 << 63):
                small.append(value)
            elif type(value) in (int, str):
                key = (type(value), value)
                self.repeated += key in self.others
                self.others.add(key)
        self.numbers.append(np.array(small, dtype=np.int64))

    def count(self) -> int:
        import numpy as np

        if not self.numbers:
            return self.repeated
        every = np.concatenate(self.numbers)
        self.numbers = []
        return self.repeated + len(every) - len(np.unique(every))


class FileIndex:
    """One task file's sections and record spans.

    ``top`` holds the small sections decoded (``categories``, ``info``, ``licenses``,
    unknown keys); ``images`` and ``annotations`` the records' spans in file order.
    ``order`` lists annotation positions grouped by image (file order within one),
    ``bounds[k]:bounds[k + 1]`` those of image ``k``; ``loose`` the positions whose
    ``image_id`` names no image (read last, where each is refused or skipped).
    """

    def __init__(self, path_handle: Any, display: str):
        self.display = display
        self._map = mmap.mmap(path_handle.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(self._map)
        if view[:3] == b"\xef\xbb\xbf":
            view = view[3:]
        try:
            sections = msgspec.json.decode(view, type=dict[str, msgspec.Raw])
        except (msgspec.DecodeError, RecursionError, msgspec.ValidationError):
            sections = None
        if sections is None:
            self._refuse(view)
        self.sections: dict[str, msgspec.Raw] = sections  # type: ignore[assignment]
        self.images: list = []
        self.annotations: list = []
        self.image_ids: list = []
        self.order: Any = None
        self.bounds: Any = None
        self.loose: Any = None
        self.duplicate_ids: dict[int, int] = {}  # image position -> first position of its id
        self.duplicate_records = 0  # annotations whose id an earlier one has

    def _refuse(self, view: memoryview) -> None:
        """The in-memory reader's error for a file that is no JSON object (a results list
        is read in memory: NotStreamable)."""
        if bytes(view[:256]).lstrip()[:1] == b"[":
            raise NotStreamable("it is a results list")
        if len(view) <= 64 << 20:
            doc = loads_json(bytes(view), file=self.display)
        else:
            try:
                doc = msgspec.json.decode(view, type=msgspec.Raw)
            except msgspec.DecodeError as exc:
                raise _json_error(bytes(view), str(exc), self.display) from None
            except RecursionError:
                loads_json(bytes(view), file=self.display)  # stops at the same depth
                raise
            doc = msgspec.json.decode(doc)
        raise DataError(f"expected a JSON object with images, annotations and categories, "
                        f"got {type_name(doc)}", file=self.display, where="top level")

    def decoded(self, key: str) -> Any:
        """A section decoded whole (None when absent)."""
        raw = self.sections.get(key)
        return None if raw is None else loads_json(memoryview(raw), file=self.display)

    def list_of(self, key: str) -> list | None:
        """A list section's record spans; a section that is no list is decoded whole."""
        raw = self.sections.get(key)
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=list[msgspec.Raw])
        except msgspec.ValidationError:
            return msgspec.json.decode(raw)

    def group(self, images: list, annotations: list) -> None:
        """Index ``images`` ids and group ``annotations`` by the image they name."""
        import numpy as np

        self.images, self.annotations = images, annotations
        position: dict[Any, int] = {}
        ids = []
        image_decoder = msgspec.json.Decoder(list[_ImageRef | None])
        for start in range(0, len(images), _GROUP_CHUNK):
            for k, ref in enumerate(_refs(image_decoder, images, start), start):
                iid = ref.id if ref is not None else None
                ids.append(iid)
                if type(iid) in (int, str):
                    first = position.setdefault(iid, k)
                    if first != k:
                        self.duplicate_ids[k] = first
        self.image_ids = ids
        owner = np.empty(len(annotations), dtype=np.int64)
        decoder = msgspec.json.Decoder(list[_Ref | None])
        loose = len(images)
        repeats = _Repeats()
        for start in range(0, len(annotations), _GROUP_CHUNK):
            refs = _refs(decoder, annotations, start)
            owner[start:start + len(refs)] = [
                position.get(ref.image_id, loose)
                if ref is not None and type(ref.image_id) in (int, str) else loose
                for ref in refs]
            repeats.add(refs)
            if start // _GROUP_CHUNK % 8 == 7:
                self.release()  # each chunk read its records' pages again
        self.duplicate_records = repeats.count()
        self.order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=len(images) + 1)
        self.bounds = np.concatenate(([0], np.cumsum(counts)))
        self.loose = self.order[self.bounds[-2]:]

    def positions(self, first: int, stop: int) -> Any:
        """Annotation positions of images ``first..stop-1``, grouped, in file order each."""
        return self.order[self.bounds[first]:self.bounds[stop]]

    def decode_records(self, raws: list, positions: Any) -> list:
        """The records at ``positions`` as dicts (one msgspec call)."""
        return loads_json(b"[" + b",".join([raws[p] for p in positions]) + b"]",
                          file=self.display)

    def release(self) -> None:
        """Hand the pages read so far back (the map stays valid)."""
        if hasattr(self._map, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def read_randomly(self) -> None:
        """From now on records are read in image order, all over the file: no read-ahead
        (Linux would map 64 KiB around each record it faults in, most of the file)."""
        if hasattr(self._map, "madvise") and hasattr(mmap, "MADV_RANDOM"):
            self._map.madvise(mmap.MADV_RANDOM)

    def close(self) -> None:
        self.sections = {}
        self.images = self.annotations = []
        try:
            self._map.close()
        except BufferError:  # spans still referenced: the map goes with them
            pass
