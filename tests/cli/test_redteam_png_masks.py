"""Red-team findings on png_masks input (issue 13)."""
from __future__ import annotations

import json

import resource
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest

from cococonv.errors import DataError
from cococonv.raster.runs import Runs
from cococonv_plugins.png_masks import decode
from cococonv_plugins.png_masks.decode import (MAX_COLOUR_PIXELS, MAX_RUNS, MAX_WIDE_PIXELS,
                                               check_runs, value_rles)


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


def _png(path: Path, rows: list[bytes], width: int, depth: int, colour_type: int = 0) -> None:
    """A PNG of ``depth`` bits (grayscale, or ``colour_type`` 2 for RGB) whose scanlines are
    ``rows`` (filter byte 0)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body)))

    packer = zlib.compressobj(1)
    idat = b"".join(packer.compress(b"\0" + row) for row in rows) + packer.flush()
    header = struct.pack(">IIBBBBB", width, len(rows), depth, colour_type, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) +
                     chunk(b"IEND", b""))


def _convert_limited(root: Path, *options: str) -> subprocess.CompletedProcess:
    """The CLI on ``root/in`` in a child under a 2 GiB address-space limit."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    return subprocess.run([sys.executable, "-m", "cococonv", "convert", "-i", "in", "-if",
                           "png_masks", *options, "-o", "out.json", "-f", "coco"],
                          cwd=root, text=True, capture_output=True, timeout=120,
                          preexec_fn=limit)


def _one_line_error(done: subprocess.CompletedProcess, root: Path) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert not (root / "out.json").exists()
    return lines[0]


def test_a_16_bit_mask_past_its_pixel_budget_is_one_line(tmp_path: Path) -> None:
    # Was: a 520 kB 16-bit 16384x16384 instance PNG cost 1.6 GB and 6 s (Pillow's decode
    # buffer plus numpy's copy); a 16-bit plane now has a budget, checked from the header.
    width, height = 8193, 8192
    row = np.full(width, 3, ">u2").tobytes()
    _png(tmp_path / "in" / "masks" / "a.png", [row] * height, width, 16)
    line = _one_line_error(_convert_limited(tmp_path, "--mask-kind", "instance"), tmp_path)
    assert "masks/a.png" in line and "8193x8192" in line, line
    assert f"above the limit of {MAX_WIDE_PIXELS} for 16-bit masks" in line, line


def test_an_rgb_mask_past_its_pixel_budget_is_one_line(tmp_path: Path) -> None:
    # Was: an RGB mask went through Pillow and an (h, w, 3) uint32 array, some 35 bytes a
    # pixel, so a 1 MB all-black 16384x16384 RGB PNG could cost ~9 GB; now refused from
    # its header (past 2^27 pixels since colours are packed a block at a time).
    width, height = 16385, 8192
    _png(tmp_path / "in" / "masks" / "a.png", [bytes(3 * width)] * height, width, 8, 2)
    (tmp_path / "in" / "labelmap.txt").write_text("background:0,0,0::\n")
    line = _one_line_error(_convert_limited(tmp_path), tmp_path)
    assert "masks/a.png" in line and "16385x8192" in line, line
    assert f"above the limit of {MAX_COLOUR_PIXELS} for RGB masks" in line, line


def test_an_rgb_mask_of_the_old_limit_is_read_within_2_gib(tmp_path: Path) -> None:
    # Was: 8192x8192 RGB pixels held some 50 bytes each at once (3.3 GB): past the child's
    # 2 GiB address space. Packed and looked up a block at a time they hold some 10.
    width, height = 8192, 8192
    _png(tmp_path / "in" / "masks" / "a.png", [b"\x80\0\0" * width] * height, width, 8, 2)
    (tmp_path / "in" / "images" / "a.jpg").parent.mkdir(parents=True)
    (tmp_path / "in" / "labelmap.txt").write_text("background:0,0,0::\nroad:128,0,0::\n")
    done = _convert_limited(tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "out.json").read_bytes())
    assert [a["area"] for a in doc["annotations"]] == [width * height]


def test_a_mask_of_too_many_runs_is_one_line(tmp_path: Path) -> None:
    # Was: a 526 kB PNG of 1024 stripes took 3 GB and 67 s: the runs (and their RLEs)
    # grew with the stripes. They are now counted before any is kept.
    width, height = 4096, 2048
    rows = [bytes([1 + y % 2]) * width for y in range(height)]  # 8.4 million runs
    _png(tmp_path / "in" / "masks" / "a.png", rows, width, 8)
    line = _one_line_error(_convert_limited(tmp_path), tmp_path)
    assert "masks/a.png" in line and f"more than {MAX_RUNS} runs" in line, line


def test_runs_are_counted_as_the_reader_finds_them() -> None:
    plane = np.zeros((64, 32), np.uint8)
    plane[::2] = 7  # every pixel differs from the one above: 64 runs a column
    assert len(Runs(plane, None).starts) == 2048
    check_runs(plane)
    check_runs(plane.astype(np.uint16) * 100)  # 16-bit planes alike
    with patch(f"{decode.__name__}.MAX_RUNS", 2047):
        with pytest.raises(DataError, match="more than 2047 runs"):
            decode.check_runs(plane)
