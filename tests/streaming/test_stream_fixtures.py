"""The streaming COCO reader against the in-memory one, on every COCO file of the shared
fixtures and every task importer: the same output bytes and the same report, or (for what
does not stream) the same in-memory read with the reason in the log."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cococonv import api
from cococonv.errors import CococonvError
from cococonv.report import Report

TASKS = ("coco", "coco_instances", "coco_person_keypoints", "coco_captions", "coco_labels",
         "coco_stuff", "coco_image_info")


def _coco_inputs(root: Path) -> list[Path]:
    """Every folder or single .json under the fixtures that `detect` names COCO."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".json":
            continue
        try:
            matches = api.detect(str(path))
        except CococonvError:
            continue
        if matches and matches[0][0].startswith("coco"):
            found.append(path)
    return found


def _run(src: Path, fmt: str, out: Path, mode: str, target: str, on_error: str):
    report = Report(on_error, quiet=True)
    try:
        api.convert(str(src), str(out), input_format=fmt, output_format=target,
                    input_options={"streaming": mode}, report=report, jobs=1)
    except CococonvError as err:
        return ("error", str(err)), report
    files = {}
    for folder, _dirs, names in os.walk(out):
        for name in names:
            path = os.path.join(folder, name)
            files[os.path.relpath(path, out)] = Path(path).read_bytes()
    return files, report


def _same(a: Report, b: Report) -> None:
    assert a.warnings == b.warnings
    assert sorted(a.skipped) == sorted(b.skipped)
    assert a.losses == b.losses and a.approximations == b.approximations


@pytest.fixture(scope="module")
def inputs(fixtures_root: Path) -> list[Path]:
    found = _coco_inputs(fixtures_root)
    assert len(found) > 20
    return found


@pytest.mark.parametrize("fmt", TASKS)
def test_streamed_equals_in_memory(inputs: list[Path], fmt: str, tmp_path: Path) -> None:
    streamed = 0
    for k, src in enumerate(inputs):
        for target, on_error in (("coco", "fail"), ("coco", "skip")) if fmt == "coco" \
                else (("coco", "skip"),):
            base = tmp_path / f"{k}-{target}-{on_error}"
            mem, mem_report = _run(src, fmt, base / "mem", "off", target, on_error)
            got, got_report = _run(src, fmt, base / "stream", "on", target, on_error)
            assert got == mem, f"{src} as {fmt} -> {target}"
            streamed += not any("read in memory" in w for w in got_report.warnings)
            got_report.warnings = [w for w in got_report.warnings
                                   if "--streaming on: read in memory" not in w]
            _same(got_report, mem_report)
    assert streamed > 10
