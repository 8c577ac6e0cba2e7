"""Which image each annotation of a streamed COCO file belongs to, from the records' ids.

Records pass a window (or a chunk) at a time; only their ``id`` and ``image_id`` are
decoded (msgspec structs that skip the rest). Integer ids that fit 64 bits are kept in
numpy arrays and matched by sorting (8 bytes an annotation while indexing, none after);
string and huge ids go through dicts, as the in-memory reader's dicts would match them.
"""
from __future__ import annotations

from typing import Any

import msgspec

_LOW, _HIGH = -(1 << 63), 1 << 63


class _Ref(msgspec.Struct, gc=False):
    image_id: Any = None
    id: Any = None


class _ImageRef(msgspec.Struct, gc=False):
    id: Any = None


def _small(value: Any) -> bool:
    return type(value) is int and _LOW <= value < _HIGH


def decode_refs(decoder: msgspec.json.Decoder, array: Any) -> list:
    """The refs of the JSON array's records (None for a record that is not an object: it
    is refused when its turn comes). A syntax error raises msgspec's DecodeError."""
    try:
        return decoder.decode(array)
    except msgspec.ValidationError:
        out = []
        for raw in msgspec.json.decode(array, type=list[msgspec.Raw]):
            try:
                out.append(decoder.decode(b"[" + bytes(raw) + b"]")[0])
            except msgspec.ValidationError:
                out.append(None)
        return out


class Repeats:
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
            if _small(value):
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


class Grouper:
    """Gathers the refs of one file's images and annotations, in file order each."""

    def __init__(self) -> None:
        self.image_ids: list[Any] = []
        self._owners: list = []  # int64 image_id per annotation (0 where it is odd)
        self._odd: dict[int, Any] = {}  # annotation position -> an image_id not int64
        self._count = 0
        self.repeats = Repeats()
        self._images = msgspec.json.Decoder(list[_ImageRef | None])
        self._annotations = msgspec.json.Decoder(list[_Ref | None])

    def add(self, key: str, array: Any, count: int = 0) -> None:
        """The records of one JSON array of ``images`` or ``annotations``."""
        if key == "images":
            self.image_ids.extend([None if ref is None else ref.id
                                   for ref in decode_refs(self._images, array)])
            return
        import numpy as np

        refs = decode_refs(self._annotations, array)
        values = [None if ref is None else ref.image_id for ref in refs]
        try:
            if not all(type(value) is int for value in values):
                raise OverflowError
            small = np.array(values, dtype=np.int64)
        except OverflowError:
            start = self._count
            for k, value in enumerate(values):
                if not _small(value):
                    self._odd[start + k] = value
                    values[k] = 0
            small = np.array(values, dtype=np.int64)
        self._owners.append(small)
        self._count += len(values)
        self.repeats.add(refs)

    def finish(self) -> tuple[Any, dict[int, int], int]:
        """``(owner, duplicate_ids, repeated)``: each annotation's image position
        (``len(image_ids)`` for none), image position -> first position of its id, and
        the count of annotations whose id an earlier one has."""
        import numpy as np

        ids = self.image_ids
        loose = len(ids)
        small_at = [k for k, iid in enumerate(ids) if _small(iid)]
        values = np.array([ids[k] for k in small_at], dtype=np.int64)
        at = np.array(small_at, dtype=np.int64)
        known, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        first_at = at[first]
        duplicates = {int(k): int(f) for k, f in zip(at, first_at[inverse]) if k != f}
        others: dict[Any, int] = {}
        for k, iid in enumerate(ids):
            if type(iid) in (int, str) and not _small(iid):
                kept = others.setdefault(iid, k)
                if kept != k:
                    duplicates[k] = kept
        owners = np.concatenate(self._owners) if self._owners else np.empty(0, np.int64)
        self._owners = []
        owner = np.full(len(owners), loose, dtype=np.int64)
        if len(known) and len(owners):
            slot = np.minimum(np.searchsorted(known, owners), len(known) - 1)
            hit = known[slot] == owners
            if self._odd:
                hit[np.fromiter(self._odd, np.int64, len(self._odd))] = False
            owner[hit] = first_at[slot[hit]]
        for k, iid in self._odd.items():
            if type(iid) in (int, str):
                owner[k] = others.get(iid, loose)
        return owner, dict(sorted(duplicates.items())), self.repeats.count()
