"""Where every record of one COCO task file lies, without building a Python object for each.

The file is read once in windows (stream_windows.py) into spans of the file: its
top-level sections, then one span per image and per annotation (numpy offsets, 16 bytes
each). Annotations are grouped by the image their ``image_id`` names, in file order within
an image (stream_groups.py); each record's bytes are read through a map of the file and
decoded only when its item is produced (stream_source.py). A file the windows do not take
is parsed whole by msgspec into ``Raw`` spans, as before: syntax errors and over-deep
nesting are refused there with the in-memory reader's own error lines
(``fileio.loads_json`` makes them).
"""
from __future__ import annotations

import mmap
import os
from typing import Any

import msgspec

from cococonv.errors import DataError
from cococonv.fileio import _json_error, loads_json

from .records import type_name
from .stream_groups import Grouper
from .stream_windows import Fallback, read_top

#: Records whose ``image_id`` is decoded per call while grouping a file parsed whole.
_GROUP_CHUNK = 1 << 16


class NotStreamable(Exception):
    """This file is read by the in-memory reader (the reason is the message)."""


class Spans:
    """The records of a list section as spans of the file (numpy starts and ends), each
    read with ``os.pread`` when asked for.

    Not through a map of the file: Linux maps 64 KiB around each page a map faults in,
    even under MADV_RANDOM (measured here: 1,000 reads of 300 bytes at random places
    made 52 MiB resident), so a walk's scattered records made most of the file resident
    between two releases (~1 GB at 1 GB). A pread costs ~1.6 us of CPU a record.
    """

    def __init__(self, fd: int, starts: Any, ends: Any):
        self._fd, self.starts, self.ends = fd, starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, position: int) -> bytes:
        start = int(self.starts[position])
        return os.pread(self._fd, int(self.ends[position]) - start, start)

    def pick(self, positions: Any) -> list[bytes]:
        """The records at ``positions`` (offsets looked up at once, not one by one)."""
        fd, read = self._fd, os.pread
        return [read(fd, b - a, a) for a, b in zip(self.starts[positions].tolist(),
                                                    self.ends[positions].tolist())]

    def run(self, start: int, stop: int) -> bytes:
        """Records ``start..stop-1`` as the file has them, with what lies between."""
        first = int(self.starts[start])
        return os.pread(self._fd, int(self.ends[stop - 1]) - first, first)


class FileIndex:
    """One task file's sections and record spans.

    ``sections`` names each top-level value (file order); ``images`` and ``annotations``
    are their records' spans in file order. ``order`` lists annotation positions grouped
    by image (file order within one), ``bounds[k]:bounds[k + 1]`` those of image ``k``;
    ``loose`` the positions whose ``image_id`` names no image (read last, where each is
    refused or skipped).

    The file is read in windows (stream_windows.py): the peak is the index and a window,
    not the file. A file the windows do not take (a syntax error, a key given twice, a
    results list) is parsed whole through its map, as before, which names its error.
    """

    def __init__(self, path_handle: Any, display: str, window: int | None = None):
        self.display = display
        self._map = mmap.mmap(path_handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._fd = os.dup(path_handle.fileno())  # the records are read by pread (Spans)
        self.images: Any = []
        self.annotations: Any = []
        self.image_ids: list = []
        self.order: Any = None
        self.bounds: Any = None
        self.loose: Any = None
        self.duplicate_ids: dict[int, int] = {}  # image position -> first position of its id
        self.duplicate_records = 0  # annotations whose id an earlier one has
        self._grouper: Grouper | None = Grouper()
        self._records: dict[str, Spans] = {}
        self.windowed = True
        self.parsed_whole: str | None = None  # why the windows did not take the file
        try:
            path_handle.seek(0)
            sections, records = read_top(path_handle, self._grouper.add, window)
        except Fallback as why:
            self._grouper, self.windowed, self.parsed_whole = None, False, str(why)
            try:
                self.sections: dict[str, Any] = self._parse_whole()
            except BaseException:
                os.close(self._fd)
                raise
            return
        self.sections = sections
        self._records = {key: Spans(self._fd, *spans) for key, spans in records.items()}

    def _parse_whole(self) -> dict[str, Any]:
        view = memoryview(self._map)
        if view[:3] == b"\xef\xbb\xbf":
            view = view[3:]
        try:
            sections = msgspec.json.decode(view, type=dict[str, msgspec.Raw])
        except (msgspec.DecodeError, RecursionError, msgspec.ValidationError):
            sections = None
        if sections is None:
            self._refuse(view)
        return sections  # type: ignore[return-value]

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

    def _bytes(self, key: str) -> Any:
        value = self.sections[key]
        if self.windowed:
            return os.pread(self._fd, value[1] - value[0], value[0])
        return memoryview(value)

    def decoded(self, key: str) -> Any:
        """A section decoded whole (None when absent)."""
        if key not in self.sections:
            return None
        return loads_json(self._bytes(key), file=self.display)

    def list_of(self, key: str) -> Any:
        """A list section's record spans; a section that is no list is decoded whole."""
        if key in self._records:
            return self._records[key]
        raw = self.sections.get(key)
        if raw is None:
            return None
        if self.windowed:
            return msgspec.json.decode(self._bytes(key))
        try:
            return msgspec.json.decode(raw, type=list[msgspec.Raw])
        except msgspec.ValidationError:
            return msgspec.json.decode(raw)

    def group(self, images: Any, annotations: Any) -> None:
        """Index ``images`` ids and group ``annotations`` by the image they name."""
        import numpy as np

        self.images, self.annotations = images, annotations
        grouper = self._grouper
        if grouper is None:  # parsed whole: the records' refs are decoded here
            grouper = Grouper()
            for key, raws in (("images", images), ("annotations", annotations)):
                for start in range(0, len(raws), _GROUP_CHUNK):
                    grouper.add(key, b"[" + b",".join(raws[start:start + _GROUP_CHUNK]) + b"]")
                    if start // _GROUP_CHUNK % 8 == 7:
                        self.release()  # each chunk read its records' pages again
        self._grouper = None
        self.image_ids = grouper.image_ids
        owner, self.duplicate_ids, self.duplicate_records = grouper.finish()
        order = np.argsort(owner, kind="stable")
        self.order = order.astype(np.int32) if len(order) < (1 << 31) else order
        del order
        counts = np.bincount(owner, minlength=len(images) + 1)
        del owner
        self.bounds = np.concatenate(([0], np.cumsum(counts)))
        self.loose = self.order[self.bounds[-2]:]

    def positions(self, first: int, stop: int) -> Any:
        """Annotation positions of images ``first..stop-1``, grouped, in file order each."""
        return self.order[self.bounds[first]:self.bounds[stop]]

    def decode_records(self, raws: list, positions: Any) -> list:
        """The records at ``positions`` as dicts (one msgspec call)."""
        if type(raws) is Spans:
            if type(positions) is range and positions.step == 1 and len(positions):
                body = raws.run(positions.start, positions.stop)
            else:
                body = b",".join(raws.pick(positions))
            return loads_json(b"[" + body + b"]", file=self.display)
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
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        try:
            self._map.close()
        except BufferError:  # spans still referenced: the map goes with them
            pass
