"""The compiled deflate of mask scanlines (cococonv._fastpng) against zlib's inflate: every
stream it writes decompresses to the input, for label images of any size and row width
(each distance code), busy pictures are handed back to zlib, and the PNG writer's output
decodes to the same pixels on both paths."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cococonv import speedups
from cococonv_plugins.voc.png import decode_plain_png, encode_index_png

fast = speedups.fastpng()
pytestmark = pytest.mark.skipif(fast is None, reason="cococonv._fastpng is not built here")


def scanlines(plane: np.ndarray) -> bytes:
    rows = np.zeros((plane.shape[0], plane.shape[1] + 1), np.uint8)
    rows[:, 1:] = plane
    return rows.tobytes()


def inflate(raw: bytes, data: bytes) -> bytes:
    stream = b"\x78\x01" + raw + struct.pack(">I", zlib.adler32(data))
    return zlib.decompress(stream)


def label_image(rng: np.random.Generator, h: int, w: int, shapes: int) -> np.ndarray:
    plane = np.zeros((h, w), np.uint8)
    for k in range(shapes):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        y1, x1 = rng.integers(y0, h + 1), rng.integers(x0, w + 1)
        plane[y0:y1, x0:x1] = rng.choice([k + 1, 255, 0])
    return plane


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 60), st.integers(1, 300), st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_label_images_inflate_back(h, w, shapes, seed):
    data = scanlines(label_image(np.random.default_rng(seed), h, w, shapes))
    raw = fast.deflate_rows(data, h, w, len(data))
    assert raw is not None
    assert inflate(raw, data) == data


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 6, 7, 8, 11, 15, 16, 31, 63, 64, 127, 255,
                                   511, 1023, 2047, 4095, 8191, 16383, 24575, 32766, 32767,
                                   32768, 40000])
def test_every_row_width_inflates_back(width):
    """Row distances cover every deflate distance code; rows past 32 KiB use none."""
    rng = np.random.default_rng(width)
    data = scanlines(label_image(rng, 6, width, 4))
    raw = fast.deflate_rows(data, 6, width, len(data))
    assert inflate(raw, data) == data


def test_long_runs_all_values_and_noise_inflate_back():
    rng = np.random.default_rng(7)
    cases = [np.zeros((300, 700), np.uint8), np.full((3, 5000), 255, np.uint8),
             np.arange(256 * 40, dtype=np.uint8).reshape(40, 256),
             rng.integers(0, 256, (30, 40), dtype=np.uint8)]
    for plane in cases:
        data = scanlines(plane)
        raw = fast.deflate_rows(data, *plane.shape, len(data))
        assert inflate(raw, data) == data


def test_busy_pictures_go_back_to_zlib():
    plane = np.random.default_rng(3).integers(0, 256, (50, 60), dtype=np.uint8)
    data = scanlines(plane)
    assert fast.deflate_rows(data, 50, 60, len(data) // 8) is None
    png = encode_index_png(data, 50, 60, None)
    assert np.array_equal(decode_plain_png(png)[:, 1:], plane)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        fast.deflate_rows(bytes(10), 3, 3, 100)
    with pytest.raises(ValueError):
        fast.deflate_rows(bytes(8), 2, 3, -1)


def test_png_writer_gives_the_same_pixels_on_both_paths(monkeypatch):
    plane = label_image(np.random.default_rng(11), 120, 90, 9)
    data = scanlines(plane)
    compiled = encode_index_png(data, 120, 90, bytes(range(256)) * 3)
    monkeypatch.setenv("COCOCONV_NO_SPEEDUPS", "1")
    plain = encode_index_png(data, 120, 90, bytes(range(256)) * 3)
    assert compiled != plain  # two encoders ...
    for png in (compiled, plain):  # ... one picture
        assert np.array_equal(decode_plain_png(png)[:, 1:], plane)
    with Image.open(io.BytesIO(compiled)) as image:
        assert np.array_equal(np.asarray(image), plane)
