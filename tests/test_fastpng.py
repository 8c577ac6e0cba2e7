"""The compiled deflate of mask scanlines (cococonv.raster._fastpng) against zlib's inflate: every
stream it writes decompresses to the input, for label images of any size and row width
(each distance code), and for arbitrary bytes (it is format-agnostic); busy pictures are
handed back to zlib exactly past `limit` symbols; odd arguments are refused or harmless;
and the PNG writer's output decodes to the same pixels on both paths and through PIL."""
from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cococonv.raster import speedups
from cococonv.raster.png import SIGNATURE, decode_plain_png, encode_index_png

fast = speedups.fastpng()
pytestmark = pytest.mark.skipif(fast is None, reason="cococonv.raster._fastpng is not built here")


def scanlines(plane: np.ndarray) -> bytes:
    rows = np.zeros((plane.shape[0], plane.shape[1] + 1), np.uint8)
    rows[:, 1:] = plane
    return rows.tobytes()


def inflate(raw: bytes, data: bytes) -> bytes:
    """The stdlib zlib's inflate of the stream as the PNG writer frames it; the raw deflate
    must end exactly at its last byte (one final block, nothing after it)."""
    bare = zlib.decompressobj(-15)
    assert bare.decompress(raw) == data
    assert bare.eof and bare.unused_data == b""
    stream = b"\x78\x01" + raw + struct.pack(">I", zlib.adler32(data))
    whole = zlib.decompressobj()
    out = whole.decompress(stream)
    assert whole.eof and whole.unused_data == b""
    return out


def symbols(data: bytes, stride: int) -> int:
    """How many symbols the greedy scheme needs: at each byte the longest repeat (3 to 258
    bytes) of the previous byte or of the row above (when that is <= 32 KiB back), else a
    literal. A Python model of the C loop, for the `limit` contract."""
    far = stride if stride <= 32768 else 0
    i = count = 0
    while i < len(data):
        room = min(len(data) - i, 258)
        best = 0
        for d in (far, 1):
            if d and i >= d:
                k = 0
                while k < room and data[i + k] == data[i + k - d]:
                    k += 1
                best = max(best, k)
        i += best if best >= 3 else 1
        count += 1
    return count


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


@st.composite
def any_scanlines(draw, max_h=12, max_w=160):
    """(data, h, w): arbitrary bytes of h rows of 1 + w, with filter bytes 0 or arbitrary,
    often with runs and rows repeated so that both distances and long matches turn up."""
    h, w = draw(st.integers(0, max_h)), draw(st.integers(0, max_w))
    stride = w + 1
    alphabet = draw(st.sampled_from([2, 3, 256]))
    data = bytearray(b % alphabet for b in draw(st.binary(min_size=h * stride,
                                                          max_size=h * stride)))
    for _ in range(draw(st.integers(0, 4))):  # runs of one value
        if data:
            at = draw(st.integers(0, len(data) - 1))
            size = min(draw(st.integers(1, 600)), len(data) - at)
            data[at:at + size] = bytes([data[at]]) * size
    for y in draw(st.lists(st.integers(1, max(1, h - 1)), max_size=h)):  # repeated rows
        if y < h:
            data[y * stride:(y + 1) * stride] = data[(y - 1) * stride:y * stride]
    if draw(st.booleans()):
        data[::stride] = bytes(h)  # PNG filter bytes: none
    return bytes(data), h, w


@settings(max_examples=500, deadline=None)
@given(any_scanlines(), st.data())
def test_any_bytes_inflate_back_and_none_only_past_limit(case, pick):
    data, h, w = case
    limit = pick.draw(st.integers(0, len(data)))
    need = symbols(data, w + 1)
    raw = fast.deflate_rows(data, h, w, limit)
    assert (raw is None) == (need > limit)
    whole = fast.deflate_rows(data, h, w, len(data))
    assert whole is not None and inflate(whole, data) == data
    if raw is not None:
        assert raw == whole


@settings(max_examples=50, deadline=None)
@given(st.integers(32760, 32776), st.integers(1, 3), st.integers(0, 6),
       st.integers(0, 2**32 - 1), st.booleans())
