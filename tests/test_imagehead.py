"""cococonv.imagehead: sizes parsed from header bytes are Pillow's, on every fixture image
and on truncated or corrupted copies of them (where Pillow fails, the probe fails too)."""
from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image as PILImage

from cococonv.imagehead import header_size
from cococonv.images import probe_size
from cococonv.model import Image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def image_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                  and p.is_file())


def pillow_size(data: bytes) -> tuple[int, int] | None:
    """What probe_size gave before the header parser: Pillow's size, None on any error."""
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            width, height = opened.size
        return height, width
    except Exception:
        return None


def probe_bytes(data: bytes, tmp_path: Path) -> tuple[int, int] | None:
    """probe_size of ``data`` both as a file on disk and as in-memory bytes (a zip)."""
    path = tmp_path / "probe.img"
    path.write_bytes(data)
    on_disk = probe_size(Image(name="probe.img", path=str(path)))
    in_memory = probe_size(Image(name="probe.img", loader=lambda: data))
    assert on_disk == in_memory
    return on_disk


def test_fixture_and_example_images_same_size_as_pillow(fixtures_root, tmp_path):
    files = image_files(fixtures_root) + image_files(EXAMPLES)
    assert len(files) > 50
    parsed = 0
    for path in files:
        data = path.read_bytes()
        expected = pillow_size(data)
        assert probe_bytes(data, tmp_path) == expected, path
        fast = header_size(data[:64 * 1024])
        if fast is not None:
            parsed += 1
            assert fast == expected, path
    assert parsed >= len(files) // 3  # the parser, not only the fallback, is exercised


def _samples(fixtures_root: Path) -> list[bytes]:
    """A few PNGs and JPEGs the parser reads itself, plus a Pillow-written JPEG."""
    picks: list[bytes] = []
    for suffixes in ({".png"}, {".jpg", ".jpeg"}):
        found = [p.read_bytes() for p in image_files(fixtures_root) + image_files(EXAMPLES)
                 if p.suffix.lower() in suffixes]
        picks += [d for d in found if header_size(d) is not None][:3]
    buffer = io.BytesIO()
    PILImage.new("RGB", (37, 21), (9, 99, 199)).save(buffer, "JPEG")
    return picks + [buffer.getvalue()]


def test_truncated_and_corrupted_headers_fail_or_succeed_like_pillow(fixtures_root, tmp_path):
    rng = random.Random(13)
    samples = _samples(fixtures_root)
    assert len(samples) >= 5
    for data in samples:
        header_end = min(len(data), 2048)
        cuts = sorted({0, 1, 3, 8, 12, 20, 24, 33, 40, 100, 300, *rng.sample(
            range(header_end), 20)})
        variants = [data[:cut] for cut in cuts]
        for _ in range(60):  # one byte changed in the header region
            at = rng.randrange(header_end)
            variants.append(data[:at] + bytes([rng.randrange(256)]) + data[at + 1:])
        for variant in variants:
            assert probe_bytes(variant, tmp_path) == pillow_size(variant)


@pytest.mark.parametrize("head", [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a",
                                  b"BM" + bytes(40), b"not an image at all"])
def test_short_or_foreign_heads_are_left_to_pillow(head):
    assert header_size(head) is None


def test_large_declared_size_is_left_to_pillow():
    # a 20000 x 20000 JPEG header: Pillow's decompression-bomb check decides, not us
    buffer = io.BytesIO()
    PILImage.new("L", (8, 8)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2
    assert header_size(bytes(data)) is None
