"""Broken and hostile COCO files: the streaming reader gives the in-memory reader's error
line, or the same output and report under --on-error skip."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cococonv import api
from cococonv.errors import CococonvError
from cococonv.report import Report


def _doc(images: int = 3, per_image: int = 2) -> dict:
    return {
        "info": {"description": "t"},
        "images": [{"id": i, "file_name": f"{i}.jpg", "width": 40, "height": 30}
                   for i in range(1, images + 1)],
        "annotations": [{"id": 10 * i + k, "image_id": i, "category_id": 1,
                         "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0,
                         "segmentation": [[1, 2, 4, 2, 4, 6]]}
                        for k in range(per_image) for i in range(images, 0, -1)],
        "categories": [{"id": 1, "name": "a]\"{[b", "supercategory": ""}],
    }


def _run(folder: Path, out: Path, mode: str, on_error: str):
    report = Report(on_error, quiet=True)
    try:
        api.convert(str(folder), str(out), input_format="coco", output_format="coco",
                    input_options={"streaming": mode}, report=report, jobs=1)
    except CococonvError as err:
        return ("error", str(err)), report.warnings, report.skipped
    data = {os.path.relpath(os.path.join(d, n), out): Path(d, n).read_bytes()
            for d, _dirs, names in os.walk(out) for n in names}
    return data, report.warnings, sorted(report.skipped)


def _both(tmp_path: Path, content: bytes, on_error: str = "fail"):
    folder = tmp_path / "in"
    (folder / "annotations").mkdir(parents=True)
    (folder / "annotations" / "instances_default.json").write_bytes(content)
    mem = _run(folder, tmp_path / "mem", "off", on_error)
    got = _run(folder, tmp_path / "stream", "on", on_error)
    got_warnings = [w for w in got[1] if "--streaming on" not in w]
    assert not [w for w in got[1] if "--streaming on" in w], "it did not stream"
    assert (got[0], got_warnings, got[2]) == mem
    return mem


def _bad(doc: dict, where: str, key: str, value) -> dict:
    section, index = where.split(":")
    doc[section][int(index)][key] = value
    return doc


CASES = {
    "dangling image id": lambda d: _bad(d, "annotations:1", "image_id", 99),
    "string image id": lambda d: _bad(d, "annotations:2", "image_id", "1"),
    "float image id": lambda d: _bad(d, "annotations:0", "image_id", 1.0),
    "no image id": lambda d: (d["annotations"][3].pop("image_id"), d)[1],
    "bad bbox late, bad category early": lambda d: _bad(_bad(
        d, "annotations:5", "bbox", [1, 2]), "annotations:1", "category_id", 7),
    "bad image after bad annotation": lambda d: _bad(_bad(
        d, "images:2", "width", -4), "annotations:0", "category_id", 7),
    "duplicate image id": lambda d: _bad(d, "images:2", "id", 1),
    "duplicate file name": lambda d: _bad(d, "images:1", "file_name", "1.jpg"),
    "record not an object": lambda d: (d["annotations"].insert(2, [1, 2]), d)[1],
    "duplicate annotation ids": lambda d: _bad(d, "annotations:4", "id", 10),
    "nested too deep": lambda d: _bad(d, "annotations:3", "extra", json.loads(
        "[" * 600 + "]" * 600)),
}


@pytest.fixture(params=[8192, 2], ids=["one batch", "batches of two"])
def batch(request, monkeypatch) -> None:
    """Batches of 2 records: the error found first is not the file's first."""
    from cococonv_plugins.coco import stream_source
    monkeypatch.setattr(stream_source, "BATCH_RECORDS", request.param)
    monkeypatch.setattr(stream_source, "RELEASE_EVERY", 1)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_same_as_in_memory(tmp_path: Path, case: str, on_error: str, batch: None) -> None:
    doc = CASES[case](_doc(images=6))
    text = json.dumps(doc) if case != "nested too deep" else \
        json.dumps(doc).replace('"extra": [[', '"extra": ' + "[" * 600 + "]" * 600 + ", \"x\": [[", 1)
    _both(tmp_path, text.encode(), on_error)


@pytest.mark.parametrize("content", [
    b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": 1, "ima',
    b'{"images": [], "images": [{"id": 2, "file_name": "b]\\"[.jpg"}], "annotations": [], '
    b'"categories": [{"id": 1, "name": "x"}]}',
    b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": 1}} ',
    b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": 1 2}]}',
    b'{"images": [{"id": 1, "file_name": "a.jpg", "x": "\\q"}], "annotations": []}',
    b'{"info": {"a": [1 2]}, "images": [], "annotations": []}',
    b'[' * 2000 + b']' * 2000,
    b'"just a string"',
    b'{"images": {"id": 1}, "annotations": [], "categories": []}',
    b'{"images": [], "annotations": 5, "categories": []}',
    b'{"images": [], "annotations": [], "categories": [{"id": 1}]}',
], ids=["truncated", "duplicate key and quotes", "bad syntax", "bad syntax in a record",
        "bad escape in a record", "bad syntax in info", "deep", "string",
        "images not a list", "annotations not a list", "category without name"])
@pytest.mark.parametrize("window", [None, 5], ids=["16 MiB windows", "5-byte windows"])
def test_broken_files(tmp_path: Path, content: bytes, window, monkeypatch) -> None:
    if window:  # the scan meets the error at a window's edge, then the file is parsed whole
        from cococonv_plugins.coco import stream_windows
        monkeypatch.setattr(stream_windows, "WINDOW", window)
    folder = tmp_path / "in"
    (folder / "annotations").mkdir(parents=True)
    (folder / "annotations" / "instances_default.json").write_bytes(content)
    mem = _run(folder, tmp_path / "mem", "off", "fail")
    got = _run(folder, tmp_path / "stream", "on", "fail")
    assert got[0] == mem[0]