def test_rows_around_32_kib_inflate_back(w, h, shapes, seed, noisy):
    """The row above is at the farthest distance deflate has (32768, width 32767) or out of
    reach (width >= 32768: then only runs); noise rows repeat their row above."""
    rng = np.random.default_rng(seed)
    plane = label_image(rng, h, w, shapes)
    if noisy:
        plane[0] = rng.integers(0, 256, w, dtype=np.uint8)
        plane[1:] = plane[0]
    data = scanlines(plane)
    raw = fast.deflate_rows(data, h, w, len(data))
    assert raw is not None and inflate(raw, data) == data
    limit = int(rng.integers(0, len(data) + 1))
    cut = fast.deflate_rows(data, h, w, limit)
    assert cut is None or cut == raw
    if noisy and h > 1:  # repeated noise: small only when the row above is in reach
        assert (len(raw) < 0.75 * len(data)) == (w < 32768)


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


@pytest.mark.parametrize("data, h, w", [
    (b"", 0, 0),  # nothing: an end-of-block code alone, and one unused distance code
    (b"", 0, 5000),
    (bytes(1), 1, 0),
    (bytes(range(256)), 1, 255),  # literals only: no distance used
    (bytes(range(256)) * 3, 3, 255),  # only the row above (one distance code, not 1)
    (bytes(5000), 1, 4999),  # only distance 1, lengths of 258
    (bytes(1 + 258 * 3), 1, 258 * 3),
    (bytes(range(256)) * 8 + bytes(4000), 1, 6047),
    (bytes(8), 8, 0),  # rows of just the filter byte: the row above is distance 1
])
def test_corner_streams_inflate_back(data, h, w):
    raw = fast.deflate_rows(data, h, w, len(data))
    assert inflate(raw, data) == data
    assert fast.deflate_rows(data, h, w, symbols(data, w + 1)) == raw
    if data:
        assert fast.deflate_rows(data, h, w, symbols(data, w + 1) - 1) is None


def no_neighbours_alike(values: np.ndarray) -> np.ndarray:
    """The values reordered so that no two neighbours are equal (none is half of them)."""
    values = np.sort(values, kind="stable")
    out, half = np.empty_like(values), (len(values) + 1) // 2
    out[0::2], out[1::2] = values[:half], values[half:]
    assert not (out[1:] == out[:-1]).any()
    return out


def skewed_literals() -> bytes:
    """Byte counts 1, 2, 3, 5, 8, ... (Fibonacci): an unlimited Huffman code for them and
    the end-of-block code would be 19 bits deep; deflate allows 15."""
    counts = [1, 2]
    while len(counts) < 19:
        counts.append(counts[-1] + counts[-2])
    return no_neighbours_alike(np.repeat(np.arange(19, dtype=np.uint8), counts)).tobytes()


def skewed_code_lengths() -> bytes:
    """Byte counts 2^(15 - length) give exactly these literal code lengths (with the
    end-of-block code at 15 bits); the code for the lengths themselves, unlimited, would be
    9 bits deep; deflate allows 7."""
    spread = {2: 3, 3: 1, 6: 3, 8: 2, 9: 21, 10: 8, 11: 1, 12: 55, 13: 34, 14: 13, 15: 85}
    lengths = no_neighbours_alike(np.repeat(list(spread), list(spread.values())))
    values = np.repeat(np.arange(len(lengths), dtype=np.uint8), 2 ** (15 - lengths))
    return no_neighbours_alike(values).tobytes()


