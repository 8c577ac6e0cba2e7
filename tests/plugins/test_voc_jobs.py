"""--jobs N machinery: forked workers give what one process gives, read zip archives through
their own handle, and a worker that dies costs time, not data."""
from __future__ import annotations

import multiprocessing
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cococonv
from cococonv.errors import DataError
from cococonv.fileio import atomic_output, write_bytes
from cococonv.model import Mask
from cococonv.report import Report
from cococonv.sources import ZipTree
from cococonv.engine import CHUNK, Prefetch, map_items
from tests.builders import OBJECT, png, voc_xml, write_voc


def call(method: str):
    """An engine per-item function ``(target, index) -> target.method(index)``."""
    return {"work": _work, "write": _write}[method]


def _work(target, index):
    return target.work(index)


def _write(target, index):
    return target.write(index)


class Doubler:
    """A job target whose worker dies (as under the OOM killer) at one item; with
    ``release``, only once that file exists."""

    def __init__(self, dies_at: int, release: Path | None = None):
        self.parent = os.getpid()
        self.dies_at = dies_at
        self.release = release

    def work(self, index: int) -> int:
        if index == self.dies_at and os.getpid() != self.parent:
            deadline = time.monotonic() + 30
            while self.release is not None and not self.release.exists() and \
                    time.monotonic() < deadline:
                time.sleep(0.005)
            os._exit(9)
        return 2 * index


def test_map_items_finishes_in_the_parent_when_a_worker_dies():
    count = 3 * CHUNK + 5
    assert list(map_items(call("work"), Doubler(CHUNK + 3), range(count), 2)) == \
        [2 * k for k in range(count)]
    assert not multiprocessing.active_children()


def test_prefetch_leaves_a_dead_workers_items_to_the_parent(tmp_path):
    """Chunks collected before the death are kept, the dead worker's are None. The worker
    dies only once the parent holds chunk 0: a death first breaks the pool, and the pool
    then fails every chunk not yet collected, chunk 0 included (a race this test lost
    when chunk 0's worker was slow: 2 runs in 30)."""
    count = 3 * CHUNK + 5
    release = tmp_path / "release"
    prefetch = Prefetch(call("work"), Doubler(CHUNK + 3, release), range(count), 2)
    deadline = time.monotonic() + 30
    while prefetch.results[0] is None and time.monotonic() < deadline:
        prefetch.poll()
        time.sleep(0.005)
    release.touch()
    results = prefetch.finish()
    assert results[:CHUNK] == [2 * k for k in range(CHUNK)]
    assert all(r is None or r == 2 * k for k, r in enumerate(results))
    assert results[CHUNK + 3] is None
    assert not multiprocessing.active_children()


class SlowWriter:
    """A job target writing one file per item into ``folder``, ``delay`` seconds each
    from item ``slow_from`` on."""

    def __init__(self, folder: str, delay: float = 0.002, slow_from: int = 0):
        self.folder, self.delay, self.slow_from = folder, delay, slow_from

    def write(self, index: int) -> int:
        if index >= self.slow_from:
            time.sleep(self.delay)
        write_bytes(os.path.join(self.folder, "items", f"{index}.txt"), b"x")
        return index


class Boom(Exception):
    pass


def test_a_failed_run_stops_its_workers_before_its_folder_is_removed(tmp_path):
    """The error comes from the consumer's loop (as the VOC exporter's image copy does),
    so map_items stays suspended, and its workers busy, while the error passes through
    atomic_output: they are killed and waited for first, or they recreate the folder."""
    with pytest.raises(Boom), atomic_output(str(tmp_path / "out")) as work:
        results = map_items(call("write"), SlowWriter(work), range(8 * CHUNK), 2)
        assert next(results) == 0
        raise Boom
    assert not multiprocessing.active_children()
    time.sleep(0.3)
    assert list(tmp_path.iterdir()) == []


def test_an_error_raised_through_map_items_kills_its_workers(tmp_path):
    """Chunk 1 takes a minute; the error at item 3 does not wait for it (nor the next
    ones): its worker is killed with most of the chunk unwritten. Counted in files, not
    timed (a 1.5 s bound flaked on a loaded machine)."""
    writer = SlowWriter(str(tmp_path), delay=1.0, slow_from=CHUNK)
    with pytest.raises(Boom):
        for index in map_items(call("write"), writer, range(4 * CHUNK), 2):
            if index == 3:
                raise Boom
    assert not multiprocessing.active_children()
    written = {int(name.split(".")[0]) for name in os.listdir(tmp_path / "items")}
    assert set(range(3)) <= written
    assert len(written & set(range(CHUNK, 2 * CHUNK))) < CHUNK // 2


