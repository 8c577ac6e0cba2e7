"""One COCO task file's top level read in windows of bytes, never the whole file at once.

A bounded buffer is filled with plain reads (so the file's pages are the page cache's, not
the process's), the top-level object is followed key by key, and the ``images`` and
``annotations`` lists are cut into record spans by json_scan. Each window's records go to
``on_records`` as one msgspec-decodable array (the bytes around them are overwritten with
brackets in place, then restored: no copy). A record larger than the window grows it to
the record's size (it is decoded whole later anyway). Every other top-level value is
checked by msgspec as it passes and kept as a span.

Anything unusual (not an object at the top, a syntax error anywhere, a key given twice,
nesting deeper than msgspec follows) raises Fallback: the caller then parses the file whole,
as before, which gives the in-memory reader's error line or its reading of the odd file.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from .json_scan import AFTER_COMMA, AFTER_OPEN, BROKEN, CLOSED, FULL, ONE_VALUE, scanner

#: Bytes read per window (a record larger than this grows the buffer to fit it).
WINDOW = 16 << 20
#: Record spans found per scanner call.
SPANS_PER_CALL = 1 << 16
#: Top-level keys whose lists are cut into record spans.
RECORD_LISTS = ("images", "annotations")

_WS = b" \t\n\r"
_BOM = b"\xef\xbb\xbf"


class Fallback(Exception):
    """The file is not read in windows; parse it whole (same errors, same result)."""


class _Window:
    """``buf[1:hi]`` holds the file's bytes from offset ``base`` on; ``buf[0]`` is spare, so
    that a bracket can be written before a window's first record."""

    def __init__(self, handle: Any, size: int):
        self.handle = handle
        self.buf = bytearray(size + 1)
        self.base = 0
        self.hi = 1
        self.eof = False
        self.size = size

    def offset(self, pos: int) -> int:
        """The file offset of buffer position ``pos``."""
        return self.base + pos - 1

    def refill(self, keep: int) -> int:
        """Drop the bytes before ``keep``, read more; returns ``keep``'s new position.
        Raises Fallback at the end of the file (what was kept is cut off)."""
        if self.eof:
            raise Fallback("the file ends inside a value")
        buf = self.buf
        kept = self.hi - keep
        if keep > 1:
            buf[1:1 + kept] = buf[keep:self.hi]
            self.base += keep - 1
        if 1 + kept == len(buf):  # one value fills the window: make room for the rest
            buf.extend(bytes(len(buf) - 1))
        self.hi = 1 + kept
        with memoryview(buf) as view:
            got = self.handle.readinto(view[self.hi:])
        self.hi += got or 0
        self.eof = not got
        return 1

    def char(self, pos: int) -> tuple[int, int]:
        """``(byte, pos)`` of the first non-space byte from ``pos`` (-1 at the end)."""
        while True:
            buf, hi = self.buf, self.hi
            while pos < hi and buf[pos] in _WS:
                pos += 1
            if pos < hi:
                return buf[pos], pos
            if self.eof:
                return -1, pos
            pos = self.refill(pos)

    def value(self, pos: int, scan: Callable, spans: tuple[Any, Any]) -> tuple[int, int]:
        """Buffer positions ``(start, end)`` of the value at ``pos``, read whole."""
        while True:
            count, _new, status = scan(self.buf, pos, self.hi, ONE_VALUE, self.eof, *spans)
            if status == CLOSED:
                return int(spans[0][0]), int(spans[1][0])
            if status == BROKEN:
                raise Fallback("no value")
            pos = self.refill(pos)


def _checked(view: memoryview) -> None:
    try:
        msgspec.json.decode(view, type=msgspec.Raw)
    except (msgspec.DecodeError, RecursionError):
        raise Fallback("not valid JSON") from None


def read_top(handle: Any, on_records: Callable[[str, memoryview, Any], None],
             window: int | None = None) -> tuple[dict[str, tuple[int, int]], dict[str, Any]]:
    """``(sections, records)``: each top-level key's value span (file offsets, in file
    order), and for the record lists the starts and ends of their records (numpy int64).

    ``on_records(key, array, count)`` gets each window's records as the bytes of one JSON
    array of ``count`` records, valid only during the call; it may raise Fallback.
    """
    import numpy as np

    scan = scanner()
    win = _Window(handle, window or WINDOW)
    spans = (np.empty(SPANS_PER_CALL, np.int64), np.empty(SPANS_PER_CALL, np.int64))
    one = (spans[0][:1], spans[1][:1])
    win.refill(1)
    if bytes(win.buf[1:4]) == _BOM:
        win.buf[1:4] = b"   "  # a BOM is skipped, as loads_json skips it
    c, pos = win.char(1)
    if c != 0x7B:  # "{"
        raise Fallback("not an object")
    sections: dict[str, tuple[int, int]] = {}
    records: dict[str, Any] = {}
    pos += 1
    first = True
    while True:
        c, pos = win.char(pos)
        if c == 0x7D and first:  # "}"
            pos += 1
            break
        if c != 0x22:  # '"'
            raise Fallback("no key")
        start, end = win.value(pos, scan, one)
        try:
            key = msgspec.json.decode(bytes(win.buf[start:end]))
        except msgspec.DecodeError:
            raise Fallback("bad key") from None
        if key in sections:
            raise Fallback("a key given twice")
        c, pos = win.char(end)
        if c != 0x3A:  # ":"
            raise Fallback("no colon")
        c, pos = win.char(pos + 1)
        if key in RECORD_LISTS and c == 0x5B:  # "["
            first_at = win.offset(pos)
            pos, records[key] = _records(win, pos + 1, key, scan, spans, on_records)
            sections[key] = (first_at, win.offset(pos))
        else:
            if c < 0:
                raise Fallback("no value")
            start, end = win.value(pos, scan, one)
            with memoryview(win.buf) as view:
                _checked(view[start:end])
            sections[key] = (win.offset(start), win.offset(end))
            pos = end
        first = False
        c, pos = win.char(pos)
        if c == 0x7D:
            pos += 1
            break
        if c != 0x2C:  # ","
            raise Fallback("no comma")
        pos += 1
    c, pos = win.char(pos)
    if c >= 0:
        raise Fallback("bytes after the object")
    return sections, records


def _records(win: _Window, pos: int, key: str, scan: Callable, spans: tuple[Any, Any],
             on_records: Callable) -> tuple[int, tuple[Any, Any]]:
    """Past the list's ``]``, and its records' spans (file offsets)."""
    import numpy as np

    starts: list = []
    ends: list = []
    mode = AFTER_OPEN
    while True:
        count, new, status = scan(win.buf, pos, win.hi, mode, win.eof, *spans)
        if count:
            first, last = int(spans[0][0]), int(spans[1][count - 1])
            buf = win.buf
            saved = buf[first - 1], buf[last]
            buf[first - 1], buf[last] = 0x5B, 0x5D
            try:
                with memoryview(buf) as view:
                    on_records(key, view[first - 1:last + 1], count)
            except (msgspec.DecodeError, RecursionError):
                raise Fallback("not valid JSON") from None
            finally:
                buf[first - 1], buf[last] = saved
            shift = win.base - 1
            starts.append(spans[0][:count] + shift)
            ends.append(spans[1][:count] + shift)
            mode = AFTER_COMMA
        if status == CLOSED:
            break
        if status == BROKEN:
            raise Fallback("not a list of JSON values")
        pos = new if status == FULL else win.refill(new)
    empty = np.empty(0, np.int64)
    return new, (np.concatenate(starts) if starts else empty,
                 np.concatenate(ends) if ends else empty)