@pytest.mark.parametrize("make", [skewed_literals, skewed_code_lengths])
def test_too_deep_codes_are_length_limited(make):
    """No byte repeats its neighbour: all literals, one row (so nothing above in reach)."""
    data = make()
    raw = fast.deflate_rows(data, 1, len(data) - 1, len(data))
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
    for h, w in [(-1, 3), (2, -1), (1, sys.maxsize), (0, sys.maxsize), (2, sys.maxsize // 2),
                 (sys.maxsize, 0), (-sys.maxsize - 1, -1)]:
        with pytest.raises(ValueError):
            fast.deflate_rows(bytes(8), h, w, 8)
    with pytest.raises(ValueError):
        fast.deflate_rows(b"", 1, sys.maxsize, 8)
    with pytest.raises(OverflowError):
        fast.deflate_rows(bytes(8), 2, 3, 2**63)
    with pytest.raises(TypeError):
        fast.deflate_rows("abcd", 1, 3, 8)
    with pytest.raises((TypeError, BufferError, ValueError)):  # not contiguous
        fast.deflate_rows(memoryview(bytes(16))[::2], 2, 3, 8)


def test_huge_limits_size_nothing():
    """A limit past the symbols there can be (one a byte) is the same as len(data): it
    must not size a buffer (limit + 1 overflowed, or wrapped malloc's size)."""
    data = scanlines(label_image(np.random.default_rng(5), 40, 70, 6))
    want = fast.deflate_rows(data, 40, 70, len(data))
    for limit in (len(data) + 1, 2**31, 2**32 + 3, 2**40, 2**62, 2**63 - 1):
        assert fast.deflate_rows(data, 40, 70, limit) == want
    assert fast.deflate_rows(bytearray(data), 40, 70, 2**63 - 1) == want
    assert fast.deflate_rows(memoryview(data), 40, 70, 2**63 - 1) == want
    assert inflate(fast.deflate_rows(b"", 0, 2**62, 2**63 - 1), b"") == b""


def chunks(png: bytes) -> dict[bytes, bytes]:
    assert png[:8] == SIGNATURE
    found, at = {}, 8
    while at < len(png):
        size, kind = struct.unpack(">I4s", png[at:at + 8])
        body = png[at + 8:at + 8 + size]
        assert struct.unpack(">I", png[at + 8 + size:at + 12 + size])[0] == zlib.crc32(
            kind + body)
        found[kind] = found.get(kind, b"") + body
        at += 12 + size
    return found


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 80), st.integers(1, 120), st.integers(0, 10), st.integers(0, 2**32 - 1),
       st.booleans())
def test_png_writer_reads_back_through_pil(h, w, shapes, seed, palette):
    plane = label_image(np.random.default_rng(seed), h, w, shapes)
    data = scanlines(plane)
    png = encode_index_png(data, h, w, bytes(range(256)) * 3 if palette else None)
    raw = fast.deflate_rows(data, h, w, len(data) // 8)
    idat = chunks(png)[b"IDAT"]
    if raw is not None:  # the compiled path wrote it
        assert idat == b"\x78\x01" + raw + struct.pack(">I", zlib.adler32(data))
    assert zlib.decompress(idat) == data
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == ("P" if palette else "L") and image.size == (w, h)
        assert np.array_equal(np.asarray(image), plane)
    assert np.array_equal(decode_plain_png(png)[:, 1:], plane)


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


def test_compare_widths_give_the_same_stream(tmp_path):
    """The AVX2 compare loop (chosen at import where the CPU has it) and the SSE2 one
    (COCOCONV_NO_AVX2=1) parse every picture into the same symbols: same bytes."""
    rng = np.random.default_rng(7)
    pictures = []
    for h, w in ((1, 1), (3, 40), (17, 300), (64, 97), (5, 40000)):
        plane = np.zeros((h, w), np.uint8)
        for _ in range(6):  # rectangles whose edges move row by row: matches of every length
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            plane[y0:y0 + rng.integers(1, h + 1), x0:x0 + rng.integers(1, 300)] = \
                rng.integers(1, 256)
        plane[rng.random((h, w)) < 0.01] = 7  # and some noise
        pictures.append((scanlines(plane), h, w))
    (tmp_path / "in.pkl").write_bytes(pickle.dumps(pictures))
    script = ("import pickle, sys\nfrom cococonv.raster import speedups\n"
              "f = speedups.fastpng()\n"
              "p = pickle.load(open(sys.argv[1], 'rb'))\n"
              "sys.stdout.buffer.write(pickle.dumps([f.deflate_rows(d, h, w, len(d))"
              " for d, h, w in p]))\n")
    env = dict(os.environ, COCOCONV_NO_AVX2="1")
    narrow = subprocess.run([sys.executable, "-c", script, str(tmp_path / "in.pkl")],
                            env=env, capture_output=True, check=True).stdout
    here = [fast.deflate_rows(d, h, w, len(d)) for d, h, w in pictures]
    assert pickle.loads(narrow) == here
    for (data, _h, _w), raw in zip(pictures, here):
        assert inflate(raw, data) == data