def _read_in_child(tree: ZipTree, names: list[str], queue) -> None:
    queue.put([tree.read_bytes(name) for name in names] + [tree._zip.fp.fileno()])


def test_zip_tree_reopens_the_archive_in_a_forked_worker(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for k in range(50):
            zf.writestr(f"m{k}.txt", f"member {k} " * (k + 1))
    tree = ZipTree(str(archive))
    names = [f"m{k}.txt" for k in range(50)]
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_read_in_child,
                                                         args=(tree, names, queue))
    child.start()
    ours = [tree.read_bytes(name) for name in names]  # at the same time as the child
    theirs = queue.get(timeout=30)
    child.join()
    assert theirs[:-1] == ours == [f"member {k} ".encode() * (k + 1) for k in range(50)]
    assert theirs[-1] != tree._zip.fp.fileno()  # its own handle, its own file position


def voc_with_masks(root, count: int, broken_xml: int | None = None):
    xmls, files = {}, {}
    for k in range(count):
        classes = np.zeros((50, 60), np.uint8)
        instances = np.zeros((50, 60), np.uint8)
        classes[k % 40:k % 40 + 10, 5:20] = 8
        instances[k % 40:k % 40 + 10, 5:20] = 1
        xmls[f"i{k:03d}"] = voc_xml(filename=f"i{k:03d}.jpg") if k != broken_xml \
            else "<annotation><object>"
        files[f"SegmentationClass/i{k:03d}.png"] = png(classes)
        files[f"SegmentationObject/i{k:03d}.png"] = png(instances)
    return write_voc(root, xmls, files=files)


def test_zip_input_with_jobs_reads_the_same_dataset(tmp_path):
    root = voc_with_masks(tmp_path / "voc", 2 * CHUNK + 30)
    archive = tmp_path / "voc.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, str(path.relative_to(root)))

    def read(jobs: int) -> list:
        report = Report("skip", quiet=True)
        dataset = cococonv.load(str(archive), "voc", jobs=jobs, report=report)
        return [(i.id, i.image.size, i.annotations) for i in dataset] + report.skipped

    once = read(1)
    assert len(once) == 2 * CHUNK + 30
    for _ in range(3):
        assert read(2) == once


def test_fatal_xml_error_with_jobs_stops_the_workers(tmp_path):
    root = voc_with_masks(tmp_path, 2 * CHUNK + 10, broken_xml=5)
    with pytest.raises(DataError, match="i005.xml"):
        cococonv.load(str(root), "voc", jobs=2)
    assert not multiprocessing.active_children()


def test_jobs_fall_back_to_one_process_without_fork(monkeypatch):
    from cococonv.engine import resolve_jobs

    assert resolve_jobs(2) == 2 and resolve_jobs(1) == 1 and resolve_jobs(0) >= 1
    assert "fork" in multiprocessing.get_all_start_methods()  # os.fork <=> "fork" offered
    monkeypatch.delattr(os, "fork")  # as on Windows
    assert resolve_jobs(2) == 1 and resolve_jobs(0) == 1


