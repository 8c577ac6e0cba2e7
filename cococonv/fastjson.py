"""orjson's encoder where it gives msgspec's bytes and cannot crash the process.

Why: the record lists of a COCO file are most of a conversion's writing, and orjson encodes
them in about 0.55x msgspec's time (20 MB of records: 0.05 against 0.09 s). Its bytes are
msgspec's but for a float's positive exponent (``1e+16`` where msgspec writes ``1e16``),
so output holding ``e+`` anywhere is left to msgspec, as is any value orjson refuses
(integers past 64 bits, non-string keys, lone surrogates). Datetimes and dataclasses,
which the two may format differently, go to msgspec too.

orjson is used only where a failed allocation cannot happen short of the OOM killer (no
address-space or data limit, overcommit on): it ends the process with SIGSEGV where
msgspec raises MemoryError, which a run reports in one line (dumps_json says more).
"""
from __future__ import annotations

import resource
from typing import Any

from .fileio import json_plain

_ENCODE: Any = None  # orjson.dumps bound with our options, or False where it may crash


def _allocation_never_fails() -> bool:
    for limit in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        if resource.getrlimit(limit)[0] != resource.RLIM_INFINITY:
            return False
    try:
        with open("/proc/sys/vm/overcommit_memory", "rb") as fh:
            return fh.read().strip() != b"2"  # 2: strict accounting, mallocs fail
    except OSError:
        return False  # not Linux, or no /proc: do not assume


def _encoder() -> Any:
    global _ENCODE
    if _ENCODE is None:
        _ENCODE = False
        if _allocation_never_fails():
            import orjson

            options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

            def encode(value: Any) -> bytes:
                return orjson.dumps(value, default=json_plain, option=options)

            _ENCODE = encode
    return _ENCODE


def encode_like_msgspec(value: Any) -> bytes | None:
    """``value`` as msgspec's JSON encoder (numpy values through ``tolist``) writes it,
    made by orjson; None when orjson may not or cannot: the caller asks msgspec."""
    encode = _encoder()
    if not encode:
        return None
    try:
        data = encode(value)
    except TypeError:  # orjson.JSONEncodeError included
        return None
    return None if b"e+" in data else data
