"""Record spans of a JSON array found in a window of bytes: the compiled scanner
(``cococonv/raster/_fastscan.c``, whose header states the contract) or this module's
Python one, which gives the same spans (tests/streaming/test_json_scan.py checks both).

Only bracket nesting outside strings is followed; msgspec decodes the records of each
window afterwards and refuses anything that is not JSON.
"""
from __future__ import annotations

import re
from typing import Any

from cococonv.raster import speedups

#: Mode of a scan: just after ``[``; just after a ``,`` between elements; one value.
AFTER_OPEN, AFTER_COMMA, ONE_VALUE = 0, 1, 2
#: Status of a scan: the window ends first; the array closed (or the value is whole);
#: not the JSON expected; the span buffers are full.
MORE, CLOSED, BROKEN, FULL = 0, 1, 2, 3

_WS = re.compile(rb"[ \t\n\r]*")
_SPECIAL = re.compile(rb'["\[\]{}]')
_STRING_TAIL = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR = re.compile(rb'[^ \t\n\r,:\[\]{}"]*')
_OPEN, _CLOSE, _QUOTE = frozenset(b"[{"), frozenset(b"]}"), ord('"')
_STOPS = frozenset(b' \t\n\r,:[]{}"')


def _string_end(buf: Any, i: int, end: int) -> int:
    found = _STRING_TAIL.match(buf, i + 1, end)
    return -1 if found is None else found.end()


def _value_end(buf: Any, i: int, end: int, eof: bool) -> int:
    """Past the value at ``i``; -1 if the window cuts it, -2 if no value starts there."""
    c = buf[i]
    if c in _OPEN:
        depth = 0
        while True:
            found = _SPECIAL.search(buf, i, end)
            if found is None:
                return -1
            i = found.start()
            c = buf[i]
            if c == _QUOTE:
                i = _string_end(buf, i, end)
                if i < 0:
                    return -1
                continue
            depth += 1 if c in _OPEN else -1
            i += 1
            if depth == 0:
                return i
    if c == _QUOTE:
        return _string_end(buf, i, end)
    if c in _STOPS:
        return -2
    stop = _SCALAR.match(buf, i, end).end()
    return -1 if stop == end and not eof else stop


def scan_py(buf: Any, pos: int, end: int, mode: int, eof: bool, starts: Any,
            ends: Any) -> tuple[int, int, int]:
    """The compiled ``scan`` in Python (same arguments, same result)."""
    cap = min(len(starts), len(ends))
    end = min(end, len(buf))
    if pos < 0 or pos > end or cap < 1:
        return 0, pos, BROKEN
    count = 0
    cut = BROKEN if eof else MORE
    while True:
        pos = _WS.match(buf, pos, end).end()
        if pos == end:
            return count, pos, cut
        if mode == AFTER_OPEN and buf[pos] == 0x5D:
            return count, pos + 1, CLOSED
        stop = _value_end(buf, pos, end, eof)
        if stop == -2:
            return count, pos, BROKEN
        if stop == -1:
            return count, pos, cut
        if mode == ONE_VALUE:
            starts[0], ends[0] = pos, stop
            return 1, stop, CLOSED
        after = _WS.match(buf, stop, end).end()
        if after == end:
            return count, pos, cut
        sep = buf[after]
        if sep not in (0x2C, 0x5D):
            return count, pos, BROKEN
        starts[count], ends[count] = pos, stop
        count += 1
        pos = after + 1
        if sep == 0x5D:
            return count, pos, CLOSED
        mode = AFTER_COMMA
        if count == cap:
            return count, pos, FULL


def scanner() -> Any:
    """The compiled scan when it is built (and not switched off), else ``scan_py``."""
    fast = speedups.fastscan()
    return fast.scan if fast is not None else scan_py
