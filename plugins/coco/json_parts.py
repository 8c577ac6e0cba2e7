"""COCO JSON written from parts: each file's record lists are serialised as results arrive
into temporary part files, and the file is then its head, the parts copied in order, and
its tail, so the writer never holds every record.

The bytes are those of one ``dumps_json`` call per 512 records (as the writer batched them
before parts): msgspec's, or the stdlib's for a batch holding a value msgspec refuses.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from typing import Any

from cococonv.fileio import dumps_json

_BATCH = 512
_ENCODER: Any = None


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_record(value: Any) -> tuple[bytes, bool]:
    """``(bytes, plain)``: msgspec's bytes, or (plain False) the stdlib's."""
    global _ENCODER
    if _ENCODER is None:
        import msgspec
        _ENCODER = msgspec.json.Encoder(enc_hook=_plain)
    try:
        return _ENCODER.encode(value), True
    except (TypeError, OverflowError):
        return dumps_json(value), False


# Stands for each record's id while a worker encodes an item's records in one call; the
# finish writes the real ids (numbered in item order) in its place.
_ID_MARK = "\x00\x01cococonv-id"
_ID_PREFIX = b'{"id":"\\u0000\\u0001cococonv-id"'


def encode_after_ids(records: list[dict]) -> tuple[list[bytes], list[bool] | None]:
    """Each record's bytes after its id (``,"image_id":...}``), its ``"id"`` (the first
    key) replaced; and None when all are msgspec's, else whether each one is."""
    for record in records:
        record["id"] = _ID_MARK
    blob, plain = encode_record(records)
    if plain:
        pieces = blob.split(_ID_PREFIX)
        if len(pieces) == len(records) + 1:  # else the mark is in the data too
            return [piece[:-1] for piece in pieces[1:]], None
    tails, plains = [], []
    for record in records:
        data, plain = encode_record(record)
        tails.append(data[len(_ID_PREFIX):])
        plains.append(plain)
    return tails, plains


def _stdlib_batch(pieces: list[bytes]) -> bytes:
    values = [json.loads(piece) for piece in pieces]
    return json.dumps(values, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()[1:-1]


class PartWriter:
    """One record list of one file, appended record by record."""

    __slots__ = ("path", "fh", "batch", "refused", "written", "plain")

    def __init__(self, path: str):
        self.path = path
        self.fh = open(path, "wb")
        self.batch: list[bytes] = []
        self.refused: list[int] = []  # batch positions of records msgspec refused
        self.written = False
        self.plain = True  # no stdlib batch (for --indent)

    def add(self, piece: bytes, plain: bool) -> None:
        if not plain:
            self.refused.append(len(self.batch))
        self.batch.append(piece)
        if len(self.batch) >= _BATCH:
            self._flush()

    def add_all(self, pieces: list[bytes], plains: list[bool] | None) -> None:
        """Several records; ``plains`` None when all are msgspec's."""
        if plains is not None:
            for piece, plain in zip(pieces, plains):
                self.add(piece, plain)
            return
        self.batch += pieces
        if len(self.batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        """Write the batch, 512 records at a time (the batch a stdlib fallback covers)."""
        batch = self.batch
        while len(batch) >= _BATCH:
            self._write(batch[:_BATCH], not self.refused or self.refused[0] >= _BATCH)
            batch = batch[_BATCH:]
            self.refused = [k - _BATCH for k in self.refused if k >= _BATCH]
        self.batch = batch

    def _write(self, batch: list[bytes], plain: bool) -> None:
        data = b",".join(batch) if plain else _stdlib_batch(batch)
        if not plain:
            self.plain = False
        self.fh.write(b"," + data if self.written else data)
        self.written = True

    def close(self) -> None:
        if self.batch:
            self._write(self.batch, not self.refused)
            self.batch = []
        self.fh.close()


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
                with open(part.path, "rb") as src:
                    shutil.copyfileobj(src, fh, 1 << 20)
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
