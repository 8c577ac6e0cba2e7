"""One hostile value never exhausts memory, crashes or hangs (docs/limits.md).

Each case builds the smallest input holding one such value (a coordinate of 2**31, a PNG
header claiming 65535x65535, JSON nested 5,000 deep, a flipped bit in a zip member ...) and
runs the real CLI in a child process under a 2 GB address-space limit and a timeout, so a
regression fails the test instead of taking the machine down. Each must exit 1 with exactly
one stderr line naming the file and the place, write nothing and leave no temporary folder.
"""
from __future__ import annotations

import io
import json
import os
import re
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cococonv import fileio

from ..builders import coco_ann, coco_doc, coco_image, voc_xml, write_voc

MEMORY_LIMIT = 2 << 30
TIMEOUT = 60
SIDE = 1 << 20  # cococonv.model.MAX_IMAGE_SIDE


def run_cli(cwd: Path, args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    return subprocess.run([sys.executable, "-m", "cococonv", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=TIMEOUT, preexec_fn=limit,
                          env={**os.environ, **(env or {})})


# -- inputs --------------------------------------------------------------------------------

def coco_file(ring: list | None = None, *, width: int = 512, height: int = 512,
              **ann: object) -> Callable[[Path], str]:
    """A single COCO file ``in.json`` with one image and one annotation."""
    def write(root: Path) -> str:
        fields = {"segmentation": [ring if ring is not None else [10, 10, 300, 10, 100, 300]],
                  **ann}
        doc = coco_doc(images=[coco_image(width=width, height=height)],
                       annotations=[coco_ann(**fields)])
        for key in [k for k, v in doc["annotations"][0].items() if v is None]:
            del doc["annotations"][0][key]
        (root / "in.json").write_text(json.dumps(doc))
        return "in.json"
    return write


def raw_json(text: str) -> Callable[[Path], str]:
    def write(root: Path) -> str:
        (root / "in.json").write_text(text)
        return "in.json"
    return write


def rle_with_a_byte_deleted() -> Callable[[Path], str]:
    """A valid compressed RLE with its third character deleted (pycocotools' decoder then
    ran past 60 s with --segmentation-mode polygons)."""
    from pycocotools import mask as pycoco_mask
    array = np.zeros((512, 512), dtype=np.uint8, order="F")
    array[100:300, 50:400] = 1
    array[150:200, 60:90] = 0
    counts = pycoco_mask.encode(array)["counts"].decode("ascii")
    return coco_file(None, segmentation={"size": [512, 512], "counts": counts[:2] + counts[3:]},
                     iscrowd=0)


def _chunk(kind: bytes, data: bytes, length: int | None = None) -> bytes:
    return (struct.pack(">I", len(data) if length is None else length) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def voc_with_mask(mask: bytes, name: str = "a.png") -> Callable[[Path], str]:
    """A VOC folder whose one item has a class mask ``mask`` (a PNG, or labelme's .npy)."""
    def write(root: Path) -> str:
        write_voc(root / "voc", {"a": voc_xml(extra="")},
                  {"Segmentation/train.txt": "a\n"},
                  {f"SegmentationClass/{name}": mask})
        return "voc"
    return write


def bomb_npy() -> bytes:
    """A .npy array whose header claims 65535x65535 over 10 bytes of data (numpy allocates
    the whole array before it finds the data short)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False,
                                               "shape": (65535, 65535)})
    return out.getvalue() + bytes(10)


def bomb_png() -> bytes:
    """A PNG whose header claims 65535x65535 pixels over a few bytes of data."""
    header = struct.pack(">IIBBBBB", 65535, 65535, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 100)) + _chunk(b"IEND", b""))


def broken_chunk_png() -> bytes:
    """A 60x50 mask PNG whose pixel chunk claims fewer bytes than it holds, so the next
    "chunk" starts inside the pixels (Pillow raises SyntaxError "broken PNG file" while
    loading; the fuzzer found it as one changed length byte)."""
    header = struct.pack(">IIBBBBB", 60, 50, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + bytes(60) for _ in range(50)), 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", pixels, length=100) + _chunk(b"IEND", b""))


def panoptic_with_mask(mask: bytes) -> Callable[[Path], str]:
    """A COCO panoptic folder whose one segment PNG is ``mask``."""
    def write(root: Path) -> str:
        doc = coco_doc(annotations=[{"image_id": 1, "file_name": "a.png", "segments_info": [
            {"id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1], "iscrowd": 0}]}])
        (root / "pan" / "annotations" / "panoptic_val").mkdir(parents=True)
        (root / "pan" / "annotations" / "panoptic_val.json").write_text(json.dumps(doc))
        (root / "pan" / "annotations" / "panoptic_val" / "a.png").write_bytes(mask)
        return "pan"
    return write


def voc_xml_file(text: bytes) -> Callable[[Path], str]:
    def write(root: Path) -> str:
        write_voc(root / "voc", {}, {"Main/train.txt": "a\n"})
        (root / "voc" / "Annotations").mkdir()
        (root / "voc" / "Annotations" / "a.xml").write_bytes(text)
        return "voc"
    return write


CVAT_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta>'
             '<task><labels><label><name>cat</name><type>any</type></label></labels></task>'
             '</meta>\n')


def cvat_file(image: str) -> Callable[[Path], str]:
    """A CVAT for images file ``in.xml`` whose line 3 is ``image``."""
    def write(root: Path) -> str:
        (root / "in.xml").write_text(CVAT_HEAD + image + "\n</annotations>\n")
        return "in.xml"
    return write


def coco_zip(damage: Callable[[bytes, zipfile.ZipInfo], bytes]) -> Callable[[Path], str]:
    """A COCO export zip whose annotation member's bytes are damaged by ``damage``."""
    def write(root: Path) -> str:
        path = root / "in.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("annotations/instances_default.json", json.dumps(coco_doc()) * 1)
        data = path.read_bytes()
        with zipfile.ZipFile(path) as archive:
            info = archive.infolist()[0]
        path.write_bytes(damage(data, info))
        return "in.zip"
    return write


def flip_deflate(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's deflate stream replaced by bytes zlib refuses (invalid block type)."""
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    return data[:start] + b"\xff" * info.compress_size + data[start + info.compress_size:]


def wrong_crc(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's CRC changed where the local header and the central directory hold it."""
    good = struct.pack("<I", info.CRC)
    bad = struct.pack("<I", info.CRC ^ 1)
    assert data.count(good) == 2
    return data.replace(good, bad)


def not_a_zip(_data: bytes, _info: zipfile.ZipInfo) -> bytes:
    return b"PK\x03\x04" + b"\0" * 40


# -- the table -------------------------------------------------------------------------------

LIMIT_NOTE = "docs/limits.md"


def too_far(place: str, value: str) -> str:
    """The one error line for a COCO coordinate outside in.json's 512x512 image's margin."""
    return (f"error: in.json: annotations[0].{place}: {value} is too far outside the 512x512 "
            f"image (allowed -1024 to 1536; {LIMIT_NOTE})")


CASES = [
    pytest.param(coco_file([10, 10, 2 ** 31, 10, 100, 300]), ["-f", "voc"],
                 too_far("segmentation[0]", "x = 2147483648"), id="x-2**31-to-voc"),
    pytest.param(coco_file([10, 10, 2 ** 31, 10, 100, 300]),
                 ["-f", "coco", "--segmentation-mode", "mask"],
                 too_far("segmentation[0]", "x = 2147483648"), id="x-2**31-to-coco-masks"),
    pytest.param(coco_file([10, 10, 100, 10, 100, -2 ** 31], area=None), ["-f", "coco"],
                 too_far("segmentation[0]", "y = -2147483648"), id="y-2**31-without-area"),
    pytest.param(coco_file([10, 10, 1e9, 10, 100, 300]), ["-f", "voc"],
                 too_far("segmentation[0]", "x = 1000000000"), id="x-1e9"),
    pytest.param(coco_file([10, 10, 10 ** 400, 10, 100, 300]),
                 ["-f", "coco", "--segmentation-mode", "mask"],
                 too_far("segmentation[0]", "x = a 401-digit number"), id="x-10**400"),
    pytest.param(coco_file(None, bbox=[10, 10, 1e12, 5]), ["-f", "voc"],
                 too_far("bbox", "x = 1e+12"), id="box-width-1e12"),
    pytest.param(cvat_file('<image id="0" name="a.jpg" width="512" height="400"><polygon '
                           'label="cat" points="10,10;2147483648,10;100,300"/></image>'),
                 ["-f", "voc"],
                 "error: in.xml: line 3: <polygon> x = 2147483648 is too far outside the 512x400 "
                 f"image (allowed -1024 to 1536; {LIMIT_NOTE})", id="cvat-polygon-x-2**31"),
    pytest.param(cvat_file(f'<image id="0" name="a.jpg" width="{SIDE}" height="{SIDE}"><mask '
                           'label="cat" rle="0, 1000000000000" left="0" top="0" width="1000000" '
                           'height="1000000"/></image>'), ["-f", "coco"],
                 "error: in.xml: line 3: <mask> the mask's box would be 1000000x1000000 = "
                 "1000000000000 pixels (width x height), above the limit of 268435456 "
                 f"({LIMIT_NOTE})", id="cvat-mask-of-10**12-pixels"),
    pytest.param(voc_xml_file(voc_xml("<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1"
                                      "</ymin><xmax>1e12</xmax><ymax>5</ymax></bndbox></object>")
                              .encode()), ["-f", "coco"],
                 "error: Annotations/a.xml: line 1: <bndbox> x = 1e+12 is too far outside the "
                 f"60x50 image (allowed -1024 to 1084; {LIMIT_NOTE})", id="voc-box-1e12"),
    pytest.param(coco_file(width=SIDE, height=SIDE), ["-f", "voc"],
                 f"error: a: the masks would be {SIDE}x{SIDE} = {SIDE * SIDE} pixels "
                 f"(width x height), above the limit of 268435456 ({LIMIT_NOTE})",
                 id="largest-image-to-voc"),
    pytest.param(coco_file(width=SIDE, height=SIDE),
                 ["-f", "coco", "--segmentation-mode", "mask"],
                 f"error: a: annotation 1: an image of {SIDE}x{SIDE} pixels (width x height) is "
                 f"more than an RLE mask can describe (4294967295 pixels)",
                 id="largest-image-to-coco-masks"),
    pytest.param(coco_file(width=SIDE, height=SIDE), ["-f", "coco", "-t", "polygons_to_masks"],
                 f"error: a: annotation 1: an image of {SIDE}x{SIDE} pixels (width x height) is "
                 f"more than an RLE mask can describe (4294967295 pixels)",
                 id="largest-image-polygons-to-masks"),
    pytest.param(raw_json(json.dumps(coco_doc(
        images=[coco_image(width=SIDE, height=SIDE)],
        annotations=[coco_ann(id=1), coco_ann(id=2)]))), ["-f", "coco", "--crop-covered"],
                 f"error: a: --crop-covered's masks would be {SIDE}x{SIDE} = {SIDE * SIDE} pixels "
                 f"(width x height), above the limit of 268435456 ({LIMIT_NOTE})",
                 id="largest-image-crop-covered"),
    pytest.param(coco_file(None, width=SIDE, height=SIDE, iscrowd=1,
                           segmentation={"size": [SIDE, SIDE], "counts": [SIDE * SIDE - 5, 5]}),
                 ["-f", "coco"],
                 f"error: in.json: annotations[0].segmentation: an image of {SIDE}x{SIDE} pixels "
                 "(width x height) is more than an RLE mask can describe (4294967295 pixels)",
                 id="crowd-rle-of-2**40-pixels"),
    pytest.param(coco_file([v for k in range(200_000) for v in (k % 2 * 511.0, k / 400)]),
                 ["-f", "voc"],
                 "error: a: a polygon crosses the image's pixel columns 102200000 times, more "
                 f"than the 16777216 cococonv rasterises ({LIMIT_NOTE})",
                 id="zigzag-polygon-crossing-every-column"),
    pytest.param(raw_json(json.dumps(coco_doc())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000
                          + "}"), ["-f", "voc"],
                 "error: in.json: JSON nested more than 512 levels deep (a dataset needs fewer "
                 f"than 10; {LIMIT_NOTE})", id="json-nested-5000-deep"),
    pytest.param(rle_with_a_byte_deleted(), ["-f", "coco", "--segmentation-mode", "polygons"],
                 "error: in.json: annotations[0].segmentation: compressed RLE counts sum to "
                 "236544, expected height*width = 262144", id="rle-string-byte-deleted"),
    pytest.param(voc_with_mask(bomb_png()), ["-f", "coco"],
                 "error: SegmentationClass/a.png: the mask PNG would be 65535x65535 = "
                 f"4294836225 pixels (width x height), above the limit of 268435456 "
                 f"({LIMIT_NOTE})", id="png-claims-65535-square"),
    pytest.param(voc_with_mask(broken_chunk_png()), ["-f", "coco"],
                 "error: SegmentationClass/a.png: cannot read the PNG (broken PNG file "
                 "(chunk b'\\x00\\x00\\x00\\x00'))", id="png-broken-chunk"),
    pytest.param(voc_with_mask(bomb_npy(), "a.npy"), ["-f", "coco"],
                 "error: SegmentationClass/a.npy: the mask array would be 65535x65535 = "
                 f"4294836225 values, above the limit of 268435456 ({LIMIT_NOTE})",
                 id="npy-claims-65535-square"),
    pytest.param(panoptic_with_mask(bomb_png()), ["-if", "coco_panoptic", "-f", "voc"],
                 "error: annotations/panoptic_val.json: annotations[0].file_name: panoptic mask "
                 "'a.png' would be 65535x65535 = 4294836225 pixels (width x height), above the "
                 f"limit of 268435456 ({LIMIT_NOTE})", id="panoptic-png-claims-65535-square"),
    pytest.param(voc_with_mask(b"\x89PNG\r\n\x1a\n" + b"\0" * 30), ["-f", "coco"],
                 "error: SegmentationClass/a.png: cannot read the PNG (not an image Pillow "
                 "knows)", id="png-garbage"),
    pytest.param(coco_zip(flip_deflate), ["-f", "voc"],
                 "error: in.zip!annotations/instances_default.json: cannot read member "
                 "(Error -3 while decompressing data: invalid block type)",
                 id="zip-member-does-not-inflate"),
    pytest.param(coco_zip(wrong_crc), ["-f", "voc"],
                 "error: in.zip!annotations/instances_default.json: cannot read member (Bad "
                 "CRC-32 for file 'annotations/instances_default.json')", id="zip-member-crc"),
    pytest.param(coco_zip(not_a_zip), ["-f", "voc", "--void-regions", "crowd"],
                 "error: in.zip: not a readable zip archive (File is not a zip file)",
                 id="unreadable-zip-with-a-voc-option"),
    pytest.param(voc_xml_file(b"<annotation>\n<\x00a/></annotation>"), ["-f", "coco"],
                 "error: Annotations/a.xml: line 2: not valid XML (Invalid character: Char "
                 "0x0 out of allowed range)", id="xml-message-with-a-newline"),
    pytest.param(voc_xml_file(b"<annotation>" + b"<a>" * 300 + b"</a>" * 300
                              + b"</annotation>"), ["-f", "coco"],
                 "error: Annotations/a.xml: line 1: not valid XML (elements nested deeper "
                 f"than 256 levels ({LIMIT_NOTE}))", id="xml-nested-300-deep"),
]


# the cases whose work differs without the compiled helpers run on both paths
BOTH_PATHS = {"x-2**31-to-voc", "x-1e9", "largest-image-to-voc", "png-claims-65535-square",
              "png-broken-chunk", "zigzag-polygon-crossing-every-column"}
RUNS = [pytest.param(*case.values, speedups, id=f"{case.id}-{speedups}")
        for case in CASES for speedups in ("built", "numpy")
        if speedups == "built" or case.id in BOTH_PATHS]


@pytest.mark.parametrize("make_input, args, expected_line, speedups", RUNS)
def test_a_hostile_value_is_one_error_line(tmp_path, make_input, args, expected_line,
                                           speedups):
    source = make_input(tmp_path)
    env = {"COCOCONV_NO_SPEEDUPS": "1" if speedups == "numpy" else "0"}
    result = run_cli(tmp_path, ["convert", "-i", source, "-o", "out", *args], env)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [expected_line]
    assert not (tmp_path / "out").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".cococonv-")]


def test_a_coordinate_past_the_margin_is_skipped_and_counted_under_on_error_skip(tmp_path):
    source = coco_file([10, 10, 2 ** 31, 10, 100, 300])(tmp_path)
    result = run_cli(tmp_path, ["convert", "-i", source, "-o", "out", "-f", "voc",
                                "--on-error", "skip"])
    assert result.returncode == 0, result.stderr
    assert re.search(r"skipped +bad records +1 +--on-error skip", result.stderr)
    assert not (tmp_path / "out" / "SegmentationClass").exists()


def test_a_polygon_reaching_past_the_image_paints_its_in_image_pixels(tmp_path):
    """Within the margin a ring reaching outside is clipped, not refused: VOC gets the pixels
    pycocotools gives inside the image, on both painter paths."""
    from pycocotools import mask as pycoco_mask
    from PIL import Image as PILImage

    ring = [-900.0, 20.5, 1000.25, 40.0, 300.0, 1000.0]
    source = coco_file(ring, width=64, height=48)(tmp_path)
    want = pycoco_mask.decode(pycoco_mask.frPyObjects([ring], 48, 64)[0])
    for speedups in ("0", "1"):
        out = f"out{speedups}"
        result = run_cli(tmp_path, ["convert", "-i", source, "-o", out, "-f", "voc"],
                         {"COCOCONV_NO_SPEEDUPS": speedups})
        assert result.returncode == 0, result.stderr
        painted = np.asarray(PILImage.open(tmp_path / out / "SegmentationClass" / "a.png"))
        assert np.array_equal(painted != 0, want.astype(bool))


def test_a_huge_broken_json_is_placed_without_a_second_parse(monkeypatch):
    """Past 64 MiB the place comes from the first parser's byte offset (a 2 GB file of NUL
    bytes was parsed twice, then ran out of memory)."""
    monkeypatch.setattr(fileio, "_REPARSE_LIMIT", 0)
    import orjson
    monkeypatch.setattr(orjson, "loads", None)  # a second parse would fail loudly
    with pytest.raises(fileio.DataError) as caught:
        fileio.loads_json(b'{"images": [\n  1,\n  \x00]}', file="in.json")
    assert str(caught.value) == "in.json: line 3 column 3: not valid JSON (invalid character)"
    with pytest.raises(fileio.DataError) as caught:
        fileio.loads_json(b'{"images": [\n  1,', file="in.json")
    assert str(caught.value) == "in.json: line 2 column 5: not valid JSON (unexpected end of data)"


def test_json_nesting_is_bounded_below_what_the_writers_can_write_back(tmp_path):
    """512 levels are read (and written back); 600 are refused. 980 levels used to parse,
    then crash the JSON writer with a RecursionError."""
    assert fileio.loads_json(b"[" * 512 + b"]" * 512, file="in.json")
    with pytest.raises(fileio.DataError, match="nested more than 512 levels"):
        fileio.loads_json(b"[" * 600 + b"]" * 600, file="in.json")
    deep = json.dumps(coco_doc())[:-1] + ', "x": ' + "[" * 500 + "]" * 500 + "}"
    (tmp_path / "in.json").write_text(deep)
    result = run_cli(tmp_path, ["convert", "-i", "in.json", "-o", "out", "-f", "coco", "-q"])
    assert result.returncode == 0, result.stderr
