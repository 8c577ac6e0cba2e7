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


def _stdlib_batch(pieces: list[bytes]) -> bytes:
    values = [json.loads(piece) for piece in pieces]
    return json.dumps(values, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()[1:-1]


class PartWriter:
    """One record list of one file, appended record by record."""

    __slots__ = ("path", "fh", "batch", "batch_plain", "written", "plain")

    def __init__(self, path: str):
        self.path = path
        self.fh = open(path, "wb")
        self.batch: list[bytes] = []
        self.batch_plain = True
        self.written = False
        self.plain = True  # no stdlib batch (for --indent)

    def add(self, piece: bytes, plain: bool) -> None:
        self.batch.append(piece)
        if not plain:
            self.batch_plain = False
        if len(self.batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        data = b",".join(self.batch) if self.batch_plain else _stdlib_batch(self.batch)
        if not self.batch_plain:
            self.plain = False
        self.fh.write(b"," + data if self.written else data)
        self.written = True
        self.batch = []
        self.batch_plain = True

    def close(self) -> None:
        self._flush()
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
