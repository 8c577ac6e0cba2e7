"""The VOC exporter given a stream: the same bytes and report (in order) as for the
Dataset, for every task and the options that change the plan, its items walked twice (three
times when a bad item is dropped) and never held; and on every COCO file of the shared
fixtures, the streaming reader's coco -> voc equals the in-memory reader's."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from cococonv import api, testing
from cococonv.errors import CococonvError
from cococonv.model import Bbox, Categories, Dataset, Image, Item
from cococonv.report import Report

from .test_stream_fixtures import _coco_inputs
from .walks import Walks, saved

CASES = [
    ("voc", {}),
    ("voc", {"keep_empty": True, "save_dataset_meta": True}),
    ("voc", {"label_map": "voc", "apply_colormap": False}),
    ("voc", {"tasks": ["detection", "action"], "coordinate_mode": "one-based"}),
    ("voc_classification", {}),
    ("voc_detection", {}),
    ("voc_segmentation", {"keep_empty": True}),
    ("voc_layout", {}),
    ("voc_action", {}),
]


@pytest.mark.parametrize("fmt, options", CASES,
                         ids=[f"{fmt}-{'-'.join(opts) or 'defaults'}" for fmt, opts in CASES])
def test_voc_stream_gives_the_datasets_bytes(tmp_path: Path, fmt: str, options: dict) -> None:
    dataset = testing.rich_dataset(subsets=("train", "hard_val"))  # '_' is renamed
    stream = Walks(dataset)
    got = saved(stream, fmt, tmp_path / "s", "fail", **options)
    assert got == saved(dataset, fmt, tmp_path / "d", "fail", **options)
    assert stream.walks == 2  # the plan's survey, then the files
    assert len(got[0]) > 1 and got[2]  # files written, losses reported


def test_voc_stream_on_workers_gives_the_same_bytes(tmp_path: Path) -> None:
    dataset = testing.big_dataset()  # enough items for jobs=2 to fork
    assert saved(Walks(dataset), "voc", tmp_path / "s", "fail", jobs=2) == \
        saved(dataset, "voc", tmp_path / "d", "fail", jobs=1)


def _with(dataset: Dataset, changes: dict[int, dict]) -> Dataset:
    items = list(dataset)
    for position, fields in changes.items():
        items[position] = replace(items[position], **fields)
    return Dataset(dataset.categories, items, dataset.meta)


@pytest.mark.parametrize("on_error", ["fail", "skip", "warn"])
@pytest.mark.parametrize("changes, walks", [
    ({1: {"id": "train_0001 "}}, 3),  # whitespace at the end: a bad record
    ({4: {"id": "train_0000"}}, 2),  # an id in two subsets: <subset>/<id> in both
    ({1: {"id": "a/b"}, 2: {"id": "a\\b"}}, 3),  # two ids, one file: a bad record
    ({1: {"id": "../up/x"}}, 2),  # an id climbing out: written by its tail
    ({0: {"subset": "a_b"}, 3: {"subset": "a-b"}}, 1),  # two subsets, one VOC name
], ids=["bad id", "repeated id", "one file", "tail", "subset names meet"])
def test_voc_stream_names_are_checked_as_the_datasets(tmp_path: Path, on_error: str,
                                                      changes: dict, walks: int) -> None:
    dataset = _with(testing.rich_dataset(), changes)
    stream = Walks(dataset)
    got = saved(stream, "voc", tmp_path / "s", on_error)
    assert got == saved(dataset, "voc", tmp_path / "d", on_error)
    assert stream.walks == (1 if on_error == "fail" and walks == 3 else walks)


class _Counted:
    """Lives as long as the item holding it: counts the items alive."""

    alive = 0
    most = 0

    def __init__(self) -> None:
        _Counted.alive += 1
        _Counted.most = max(_Counted.most, _Counted.alive)

    def __del__(self) -> None:
        _Counted.alive -= 1


class _Made:
    """A stream whose items are made anew on each walk (as a streaming reader's are)."""

    def __init__(self, count: int):
        self.categories = Categories()
        self.categories.add("car")
        self.categories.add("wheel")
        self.meta: dict = {}
        self.count = count

    def __iter__(self):
        for n in range(self.count):
            anns = [Bbox(x=1 + n % 5, y=2, w=10, h=8, label=0, group=1, id=1),
                    Bbox(x=2, y=3, w=3, h=3, label=1, group=1, id=2)]  # the car's part
            yield Item(f"{n:05d}", "train", Image(f"{n:05d}.jpg", size=(30, 40)), anns,
                       extra={"test": _Counted()})


def test_voc_stream_holds_no_items(tmp_path: Path) -> None:
    _Counted.alive = _Counted.most = 0
    report = Report(quiet=True)
    api.save(_Made(600), "voc", str(tmp_path / "out"), report=report, jobs=1)
    # the engine and the finish share a walk through itertools.tee, which frees what both
    # have passed a block of 57 entries at a time
    assert _Counted.most <= 64
    assert (tmp_path / "out" / "ImageSets" / "Layout" / "train.txt").read_text().count(
        "\n") == 600  # the parts were found in the survey, without the items
    assert (tmp_path / "out" / "labelmap.txt").read_text() == \
        "# label:color_rgb:parts:actions\ncar::wheel:\n"  # the part has no line of its own


def _converted(src: Path, out: Path, mode: str, on_error: str) -> tuple:
    report = Report(on_error, quiet=True)
    try:
        api.convert(str(src), str(out), input_format="coco", output_format="voc",
                    input_options={"streaming": mode}, report=report, jobs=1)
    except CococonvError as err:
        return ("error", str(err)), report.warnings, [], []
    files = {os.path.relpath(os.path.join(d, n), out): Path(d, n).read_bytes()
             for d, _dirs, names in os.walk(out) for n in names}
    return files, report.warnings, list(report.losses.items()), sorted(report.skipped)


def test_voc_from_streamed_fixtures_equals_in_memory(fixtures_root: Path,
                                                     tmp_path: Path) -> None:
    streamed = 0
    # the files only: the folders above them give the same items (test_stream_fixtures.py
    # reads those), and each conversion here writes a file per image
    # (and not the results lists, a bare JSON list, which never stream)
    files = [src for src in _coco_inputs(fixtures_root) if src.is_file()
             and not src.read_bytes().lstrip().startswith(b"[")]
    for k, src in enumerate(files):
        got = _converted(src, tmp_path / f"{k}-s", "on", "skip")
        if any("--streaming on: read in memory" in w for w in got[1]):
            continue  # the in-memory reader ran (test_stream_fixtures.py says why)
        streamed += 1
        assert got == _converted(src, tmp_path / f"{k}-m", "off", "skip"), str(src)
        if got[3]:  # a bad record: under --on-error fail, the same error line
            assert _converted(src, tmp_path / f"{k}-fs", "on", "fail") == \
                _converted(src, tmp_path / f"{k}-fm", "off", "fail"), str(src)
    assert streamed > 30
