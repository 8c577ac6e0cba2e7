"""The window scanner of the streaming COCO reader: the compiled one and the Python one
give the same spans, which are the records' own, wherever a window cuts them; and a file
read in tiny windows converts as the in-memory reader converts it."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv import api
from cococonv.raster import speedups
from cococonv.report import Report
from cococonv_plugins.coco import json_scan, stream_index, stream_windows

fast = speedups.fastscan()
SCANS = [pytest.param(json_scan.scan_py, id="python"),
         pytest.param(fast.scan if fast else None, id="compiled",
                      marks=pytest.mark.skipif(fast is None, reason="not built"))]
HOSTILE = ['a]b', 'c}d', '{[', '\\', '\\"]', '"', ']}],', 'é\u2028', '\\\\']

_strings = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet='ab]}[{"\\, \n', max_size=6))
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False,
                                                                         allow_infinity=False)
    | _strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=4),
    max_leaves=12)


def _run_scan(scan, data: bytes, end: int, eof: bool, mode: int = json_scan.AFTER_OPEN,
              cap: int = 64, pos: int = 2):
    starts, ends = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    count, pos, status = scan(bytearray(data), pos, end, mode, eof, starts, ends)
    return count, pos, status, list(zip(starts[:count].tolist(), ends[:count].tolist()))


@settings(max_examples=150, deadline=None)
@given(st.lists(_values, max_size=6), st.sampled_from([", ", ",", " ,\n "]))
def test_scanners_agree_and_find_each_record(records: list, sep: str) -> None:
    pieces = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    data = b" [" + sep.encode().join(pieces) + b" ] "
    truth, at = [], 2
    for piece in pieces:
        truth.append((at, at + len(piece)))
        at += len(piece) + len(sep.encode())
    whole = _run_scan(json_scan.scan_py, data, len(data), True)
    assert whole[2] == json_scan.CLOSED and whole[3] == truth
    for end in range(2, len(data) + 1):
        py = _run_scan(json_scan.scan_py, data, end, False)
        if fast is not None:
            assert _run_scan(fast.scan, data, end, False) == py
        count, pos, status, spans = py
        assert spans == truth[:count]
        if status == json_scan.MORE and count < len(truth):  # resumes before the cut record
            assert pos <= truth[count][0] and not data[pos:truth[count][0]].strip()


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("data", [b" [1, {]", b" [1 2]", b" [,1]", b" [1,]", b" [1:2]",
                                  b" [\"a\"}", b" [}"])
def test_broken_lists_are_refused(scan, data: bytes) -> None:
    assert _run_scan(scan, data, len(data), True)[2] == json_scan.BROKEN


@pytest.mark.parametrize("scan", SCANS)
def test_a_full_span_buffer_resumes_after_the_comma(scan) -> None:
    data = b" [1, 2, 3, 4]"
    count, pos, status, spans = _run_scan(scan, data, len(data), True, cap=2)
    assert (count, status, spans) == (2, json_scan.FULL, [(2, 3), (5, 6)])
    assert _run_scan(scan, data, len(data), True, json_scan.AFTER_COMMA, pos=pos) == \
        (2, len(data), json_scan.CLOSED, [(8, 9), (11, 12)])


def _doc() -> dict:
    images = [{"id": i, "file_name": str(i) + ']}\\"[{.jpg', "width": 40, "height": 30,
               "note": "]" * (i % 5) + "}" * (i % 3)} for i in range(1, 9)]
    images[3]["huge"] = ["x]}\"" * 300, {"k": [[{"v": "]"}]] * 40}]  # far past a window
    anns = [{"id": 10 * i + k, "image_id": (i * 5 + k) % 8 + 1, "category_id": 1,
             "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0, "name": "a\\\"],}" * k,
             "segmentation": [[1, 2, 4, 2, 4, 6]]} for i in range(1, 9) for k in range(3)]
    anns[5]["image_id"] = "7"  # names no image: refused or skipped, in file order
    return {"info": {"d": "]}"}, "images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "c]\"{", "supercategory": ""}],
            "extra_key": [{"a": "}]"}] * 3}


def _convert(folder: Path, out: Path, mode: str, on_error: str):
    report = Report(on_error, quiet=True)
    try:
        api.convert(str(folder), str(out), input_format="coco", output_format="coco",
                    input_options={"streaming": mode}, report=report, jobs=1)
    except Exception as err:  # noqa: BLE001 - the line is what is compared
        return str(err), report.warnings
    return {os.path.relpath(os.path.join(d, n), out): Path(d, n).read_bytes()
            for d, _dirs, names in os.walk(out) for n in names}, report.warnings


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("window", [7, 64, 1000])
@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_tiny_windows_give_the_in_memory_result(tmp_path: Path, monkeypatch, scan,
                                                window: int, on_error: str) -> None:
    folder = tmp_path / "in" / "annotations"
    folder.mkdir(parents=True)
    text = json.dumps(_doc(), indent=1 if window == 64 else None)
    (folder / "instances_default.json").write_text("\ufeff" + text, encoding="utf-8")
    monkeypatch.setattr(json_scan, "scanner", lambda: scan)
    monkeypatch.setattr(stream_windows, "scanner", lambda: scan)
    monkeypatch.setattr(stream_windows, "WINDOW", window)
    monkeypatch.setattr(stream_windows, "SPANS_PER_CALL", 3)
    windowed = []
    real = stream_index.FileIndex.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        windowed.append(self.windowed)

    monkeypatch.setattr(stream_index.FileIndex, "__init__", spy)
    got = _convert(tmp_path / "in", tmp_path / "s", "on", on_error)
    assert windowed and all(windowed), "the file was parsed whole, not in windows"
    assert got == _convert(tmp_path / "in", tmp_path / "m", "off", on_error)
