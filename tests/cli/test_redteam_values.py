"""The red-team's findings of issue 11, each through the CLI (docs/limits.md lists the bounds).

Many categories stay linear, one huge category id is refused, running out of memory and
endless or piped inputs are one line, names XML cannot hold are refused or skipped, a
malformed project config names its field, a killed run's folder goes even when the next run
fails, and Pillow's pixel limit is not the one users meet. Runs that could take the machine
down (memory, time) go to a child under a 2 GB address-space limit and a timeout.
"""
from __future__ import annotations

import json
import os
import re
import resource
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from lxml import etree

from cococonv import staging

from ..builders import coco_ann, coco_doc, coco_image, voc_xml, write_voc

MEMORY_LIMIT = 2 << 30
MEMORY_LINE = ("memory ran out reading it; the dataset needs more memory than this machine "
               "has (a COCO file takes about 27 times its size once read; docs/limits.md)")


def run_cli(cwd: Path, args: list[str], *, timeout: float = 60, **kwargs) -> \
        subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    return subprocess.run([sys.executable, "-m", "cococonv", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, preexec_fn=limit, **kwargs)


def write_json(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def one_box_doc(categories: list[dict], category_id: int, **image: object) -> dict:
    return coco_doc(images=[coco_image(**image)], categories=categories,
                    annotations=[coco_ann(category_id=category_id, bbox=[1, 1, 3, 3],
                                          segmentation=None, area=9)])


def assert_one_line(result, expected: str) -> None:
    assert result.stderr.splitlines() == [expected], result.stderr[-2000:]


# -- F10: many categories ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["coco", "voc", "cvat"])
def test_fifty_thousand_categories_convert_in_linear_time(tmp_path, fmt):
    # quadratic, 50,000 categories took ~45 s (20,000: 7 s); linear, under 2 s here
    cats = [{"id": i, "name": f"c{i}"} for i in range(1, 50_001)]
    write_json(tmp_path / "in" / "annotations" / "instances_default.json",
               one_box_doc(cats, 5))
    result = run_cli(tmp_path, ["convert", "-i", "in", "-f", fmt, "-o", "out", "-q"],
                     timeout=30)
    assert result.returncode == 0, result.stderr
    back = run_cli(tmp_path, ["info", "-i", "out", "--json"], timeout=30)
    assert back.returncode == 0, back.stderr
    assert len(json.loads(back.stdout)["labels"]) >= 50_000


# -- F11: one huge category id ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["coco", "voc", "cvat"])
def test_huge_category_id_with_kept_ids_is_one_line(tmp_path, fmt):
    doc = one_box_doc([{"id": 3, "name": "x"}, {"id": 10**9, "name": "big"}], 10**9)
    write_json(tmp_path / "in" / "annotations" / "instances_default.json", doc)
    result = run_cli(tmp_path, ["convert", "-i", "in", "-f", fmt, "-o", "out",
                                "--keep-original-category-ids"], timeout=30)
    assert result.returncode == 1
    assert_one_line(result, "error: annotations/instances_default.json: categories[1].id: "
                            "1000000000 would need 999999999 placeholder labels for the gaps "
                            "between category ids with --keep-original-category-ids (at most "
                            "100000; docs/limits.md)")
    assert not (tmp_path / "out").exists()


def test_kept_ids_with_gaps_under_the_bound_still_pad(tmp_path, runner, cli):
    doc = one_box_doc([{"id": 1, "name": "a"}, {"id": 90_000, "name": "far"}], 90_000)
    write_json(tmp_path / "in.json", doc)
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in.json"), "-f", "coco",
                                 "-o", str(tmp_path / "out.json"),
                                 "--keep-original-category-ids"])
    assert result.exit_code == 0, result.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert [c["id"] for c in out["categories"]] == [1, 90_000]


# -- F12 / F15 / F16: memory and endless inputs ---------------------------------------------

def test_memory_running_out_while_reading_is_one_line(tmp_path, runner, cli, monkeypatch):
    from cococonv_plugins.coco import importer

    def exhausted(self, source):
        raise MemoryError
    monkeypatch.setattr(importer.CocoReader, "read", exhausted)
    write_json(tmp_path / "in.json", one_box_doc([{"id": 1, "name": "a"}], 1))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in.json"), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: in.json: {MEMORY_LINE}"]


