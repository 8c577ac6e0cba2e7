"""RGB(A) mask colours: packed and looked up a block of rows at a time, the plane is the
pixel-by-pixel lookup's, for blocks that split rows or not, and a colour missing from the
map is named with its first pixel."""
from __future__ import annotations

import io

import numpy as np
import pytest
from cococonv_plugins.png_masks import decode
from PIL import Image

from cococonv.errors import DataError

COLOURS = {0x000000: 0, 0x800000: 1, 0x008000: 2, 0xFFFFFF: -1}


def _png(rgb: np.ndarray, mode: str) -> bytes:
    image = Image.fromarray(rgb, "RGB")
    if mode == "RGBA":
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_the_plane_is_the_pixel_by_pixel_lookup(monkeypatch, block, mode):
    monkeypatch.setattr(decode, "_BLOCK_PIXELS", block)
    rng = np.random.default_rng(3)
    keys = np.array(sorted(COLOURS), dtype=np.uint32)
    codes = keys[rng.integers(0, len(keys), (23, 17))]
    rgb = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], -1).astype(np.uint8)
    plane = decode.read_plane(_png(rgb, mode), "m.png", COLOURS, "labelmap.txt")
    want = np.vectorize(COLOURS.get)(codes).astype(np.int32)
    assert plane.dtype == np.int32 and np.array_equal(plane, want)
    rles = decode.value_rles(plane)
    assert sorted(rles) == sorted(set(want.ravel().tolist()))


def test_a_colour_not_in_the_map_names_its_first_pixel(monkeypatch):
    monkeypatch.setattr(decode, "_BLOCK_PIXELS", 5)
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[2, 3] = (1, 2, 3)
    rgb[3, 0] = (1, 2, 3)
    with pytest.raises(DataError, match=r"colour \(1, 2, 3\) at x=3 y=2 is not in labelmap"):
        decode.read_plane(_png(rgb, "RGB"), "m.png", COLOURS, "labelmap.txt")
