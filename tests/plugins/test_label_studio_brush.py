"""Label Studio's brush RLE: our encoder and decoder agree on any mask, odd sizes too,
and malformed streams are refused with a reason instead of read past their end."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv import DataError
from cococonv_plugins.label_studio import brush


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1),
       st.floats(0, 1))
def test_encode_decode_round_trip(height, width, seed, density):
    mask = np.random.default_rng(seed).random((height, width)) < density
    assert brush.decode(brush.encode(mask), height, width).tolist() == mask.tolist()


def test_long_runs_split_past_the_widest_class():
    mask = np.ones((300, 300), dtype=bool)  # 360,000 values: six 65,536-value chunks
    rle = brush.encode(mask)
    assert len(rle) < 80 and brush.decode(rle, 300, 300).all()


def test_literal_chunks_and_the_alpha_threshold():
    # header: 8 values (2 pixels), 8-bit words, widths 3/4/8/16; then one literal chunk of
    # 8 values: pixel 0 alpha 200 (in), pixel 1 alpha 100 (out)
    bits = format(8, "032b") + format(7, "05b") + "".join(format(w - 1, "04b")
                                                         for w in (3, 4, 8, 16))
    bits += "0" + "00" + format(7, "03b")
    bits += "".join(format(v, "08b") for v in (1, 2, 3, 200, 4, 5, 6, 100))
    bits += "0" * (-len(bits) % 8)
    rle = [int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)]
    assert brush.decode(rle, 1, 2).tolist() == [[True, False]]


@pytest.mark.parametrize("rle,message", [
    ([1, 2], "shorter than its header"),
    (brush.encode(np.ones((2, 2), bool)), "holds 16 values, the 3x3 image needs 36"),
    (brush.encode(np.ones((3, 3), bool))[:-2], "ends inside a chunk"),
    ("abc", "must be a list"),
    ([0, 300], "integers from 0 to 255"),
])
def test_malformed_streams(rle, message):
    with pytest.raises(DataError, match=message):
        brush.decode(rle, 3, 3)