def test_memory_running_out_while_writing_is_one_line_and_leaves_nothing(
        tmp_path, runner, cli, monkeypatch):
    from cococonv_plugins.coco import exporter

    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(exporter, "dumps_json", exhausted)
    monkeypatch.setattr(exporter, "write_json", exhausted)
    write_json(tmp_path / "in.json", one_box_doc([{"id": 1, "name": "a"}], 1))
    target = str(tmp_path / "out")
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in.json"), "-f", "coco",
                                 "-o", target])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: {target}: memory ran out "
                                                     f"writing it; ")
    assert sorted(os.listdir(tmp_path)) == ["in.json"]


def test_memory_running_out_elsewhere_is_one_line_not_an_internal_error(
        tmp_path, runner, cli, monkeypatch):
    from cococonv import api

    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(api, "check_separate", exhausted)
    result = runner.invoke(cli, ["convert", "-i", "x", "-f", "coco", "-o", "y"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: memory ran out; the data needs more memory "
                                          "than this machine has (docs/limits.md)"]


def test_huge_string_value_under_a_memory_limit_is_not_a_segfault(tmp_path):
    # orjson crashed with SIGSEGV when its allocation failed; msgspec raises MemoryError
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))\n"
            "from cococonv.fileio import dumps_json\n"
            "try:\n"
            "    dumps_json({'x': '\\u00e9' * 150_000_000})\n"
            "except MemoryError:\n"
            "    sys.exit(3)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode in (0, 3), result.stderr[-500:]


@pytest.mark.parametrize("how", ["stdin", "path"])
def test_dev_zero_input_is_refused_at_the_first_chunk(tmp_path, how):
    if how == "stdin":
        with open("/dev/zero", "rb") as zero:
            result = run_cli(tmp_path, ["convert", "-i", "-", "-f", "voc", "-o", "o"],
                             stdin=zero, timeout=30)
        name = "<stdin>"
    else:
        result = run_cli(tmp_path, ["convert", "-i", "/dev/zero", "-f", "voc", "-o", "o"],
                         timeout=30)
        name = "/dev/zero"
    assert result.returncode == 1
    assert_one_line(result, f"error: {name}: not JSON or XML: a NUL byte at offset 0")


