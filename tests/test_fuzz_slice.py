"""A seeded slice of the fuzz harness (tests/fuzz) in the normal suite, and a check of its checks."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from cococonv import api
from cococonv.errors import DataError
from tests.fuzz.cases import prepare
from tests.fuzz.checks import check, snapshot
from tests.fuzz.run import Fuzzer, run_one
from tests.fuzz.seeds import all_seeds


def test_fuzz_slice_keeps_every_promise(tmp_path: Path) -> None:
    fuzzer = Fuzzer(49, tmp_path, None, workers=2, timeout=30)
    summary = fuzzer.run(list(range(30)))
    assert summary.cases == 30
    assert summary.outcomes["ok"] + summary.outcomes["data-error"] == 30, summary.text()
    assert summary.classes == {}, summary.text()


def _crash(*_, **__):
    raise RuntimeError("boom")


def _escape(source, target, **__):
    Path(target).parent.parent.joinpath("escaped.xml").write_text("x")


def _modify(source, target, **__):
    for path in sorted(Path(source).parent.rglob("*")):
        if path.is_file():
            path.write_bytes(path.read_bytes() + b" ")
            return


def _leftover(source, target, **__):
    Path(target).parent.joinpath(".cococonv-stale").mkdir()


def _half_output(source, target, **__):
    Path(target).mkdir()
    raise DataError("bad", file="x.json")


def _two_lines(*_, **__):
    # two error lines (a newline inside one message is escaped by the CLI's boundary)
    print("error: x.json: first line", file=sys.stderr)
    raise DataError("second line", file="x.json")


def _segfault(*_, **__):
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang(*_, **__):
    time.sleep(60)


def _long_line(*_, **__):
    print("warning: got " + "A" * 5000, file=sys.stderr)


def _bomb(*_, **__):
    return bytearray(8 * 2**30)


@pytest.mark.parametrize("fake, kind, evidence", [
    (_crash, "crash", "RuntimeError: boom"), (_escape, "escape", "escaped.xml"),
    (_modify, "modified-input", "in"), (_leftover, "leftover", ".cococonv-stale"),
    (_half_output, "output-on-failure", "out"), (_two_lines, "unclear", "second line"),
    (_segfault, "crash", "signal 11"), (_hang, "hang", "timeout"),
    (_bomb, "memory", ""), (_long_line, "long-line", "AAAA"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_fuzz_checks_catch_each_broken_promise(tmp_path: Path, monkeypatch, fake, kind,
                                               evidence) -> None:
    monkeypatch.setattr(api, "convert", fake)  # the forked child inherits the fake
    case = prepare(3, 0, all_seeds(tmp_path), tmp_path)
    case.argv = ["convert", "-i", str(case.input_path), "-f", "coco", "-o", str(case.output_path)]
    case.stdin = None
    before = snapshot(case)
    # 3 s is the hang's own check; the other fakes get room for a loaded machine
    result = run_one(case, tmp_path / "err", 3 * 2**30, timeout=3 if kind == "hang" else 60)
    check(case, before, result)
    assert kind in result.violations, (result.violations, result.stderr[-500:])
    assert evidence in result.violations[kind] + result.stderr
