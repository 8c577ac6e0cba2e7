"""The conformance kit for format plugins: run it on any exporter/importer pair.

Each check saves a generated dataset with the exporter named ``fmt`` (through the public
API, so a third-party plugin is tested exactly as users run it) and reads the result back
with the importer of the same name:

- ``round_trip(fmt)``: what comes back equals what went in (items, image sizes, labels by
  name and supercategory, keypoint schemas, every annotation's kind, label, geometry
  within ``TOLERANCE`` pixels, attributes, groups), except what the run's report says was
  lost or approximated: each difference has a kind, and a report entry excuses the kinds
  its ``what`` names by the words in ``EXCUSES`` (``cococonv.comparison`` has the rule).
  Name your losses with these words.
- ``check_detect(fmt)``: ``cococonv.detect`` names ``fmt`` for its own output.
- ``check_jobs_identical(fmt)``: ``jobs=1`` and ``jobs=2`` write the same bytes in every
  file, on a dataset big enough (``2 * engine.CHUNK`` items and more) that workers fork.
- ``check_broken_input(fmt)``: the CLI, given the format's own output with its main file
  truncated or garbled, exits 1 with one stderr line ``error: ...`` naming that file.

This module imports no built-in plugin; ``docs/plugin-authors.md`` shows a pytest file.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import engine
from .comparison import (EXCUSES, TOLERANCE, RoundTrip, compare, excused_kinds,
                         report_entries)
from .model import (Annotation, Bbox, Caption, Categories, Dataset, Ellipse, Image, Item,
                    KeypointSchema, Label, Mask, Points, Polygon, Polyline)
from .report import Report


# -- the generated dataset ---------------------------------------------------------------
def rich_dataset(*, items_per_subset: int = 3, subsets: Sequence[str] = ("train", "val"),
                 width: int = 64, height: int = 48) -> Dataset:
    """A dataset using every model kind: labels with supercategories, keypoint schema and
    skeleton, boxes, polygons (one object of two rings in a group), RLE masks, keypoints,
    polylines, an ellipse, captions, image labels, a crowd region, attributes of several types,
    a person box with an action (a bool attribute) and a part (a head box in its group),
    image sizes, several subsets. Deterministic: the same call gives the same dataset."""
    categories = Categories()
    person = categories.add("person", parent="human")
    categories.add("car", parent="vehicle")
    categories.add("dog", parent="animal")
    categories.add("tree", parent="plant")
    categories.add("head", parent="human")
    categories.keypoints[person] = KeypointSchema(names=["head", "hand", "foot"],
                                                  skeleton=[[1, 2], [1, 3]])
    items = []
    for s, subset in enumerate(subsets):
        for n in range(items_per_subset):
            index = s * items_per_subset + n
            items.append(Item(id=f"{subset}_{n:04d}", subset=subset,
                              image=Image(name=f"{subset}_{n:04d}.jpg", size=(height, width)),
                              annotations=_annotations(index, width, height),
                              attributes={}))
    return Dataset(categories, items)


def big_dataset() -> Dataset:
    """``rich_dataset`` with more than ``2 * engine.CHUNK`` items, so ``jobs=2`` forks."""
    per_subset = engine.CHUNK + 8
    return rich_dataset(items_per_subset=per_subset, width=40, height=30)


def _annotations(index: int, width: int, height: int) -> list[Annotation]:
    """One item's annotations, shifted a little by ``index`` so items differ; annotation
    ids unique in the dataset (COCO wants them so)."""
    d = float(index % 5)
    base = 100 * index
    ring_a = [2 + d, 2, 20 + d, 2, 20 + d, 14, 2 + d, 14]
    ring_b = [26 + d, 4, 34 + d, 4, 30 + d, 16]
    mask = _block_rle(height, width, top=20, left=4 + int(d), rows=10, cols=12)
    crowd = _block_rle(height, width, top=24, left=24, rows=5, cols=8)
    return [
        Bbox(id=base + 1, label=1, x=3 + d, y=4, w=10, h=8,
             attributes={"occluded": True, "score": 0.5, "color": "red", "doors": 4}),
        Polygon(id=base + 2, label=2, group=1, points=ring_a, attributes={"occluded": False}),
        Polygon(id=base + 3, label=2, group=1, points=ring_b, attributes={"occluded": False}),
        Mask(id=base + 4, label=3, rle=mask),
        Mask(id=base + 5, label=1, rle=crowd, attributes={"is_crowd": True}),
        Points(id=base + 6, label=0, points=[10 + d, 10, 12, 20, 14, 30],
               visibility=[2, 1, 2]),
        Polyline(id=base + 7, label=3, points=[1, 1, 10 + d, 12, 20, 5]),
        Caption(id=base + 8, caption=f"a dog and a car, picture {index}"),
        Ellipse(id=base + 12, label=1, cx=50, cy=36, rx=6 + d, ry=4),
        Label(id=base + 9, label=2),
        Bbox(id=base + 10, label=0, group=2, x=30, y=2 + d, w=12, h=20,
             attributes={"jumping": True, "reading": False}),
        Bbox(id=base + 11, label=4, group=2, x=33, y=3 + d, w=5, h=5),
    ]


def _block_rle(height: int, width: int, *, top: int, left: int, rows: int,
               cols: int) -> dict[str, Any]:
    """Uncompressed column-major RLE of a filled rectangle (as COCO stores masks)."""
    counts, pos = [], 0
    for x in range(left, left + cols):
        start = x * height + top
        counts += [start - pos, rows]
        pos = start + rows
    counts.append(width * height - pos)
    return {"size": [height, width], "counts": counts}


# -- the checks --------------------------------------------------------------------------
def _quiet() -> Report:
    """A report that keeps warnings without printing them over the test output."""
    return Report(quiet=True)


def _workdir(tmp: str | os.PathLike[str] | None) -> Path:
    return Path(tmp) if tmp is not None else Path(tempfile.mkdtemp(prefix="cococonv-kit-"))


def run_round_trip(fmt: str, *, dataset: Dataset | None = None,
                   tmp: str | os.PathLike[str] | None = None, registry: Any = None,
                   options: dict[str, Any] | None = None) -> RoundTrip:
    """Save with exporter ``fmt``, load with importer ``fmt``, and compare (no verdict)."""
    from .api import load, save

    dataset = dataset if dataset is not None else rich_dataset()
    out = _workdir(tmp) / f"{fmt}-round-trip"
    report = save(dataset, fmt, str(out), jobs=1, registry=registry, report=_quiet(),
                  **(options or {}))
    back = load(str(out), fmt, jobs=1, registry=registry, report=_quiet())
    return RoundTrip(fmt, report, compare(dataset, back))


def round_trip(fmt: str, *, dataset: Dataset | None = None,
               tmp: str | os.PathLike[str] | None = None, registry: Any = None,
               options: dict[str, Any] | None = None) -> RoundTrip:
    """``run_round_trip``, then AssertionError listing the differences the report does not
    excuse, with the report's entries."""
    result = run_round_trip(fmt, dataset=dataset, tmp=tmp, registry=registry,
                            options=options)
    assert not result.unexcused, result.describe()
    return result