def _pipe_run(tmp_path: Path, data: bytes, args: list[str]) -> subprocess.CompletedProcess:
    """``cococonv ... -i /dev/fd/N`` like the shell's ``-i <(cat x)``."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as fh:
            try:
                fh.write(data)
            except BrokenPipeError:
                pass
    writer = threading.Thread(target=feed)
    writer.start()
    try:
        return run_cli(tmp_path, [a.replace("PIPE", f"/dev/fd/{read_end}") for a in args],
                       pass_fds=(read_end,), timeout=30)
    finally:
        os.close(read_end)
        writer.join()


def test_process_substitution_input_is_detected_and_named_by_its_path(tmp_path):
    data = json.dumps(one_box_doc([{"id": 1, "name": "a"}], 1)).encode()
    result = _pipe_run(tmp_path, data, ["convert", "-i", "PIPE", "-f", "coco", "-o", "o", "-q"])
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "o/annotations/instances_default.json").read_text())[
        "categories"][0]["name"] == "a"
    broken = _pipe_run(tmp_path, b'{"images": [', ["convert", "-i", "PIPE", "-f", "coco",
                                                   "-o", "o2"])
    assert broken.returncode == 1
    assert re.fullmatch(r"error: /dev/fd/\d+: line 1 column 13: not valid JSON \(.*\)\n",
                        broken.stderr), broken.stderr


def test_stream_reads_stop_at_their_bound():
    import io

    from cococonv.errors import DataError
    from cococonv.streams import read_stream
    assert read_stream(io.BytesIO(b"{}" * 10), "s", limit=64) == b"{}" * 10
    with pytest.raises(DataError, match="from a stream without an end"):
        read_stream(io.BytesIO(b" " * (3 << 20)), "s", limit=2 << 20)


# -- F2 / F3: names XML cannot hold -----------------------------------------------------------

def nul_doc(kind: str) -> dict:
    img = coco_image
    if kind == "label":
        return coco_doc(images=[img(file_name="a.jpg")], categories=[{"id": 1, "name": "a\0b"}],
                        annotations=[coco_ann(segmentation=None)])
    if kind == "file_name":
        return coco_doc(images=[img(id=1, file_name="a\0.jpg"), img(id=2, file_name="b.jpg")],
                        annotations=[coco_ann(id=1, image_id=1, segmentation=None),
                                     coco_ann(id=2, image_id=2, segmentation=None)])
    return coco_doc(images=[img(file_name="a.jpg")],
                    annotations=[coco_ann(segmentation=None, attributes={"k\0": "v"})])


@pytest.mark.parametrize("kind, fmt, expected", [
    pytest.param("label", "cvat", r"error: label 'a\\x00b': holds U\+0000, a character XML 1.0 "
                 r"cannot hold, in '<label>\\n +<name>a\\x00b</name>.*' \(docs/limits.md\)",
                 id="cvat-label"),
    pytest.param("file_name", "cvat", r"error: image 'a\\x00': holds U\+0000, a character XML "
                 r"1.0 cannot hold, in '<image id=\"0\" name=\"a\\x00.jpg\".*' "
                 r"\(docs/limits.md\)", id="cvat-file-name"),
    pytest.param("attribute", "voc", r"error: a: attribute name 'k\\x00' holds U\+0000, a "
                 r"character XML 1.0 cannot hold \(docs/limits.md\)", id="voc-attribute"),
])
def test_names_xml_cannot_hold_are_one_line(tmp_path, runner, cli, kind, fmt, expected):
    write_json(tmp_path / "in.json", nul_doc(kind))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in.json"), "-f", fmt,
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert re.fullmatch(expected, result.stderr.strip()), result.stderr
    assert not (tmp_path / "out").exists()


def test_cvat_image_xml_cannot_hold_is_skipped_under_warn(tmp_path, runner, cli):
    write_json(tmp_path / "in.json", nul_doc("file_name"))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in.json"), "-f", "cvat",
                                 "-o", str(tmp_path / "out"), "--on-error", "warn"])
    assert result.exit_code == 0, result.stderr
    assert "skipped: image 'a\\x00': holds U+0000" in result.stderr
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()  # valid XML
    assert [i.get("name") for i in root.iter("image")] == ["b.jpg"]


# -- F22: project config fields ------------------------------------------------------------

@pytest.mark.parametrize("source, where, message", [
    ({"path": "in", "format": "coco", "options": [1, 2]}, "sources[0].options",
     "must be an object"),
    ({"path": "in", "format": 3}, "sources[0].format", "must be a format name or null"),
    (5, "sources[0]", "must be an object with a 'path'"),
])
def test_malformed_project_source_names_its_field(tmp_path, runner, cli, source, where,
                                                  message):
    (tmp_path / "p").mkdir()
    config = tmp_path / "p" / "cococonv-project.json"
    config.write_text(json.dumps({"version": 1, "sources": [source]}))
    result = runner.invoke(cli, ["export", "-p", str(tmp_path / "p"), "-f", "coco",
                                 "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: {config}: {where}: {message}"]


# -- F5: a killed run's folder goes at the start of the next run -------------------------------

def test_stale_folder_is_removed_even_when_the_next_run_fails(tmp_path, runner, cli):
    dead = subprocess.Popen(["true"])
    dead.wait()
    record = {**json.loads(json.dumps(staging._me())), "pid": dead.pid, "start": None}
    stale = tmp_path / ".cococonv-T-killed"
    (stale / "out").mkdir(parents=True)
    (stale / "owner").write_text(json.dumps(record))
    (tmp_path / "bad.json").write_text("{not json")
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "bad.json"), "-f", "voc",
                                 "-o", str(tmp_path / "T")])
    assert result.exit_code == 1
    assert not stale.exists()


# -- F6: our mask-pixel limit, not Pillow's -----------------------------------------------------

def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, expected", [
    (16384, "cannot read the PNG (image file is truncated"),  # at the limit: read, then short
    (16385, "the mask PNG would be 16385x16384 = 268451840 pixels"),
])
def test_mask_png_limit_is_ours_not_pillows(tmp_path, width, expected):
    write_voc(tmp_path / "voc", {"a": voc_xml(extra="")}, {"Segmentation/train.txt": "a\n"},
              {"SegmentationClass/a.png": _png_claiming(width, 16384)})
    result = run_cli(tmp_path, ["convert", "-i", "voc", "-f", "coco", "-o", "o",
                                "--on-error", "warn"])
    assert "decompression bomb" not in result.stderr
    assert expected in result.stderr, result.stderr

