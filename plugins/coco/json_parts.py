"""COCO JSON written from parts: each file's record lists are serialised as results arrive
into temporary part files, and the file is then its head, the parts copied in order, and
its tail, so the writer never holds every record.

The bytes are those of one ``dumps_json`` call per 512 records (as the writer batched them
before parts): msgspec's, or the stdlib's for a batch holding a value msgspec refuses
(records are encoded one item at a time; such a part is rewritten in batches at the end).
"""
from __future__ import annotations

import json
import os
import shutil
from itertools import chain
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from cococonv.fastjson import encode_like_msgspec
from cococonv.fileio import dumps_json, json_plain

_BATCH = 512
_ENCODER: Any = None


def encode_record(value: Any) -> tuple[bytes, bool]:
    """``(bytes, plain)``: msgspec's bytes (orjson's where they are the same), or (plain
    False) the stdlib's."""
    fast = encode_like_msgspec(value)
    if fast is not None:
        return fast, True
    global _ENCODER
    if _ENCODER is None:
        import msgspec
        _ENCODER = msgspec.json.Encoder(enc_hook=json_plain)
    try:
        return _ENCODER.encode(value), True
    except (TypeError, OverflowError):
        return dumps_json(value), False


# Stands for each record's id while a worker encodes an item's records in one call; the
# finish writes the real ids (numbered in item order) in its place. An int: the fastest
# value to encode (a string with escapes costs a tenth of the encoding); where the data
# holds it too, the pieces are counted wrong and each record is encoded alone instead.
_ID_MARK = -7_301_920_190_453_117
_ID_PREFIX = b'{"id":-7301920190453117'


def encode_after_ids(records: list[dict]) -> tuple[list[bytes], list[bool] | None]:
    """Each record's bytes after its id, its ``"id"`` (the first key) replaced, each one
    followed by ``,`` but the last by ``]`` (``,"image_id":...},``); and None when all are
    msgspec's, else whether each one is."""
    for record in records:
        record["id"] = _ID_MARK
    blob, plain = encode_record(records)
    if plain:
        pieces = blob.split(_ID_PREFIX)
        if len(pieces) == len(records) + 1:  # else the mark is in the data too
            del pieces[0]
            return pieces, None
    tails, plains = [], []
    for record in records:
        data, plain = encode_record(record)
        tails.append(data[len(_ID_PREFIX):] + b",")
        plains.append(plain)
    tails[-1] = tails[-1][:-1] + b"]"
    return tails, plains


def join_with_ids(ids: list[bytes], pieces: list[bytes]) -> bytes:
    """``rec1,rec2,...``: each ``{"id":<id>`` joined with its piece from encode_after_ids."""
    return b"".join(chain.from_iterable(zip(ids, pieces)))[:-1]


class MemoryBudget:
    """The bytes of records the part writers of one export may keep in memory together."""

    __slots__ = ("left",)

    def __init__(self, size: int):
        self.left = size


#: What an in-memory source's export keeps in memory (then its parts go to files): the
#: record lists of a dataset of some 10,000 images (5,000 x 7 objects: 20-40 MB) cost no
#: second write and read then, for at most this much more memory.
MEMORY_PARTS = 64 * 1024 * 1024


