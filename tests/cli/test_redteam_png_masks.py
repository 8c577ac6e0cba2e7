"""Red-team findings on png_masks input (issue 13)."""
from __future__ import annotations

import tracemalloc

import numpy as np

from cococonv_plugins.png_masks.decode import value_rles


def test_a_16_bit_plane_is_split_into_bytes_without_whole_plane_temporaries() -> None:
    # Was: a 520 kB 16-bit instance PNG of 16384x16384 with two objects took 2.1 GB and
    # 47 s; the value planes were copied, and each byte made through a 16-bit temporary.
    plane = np.zeros((2048, 2048), np.uint16)
    plane[10:20, 10:20] = 1000
    plane[100:200, 100:300] = 2
    tracemalloc.start()
    try:
        rles = value_rles(plane)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(rles) == [0, 2, 1000]
    from cococonv import masks

    assert masks.area(rles[1000]) == 100 and masks.area(rles[2]) == 20000
    assert peak < 1.25 * plane.nbytes, peak  # the two byte planes, half the plane each