def check_detect(fmt: str, *, tmp: str | os.PathLike[str] | None = None,
                 registry: Any = None) -> list[tuple[str, int]]:
    """``cococonv.detect`` on the exporter's own output names ``fmt``; returns the matches."""
    from .api import detect, save

    out = _workdir(tmp) / f"{fmt}-detect"
    save(rich_dataset(), fmt, str(out), jobs=1, registry=registry, report=_quiet())
    matches = detect(str(out), registry=registry)
    assert fmt in [name for name, _ in matches], \
        f"detect on {fmt}'s own output found {matches or 'nothing'}"
    return matches


_FORKS = [0]  # forks this process made (os.register_at_fork cannot be undone: count once)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


def check_jobs_identical(fmt: str, *, tmp: str | os.PathLike[str] | None = None,
                         registry: Any = None, dataset: Dataset | None = None,
                         require_fork: bool = True) -> int:
    """The same bytes in every output file with ``jobs=1`` and ``jobs=2`` (saving, and
    converting the result through ``fmt`` again), and ``jobs=2`` really forked workers
    (where the platform forks, and unless the exporter declares ``light_items``, which may
    rightly keep cheap items in-process; ``require_fork=False`` skips that); returns the
    number of forks ``jobs=2`` made."""
    from .api import convert, save
    from .registry import default_registry

    dataset = dataset if dataset is not None else big_dataset()
    root = _workdir(tmp)
    trees = {}
    forked: dict[int, int] = {}
    for jobs in (1, 2):
        before = _FORKS[0]
        saved = root / f"{fmt}-jobs{jobs}"
        save(dataset, fmt, str(saved), jobs=jobs, registry=registry, report=_quiet())
        again = root / f"{fmt}-jobs{jobs}-convert"
        convert(str(saved), str(again), input_format=fmt, output_format=fmt, jobs=jobs,
                registry=registry, report=_quiet())
        trees[jobs] = {**_files(saved, "save/"), **_files(again, "convert/")}
        forked[jobs] = _FORKS[0] - before
    assert trees[1].keys() == trees[2].keys(), \
        f"{fmt}: jobs=1 and jobs=2 wrote different files: " \
        f"{sorted(trees[1].keys() ^ trees[2].keys())[:10]}"
    differ = sorted(name for name in trees[1] if trees[1][name] != trees[2][name])
    assert not differ, f"{fmt}: jobs=1 and jobs=2 wrote different bytes in {differ[:10]}"
    exporter = (registry if registry is not None else default_registry()).exporter(fmt)
    if require_fork and not exporter.light_items and engine.resolve_jobs(2) == 2:
        assert forked[2] > 0, f"{fmt}: jobs=2 forked no worker on {len(list(dataset))} items"
    return forked[2]