class PartWriter:
    """One record list of one file, appended a result at a time to the part file
    ``path``; with a ``budget``, kept in memory instead until the budget is spent (an
    in-memory source's records, which cost no second write and read then).

    Records msgspec refused are counted by position; a part that has any is rewritten at
    the end in batches of 512 (decoded and encoded again: the same bytes for msgspec's
    batches, the stdlib's for a batch holding a refused record).
    """

    __slots__ = ("path", "fh", "chunks", "budget", "count", "refused")

    def __init__(self, path: str, budget: MemoryBudget | None = None):
        self.path = path
        self.budget = budget
        self.chunks: list[bytes] | None = [] if budget is not None else None
        # a write per item: a 1 MiB buffer makes 20 system calls of a 20 MB part, not 2,500
        self.fh = open(path, "wb", buffering=1 << 20) if budget is None else None
        self.count = 0
        self.refused: list[int] = []  # positions of records msgspec refused

    @property
    def plain(self) -> bool:
        """No record went through the stdlib (for --indent)."""
        return not self.refused

    def add(self, data: bytes, count: int = 1, plains: list[bool] | None = None) -> None:
        """``count`` records, comma-separated; ``plains`` None when all are msgspec's."""
        chunk = b"," + data if self.count else data
        if self.chunks is not None:
            self.chunks.append(chunk)
            self.budget.left -= len(chunk)  # type: ignore[union-attr]
            if self.budget.left < 0:  # type: ignore[union-attr]
                self._spill()
        else:
            self.fh.write(chunk)  # type: ignore[union-attr]
        if plains is not None:
            self.refused += [self.count + k for k, plain in enumerate(plains) if not plain]
        self.count += count

    def _spill(self) -> None:
        """Go on in the part file, the records so far written to it first."""
        self.fh = open(self.path, "wb", buffering=1 << 20)
        self.fh.writelines(self.chunks)  # type: ignore[arg-type]
        self.chunks = None

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
        if self.refused:
            self._rewrite()

    def copy_to(self, fh: BinaryIO) -> None:
        """Write the list's records (comma-separated) to ``fh``."""
        if self.chunks is not None:
            fh.writelines(self.chunks)
            return
        with open(self.path, "rb") as src:
            shutil.copyfileobj(src, fh, 1 << 20)

    def discard(self) -> None:
        """Free the records (the file is written)."""
        if self.chunks is not None:
            self.chunks = []
        else:
            os.unlink(self.path)

    def _rewrite(self) -> None:
        if self.chunks is not None:
            data = b"".join(self.chunks)
        else:
            with open(self.path, "rb") as fh:
                data = fh.read()
        values = json.loads(b"[" + data + b"]")
        batches = _batches(values, set(self.refused))
        if self.chunks is not None:
            self.chunks = list(batches)
            return
        with open(self.path, "wb") as fh:
            fh.writelines(batches)


def _batches(values: list, refused: set[int]) -> Iterator[bytes]:
    """The records as 512-record ``dumps_json`` calls wrote them, comma-joined."""
    for start in range(0, len(values), _BATCH):
        batch = values[start:start + _BATCH]
        if refused.isdisjoint(range(start, start + _BATCH)):
            data = encode_record(batch)[0][1:-1]
        else:
            data = json.dumps(batch, ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode()[1:-1]
        yield b"," + data if start else data


def write_json(path: str, head: dict, sections: list[tuple[str, PartWriter | None]],
               tail: dict, *, indent: bool = False) -> None:
    """Write one JSON object: head keys, each section's list from its part, tail keys."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dumps = dumps_json
    with open(path, "wb") as fh:
        parts = [dumps(key) + b":" + dumps(value) for key, value in head.items()]
        fh.write(b"{" + b",".join(parts))
        first_key = not parts
        for key, part in sections:
            fh.write((b"" if first_key else b",") + dumps(key) + b":[")
            first_key = False
            if part is not None:
                part.copy_to(fh)
            fh.write(b"]")
        for key, value in tail.items():
            fh.write((b"" if first_key else b",") + dumps(key) + b":" + dumps(value))
            first_key = False
        fh.write(b"}")
    if indent:
        _indent_in_place(path, head, sections, tail)


def _indent_in_place(path: str, head: dict, sections: Iterable[tuple[str, Any]],
                     tail: dict) -> None:
    """--indent: the compact document formatted as one dumps_json(doc, indent=True) call."""
    with open(path, "rb") as fh:
        data = fh.read()
    compact_ok = all(p is None or p.plain for _k, p in sections) and \
        encode_record(head)[1] and encode_record(tail)[1]
    if compact_ok:
        import msgspec
        out = msgspec.json.format(data, indent=2)
    else:
        out = json.dumps(json.loads(data), ensure_ascii=False, allow_nan=False,
                         indent=2).encode()
    with open(path, "wb") as fh:
        fh.write(out)