def test_import_with_jobs_reads_the_same_dataset(tmp_path):
    """--jobs 2 reads the PNGs in workers while the parent parses the XML: the same
    dataset and the same skipped records as --jobs 1, also where a worker cannot decide
    alone (an RGB colour of a label that only the XML adds is read again in the parent)."""
    from cococonv.engine import CHUNK
    from cococonv_plugins.voc.labelmap import default_voc
    from cococonv_plugins.voc.layout import voc_color

    names = default_voc().names()
    rng = np.random.default_rng(5)
    xmls, files = {}, {}
    for k in range(2 * CHUNK + 9):
        item_id = f"i{k:03d}"
        classes = np.zeros((50, 60), np.uint8)
        instances = np.zeros((50, 60), np.uint8)
        objects = []
        for j in range(1 + k % 3):
            y, x = int(rng.integers(0, 40)), int(rng.integers(0, 50))
            cls = 1 + (k + j) % 20
            classes[y:y + 10, x:x + 10] = cls
            instances[y:y + 10, x:x + 10] = j + 1
            objects.append(f"<object><name>{names[cls]}</name><bndbox><xmin>{x + 1}</xmin>"
                           f"<ymin>{y + 1}</ymin><xmax>{x + 10}</xmax><ymax>{y + 10}</ymax>"
                           f"</bndbox></object>")
        if k % 4 == 0:
            classes[45:, :] = instances[45:, :] = 255
        size = "<size><width>60</width><height>50</height><depth>3</depth></size>"
        if k == 7:
            size = "<size><width>60</width><height>40</height><depth>3</depth></size>"
        xmls[item_id] = voc_xml("".join(objects), size=size, filename=f"{item_id}.jpg")
        if k % 5 != 1:
            files[f"SegmentationClass/{item_id}.png"] = png(classes)
        if k % 5 != 2:
            files[f"SegmentationObject/{item_id}.png"] = png(instances)
    files["SegmentationObject/i005.png"] = files["SegmentationObject/i005.png"][:60]
    rgb = np.zeros((50, 60, 3), np.uint8)
    rgb[5:15, 5:15] = voc_color(21)  # the first label after VOC's 21: "unicorn", below
    files["SegmentationClass/i011.png"] = png(rgb, palette=False)
    del files["SegmentationObject/i011.png"]
    xmls["i011"] = voc_xml(OBJECT.replace("cat", "unicorn"), filename="i011.jpg")
    root = write_voc(tmp_path, xmls, files=files)
    seen = {}
    for void in ("keep", "crowd"):
        for jobs in (1, 2):
            report = Report("skip", quiet=True)
            dataset = cococonv.load(str(root), "voc", report=report, jobs=jobs,
                                    void_regions=void)
            seen[void, jobs] = ([label.name for label in dataset.categories.labels],
                                [(item.id, item.image, item.annotations, item.extra)
                                 for item in dataset], [str(e) for e in report.skipped])
        assert seen[void, 1] == seen[void, 2]
    labels, items, skipped = seen["keep", 2]
    assert labels[21] == "unicorn"
    assert len(items) == 2 * CHUNK + 9  # a bad mask skips the masks, not the item
    assert [s.split(":")[0] for s in skipped] == ["SegmentationObject/i005.png",
                                                  "SegmentationClass/i007.png"]
    annotations_of = {item_id: annotations for item_id, _image, annotations, _extra in items}
    unicorn = [a for a in annotations_of["i011"] if isinstance(a, Mask)]
    assert [labels[m.label] for m in unicorn] == ["unicorn"]
    assert seen["crowd", 2] != seen["keep", 2]


def test_cli_with_jobs_stops_on_a_truncated_png_with_one_line(tmp_path, runner, cli):
    """A broken mask found by a worker is read again by the parent, which reports it as
    --jobs 1 would: one line naming the file, exit 1, no output."""
    root = voc_with_masks(tmp_path / "voc", 2 * CHUNK + 10)
    broken = root / "SegmentationObject" / "i070.png"
    broken.write_bytes(broken.read_bytes()[:60])
    stderr = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(root), "-f", "coco",
                                     "-o", str(out), "--jobs", jobs])
        assert result.exit_code == 1 and not out.exists()
        stderr[jobs] = result.stderr.splitlines()
    assert stderr["2"] == stderr["1"]
    (line,) = stderr["2"]
    assert line.startswith("error: SegmentationObject/i070.png: cannot read the PNG (")
    assert not multiprocessing.active_children()


def test_the_default_is_one_worker_per_usable_cpu(monkeypatch):
    """No --jobs (None) and --jobs 0 use every CPU the process may run on; 1 forces one."""
    from cococonv.context import Context
    from cococonv.engine import usable_cpus

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert usable_cpus() == 3
    assert Context().jobs == Context(jobs=0).jobs == 3
    assert Context(jobs=1).jobs == 1


def test_jobs_is_one_option_of_every_reading_or_writing_command(runner, cli):
    for command in ("convert", "export", "import", "info"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "-j, --jobs N" in result.stdout, command
    assert "--jobs" not in runner.invoke(cli, ["formats", "voc"]).stdout


def test_jobs_are_capped_per_cpu_and_by_the_chunks(monkeypatch):
    """One flag cannot fork thousands of processes (red-team F32)."""
    from cococonv import engine

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert engine.resolve_jobs(10_000) == 2 * engine.MAX_JOBS_PER_CPU
    assert list(map_items(call("work"), Doubler(-1), range(2 * CHUNK + 1), 8)) == \
        [2 * k for k in range(2 * CHUNK + 1)]
    assert not multiprocessing.active_children()
