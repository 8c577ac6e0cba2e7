"""The compiled painter's map of the instance indices the object plane holds
(``paint_scanlines(..., present=)``): the VOC exporter reads it instead of searching the
pixels for each object, so it must say exactly which indices have a pixel."""
from __future__ import annotations

import random

import numpy as np
import pytest

from cococonv.raster import speedups
from cococonv.raster.paint import paint_scanlines

pytestmark = pytest.mark.skipif(speedups.fastmasks() is None,
                                reason="cococonv.raster._fastmasks is not built here")


def held_indices(instances, height: int, width: int) -> set[int]:
    """The instance indices of the pixels (each row's filter byte left out)."""
    rows = np.frombuffer(bytes(instances), dtype=np.uint8).reshape(height, width + 1)
    return set(np.unique(rows[:, 1:]).tolist())


def random_units(rnd: random.Random, height: int, width: int) -> list:
    units = []
    for k in range(rnd.randint(0, 7)):  # later ones cover earlier ones, some wholly
        points = [rnd.uniform(-5, max(width, height) + 5) for _ in range(2 * rnd.randint(3, 8))]
        units.append((points, rnd.randint(1, 254), rnd.choice([None, k + 1, 254])))
    if rnd.random() < 0.3:  # an uncompressed RLE layer: a crowd region, void
        total = height * width
        start = rnd.randint(0, total)
        units.append(({"size": [height, width], "counts": [start, rnd.randint(0, total - start)]},
                      255, None))
    return units


@pytest.mark.parametrize("seed", range(60))
def test_the_map_holds_exactly_the_painted_indices(seed):
    rnd = random.Random(seed)
    height, width = rnd.randint(1, 70), rnd.randint(1, 70)
    units = random_units(rnd, height, width)
    total = height * width
    start = rnd.randint(0, total)
    void = {"size": [height, width], "counts": [start, rnd.randint(0, total - start)]} \
        if seed % 3 == 0 else None
    present = bytearray()
    _classes, instances = paint_scanlines(height, width, units, None, void,
                                          scratch=bytearray(), present=present)
    assert len(present) == 256
    assert {i for i in range(256) if present[i]} == held_indices(instances, height, width)


def test_no_map_without_the_compiled_painter(monkeypatch):
    """Painted by numpy (here: the compiled helper switched off) the map stays empty, and
    the exporter searches the pixels as before."""
    monkeypatch.setattr(speedups, "fastmasks", lambda: None)
    present = bytearray(b"stale")
    square = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]
    paint_scanlines(40, 40, [(square, 1, 1)], None, None, scratch=bytearray(),
                    present=present)
    assert present == b""
