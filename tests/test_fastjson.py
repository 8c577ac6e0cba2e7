"""cococonv.fastjson: orjson's bytes only where they are msgspec's, and only where a failed
allocation cannot crash the process."""
from __future__ import annotations

import datetime
import random
import resource
import struct

import msgspec
import numpy as np
import pytest

from cococonv import fastjson


@pytest.fixture
def fresh(monkeypatch):
    """The module's encoder chosen again for each test."""
    monkeypatch.setattr(fastjson, "_ENCODE", None)


def _msgspec(value):
    return msgspec.json.Encoder(enc_hook=lambda v: v.tolist()).encode(value)


@pytest.mark.skipif(not fastjson._allocation_never_fails(),
                    reason="this machine limits allocations: orjson is never used")
def test_same_bytes_as_msgspec_or_none(fresh):
    rng = random.Random(7)
    values = [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
              for _ in range(20000)]
    values += [0.1, 1e-7, 1e-5, 1e15, 1e16, 1e21, -0.0, 5e-324, float("nan"), float("inf")]
    seen_fast = seen_left = 0
    for v in values:
        record = {"id": 1, "bbox": [v, 2.5, v, 3], "name": "é</script>\x1f"}
        data = fastjson.encode_like_msgspec(record)
        if data is None:
            seen_left += 1
        else:
            seen_fast += 1
            assert data == _msgspec(record)
    assert seen_fast and seen_left  # e.g. 1e16 (orjson: 1e+16) is left to msgspec


@pytest.mark.parametrize("value", [2 ** 70, {1: 2}, "\ud800", datetime.datetime(2020, 1, 2),
                                   ["text with e+ in it"]])
def test_values_left_to_msgspec(fresh, value):
    assert fastjson.encode_like_msgspec(value) is None


def test_numpy_values_as_msgspec_writes_them(fresh):
    value = {"a": np.float32(0.1), "b": np.int64(5), "c": np.array([1.5, 2.0])}
    assert fastjson.encode_like_msgspec(value) in (None, _msgspec(value))


def test_not_used_under_a_memory_limit(fresh, monkeypatch):
    real = resource.getrlimit
    monkeypatch.setattr(resource, "getrlimit",
                        lambda which: (1 << 30, 1 << 30) if which == resource.RLIMIT_AS
                        else real(which))
    assert fastjson.encode_like_msgspec({"id": 1}) is None