def _files(root: Path, prefix: str) -> dict[str, bytes]:
    return {prefix + p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


#: Suffixes of the files a broken-input check damages first (annotation files before
#: images and lists, which may still read when truncated).
DAMAGE_ORDER = (".json", ".xml", ".png", ".txt")
#: Files that only declare labels: cut short they are a shorter valid list (a reader adds
#: the labels the data still uses, with a warning), so the check damages another file.
LABEL_FILES = frozenset({"labelmap.txt", "class_names.txt", "dataset_meta.json"})


def main_file(root: Path) -> Path:
    """The file of an output a reader cannot do without: its largest annotation file
    (a label file of ``LABEL_FILES`` only when there is nothing else)."""
    every = [p for p in root.rglob("*") if p.is_file()]
    files = [p for p in every if p.name.lower() not in LABEL_FILES] or every
    for suffix in DAMAGE_ORDER:
        found = [p for p in files if p.suffix.lower() == suffix]
        if found:
            return max(found, key=lambda p: (p.stat().st_size, str(p)))
    raise AssertionError(f"{root} holds no {', '.join(DAMAGE_ORDER)} file to damage")


def check_broken_input(fmt: str, *, tmp: str | os.PathLike[str] | None = None,
                       how: Iterable[str] = ("truncated", "garbled")) -> list[str]:
    """``cococonv info -if fmt`` on the format's own output with its main file
    (``main_file``) truncated, or garbled in the middle: exit code 1, one stderr line
    ``error: ...`` naming that file. Returns the lines. Uses the installed plugins (the
    CLI's registry)."""
    from click.testing import CliRunner

    from .cli import cli
    from .api import save

    root = _workdir(tmp)
    lines = []
    for damage in how:
        out = root / f"{fmt}-broken-{damage}"
        save(rich_dataset(), fmt, str(out), jobs=1, report=_quiet())
        victim = main_file(out)
        data = victim.read_bytes()
        half = len(data) // 2
        if damage == "truncated":
            victim.write_bytes(data[:half])
        else:
            victim.write_bytes(data[:half] + b"\x00<{\xff\"]]>" + data[half + 8:])
        result = CliRunner().invoke(cli, ["info", "-if", fmt, "-i", str(out)])
        stderr = result.stderr.splitlines()
        shown = f"{fmt} ({damage} {victim.name}): exit {result.exit_code}, stderr {stderr}"
        assert result.exit_code == 1, shown
        assert len(stderr) == 1 and stderr[0].startswith("error: "), shown
        assert victim.name in stderr[0], shown + " (the line must name the file)"
        lines.append(stderr[0])
    return lines


def check_all(fmt: str, *, tmp: str | os.PathLike[str] | None = None) -> None:
    """Every check of the kit on one format, with the installed plugins."""
    round_trip(fmt, tmp=tmp)
    check_detect(fmt, tmp=tmp)
    check_jobs_identical(fmt, tmp=tmp)
    check_broken_input(fmt, tmp=tmp)


__all__ = ["rich_dataset", "big_dataset", "compare", "excused_kinds", "report_entries",
           "round_trip", "run_round_trip",
           "check_detect", "check_jobs_identical", "check_broken_input", "check_all",
           "RoundTrip", "EXCUSES", "TOLERANCE"]
