"""Output appears whole or not at all, and the system's refusals are one line.

Each failing case: exit 1, one stderr line ``error: <path>: ...`` naming the path at fault,
no ``.cococonv-*`` folder left, no partial output, a target that existed left as it was.
"""
from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import cococonv.api
import cococonv.fileio
from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, files_under, one_error_line

COUNT = 140  # past 2 chunks, so --jobs 2 really forks


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def dataset(root: Path, count: int = COUNT, image_bytes: int = 3000, side: int = 60) -> Path:
    """A COCO folder: ``count`` square images with one polygon each, image files present."""
    polygon = [1.0, 1.0, side - 2.0, 1.0, side - 2.0, side - 3.0]
    doc = coco_doc(images=[coco_image(id=k + 1, file_name=f"i{k:03d}.jpg", width=side,
                                      height=side) for k in range(count)],
                   annotations=[coco_ann(id=k + 1, image_id=k + 1, segmentation=[polygon])
                                for k in range(count)])
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_default.json").write_text(json.dumps(doc))
    (root / "images").mkdir()
    for k in range(count):
        # a JPEG signature first: only files that start as images are copied
        (root / "images" / f"i{k:03d}.jpg").write_bytes(
            b"\xff\xd8\xff" + bytes([k % 251]) * image_bytes)
    return root


def convert(runner, cli, ds: Path, target: str | Path, *extra: str):
    return runner.invoke(cli, ["convert", "-i", str(ds), "-o", str(target), *extra])


def failed(result, *needles: str) -> str:
    """The one error line of a run that must have failed with exit 1."""
    return one_error_line(result.stderr, result.exit_code, *needles)


def leftovers(*folders: Path) -> list[str]:
    return [str(p) for folder in folders if folder.is_dir()
            for p in folder.rglob(".cococonv-*")]


def mount_tmpfs(path: Path, options: str) -> None:
    """A small tmpfs at ``path`` (root only: the real full or read-only disk)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def mounts():
    mounted: list[Path] = []
    yield lambda path, options: (mount_tmpfs(path, options), mounted.append(path))
    for path in mounted:
        subprocess.run(["umount", str(path)], capture_output=True)


# -- the environment refuses: one line naming the path -------------------------------------

@pytest.mark.parametrize("fmt, jobs", [("voc", "1"), ("voc", "2"), ("coco", "1")])
def test_a_full_disk_is_one_line_naming_the_file_under_the_target(runner, cli, tmp_path,
                                                                  mounts, fmt, jobs):
    ds = dataset(tmp_path / "ds")
    disk = tmp_path / "disk"
    mounts(disk, "size=64k")
    target = disk / "out"
    extra = ["--jobs", jobs] if fmt == "voc" else []
    line = failed(convert(runner, cli, ds, target, "-f", fmt, "--save-images", *extra),
                  f"error: {target}{os.sep}", "(no space left on device)")
    assert ".cococonv-" not in line
    assert list(disk.iterdir()) == []
    assert not multiprocessing.active_children()


def test_a_full_disk_without_a_path_in_the_error_still_names_the_file(runner, cli, tmp_path,
                                                                      monkeypatch):
    """os.write's ENOSPC names no file (the disk-full case where root cannot mount)."""
    ds = dataset(tmp_path / "ds", count=3)
    written = []

    def full(fd, data):
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(fd)
        return len(data)

    monkeypatch.setattr(cococonv.fileio.os, "write", full)
    target = tmp_path / "out"
    line = failed(convert(runner, cli, ds, target, "-f", "voc"))
    assert line.startswith(f"error: {target}{os.sep}") and ".cococonv-" not in line
    assert line.endswith(": cannot write (no space left on device)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_read_only_output_folder_is_one_line(runner, cli, tmp_path, mounts):
    ds = dataset(tmp_path / "ds", count=3)
    readonly = tmp_path / "ro"
    if os.geteuid() == 0:
        mounts(readonly, "ro,size=64k")
    else:
        readonly.mkdir()
        readonly.chmod(stat.S_IRUSR | stat.S_IXUSR)
    for target, at in ((readonly / "out", readonly), (readonly / "a" / "out.zip", readonly / "a")):
        failed(convert(runner, cli, ds, target, "-f", "coco"), f"error: {at}: cannot create")
    assert list(readonly.iterdir()) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_image_deleted_during_the_run_is_one_line_naming_it(runner, cli, tmp_path,
                                                               monkeypatch, jobs):
    """With --jobs 2 the parent fails on the image copy while the workers are still
    writing masks of later items: they are stopped before the temporary folder is
    removed, else they recreate and half-fill it afterwards."""
    ds = dataset(tmp_path / "ds", side=1000)
    real_load = cococonv.api.load

    def load_then_delete(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        (ds / "images" / "i003.jpg").unlink()
        return loaded

    monkeypatch.setattr(cococonv.api, "load", load_then_delete)
    target = tmp_path / "out"
    failed(convert(runner, cli, ds, target, "-f", "voc", "--save-images", "--jobs", jobs),
           f"error: {ds / 'images' / 'i003.jpg'}: cannot read (no such file or directory)")
    assert not multiprocessing.active_children()
    time.sleep(0.5)  # a worker left running would have recreated the folder by now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_impossible_output_paths_are_one_line_before_any_work(runner, cli, tmp_path,
                                                              monkeypatch):
    ds = dataset(tmp_path / "ds", count=2)
    monkeypatch.chdir(tmp_path)
    Path("a_file").write_text("mine")
    os.symlink(tmp_path / "nowhere" / "out", "dangling")
    cases = {
        "x/../y": "error: x/../y: no folder x (the path goes up out of it with ..)",
        "dangling": f"error: dangling: a symbolic link to {tmp_path / 'nowhere' / 'out'}, which "
                    f"does not exist; remove the link or write elsewhere",
        "a_file/out": "error: a_file/out: a_file is not a folder (the output goes inside it)",
        "a_file/deeper/out.json": "error: a_file/deeper/out.json: a_file is not a folder (the "
                                  "output goes inside it)",
    }
    for target, line in cases.items():
        assert failed(convert(runner, cli, ds, target, "-f", "coco")) == line
    assert sorted(os.listdir(tmp_path)) == ["a_file", "dangling", "ds"]
    assert Path("a_file").read_text() == "mine"


def test_a_full_standard_output_is_one_line(tmp_path):
    ds = dataset(tmp_path / "ds", count=2)
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "cococonv", "convert", "-i", str(ds),
                               "-f", "coco", "-o", "-"], stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "error: -: cannot write to the standard output (no space left on device)"]


# -- another run's output is never replaced ------------------------------------------------

def appear_during_the_run(monkeypatch, make) -> None:
    """Run ``make()`` (another process's output appearing) once this run has started."""
    real = cococonv.fileio.make_staging

    def staging_then_make(*args, **kwargs):
        made = real(*args, **kwargs)
        make()
        return made

    monkeypatch.setattr(cococonv.fileio, "make_staging", staging_then_make)


@pytest.mark.parametrize("name", ["out", "out.zip", "out.json"])
def test_a_target_that_appears_during_the_run_is_left_as_it_is(runner, cli, tmp_path,
                                                              monkeypatch, name):
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / name

    def theirs():
        if name == "out":
            target.mkdir()
            (target / "theirs.txt").write_text("theirs")
        else:
            target.write_text("theirs")

    appear_during_the_run(monkeypatch, theirs)
    failed(convert(runner, cli, ds, target, "-f", "coco"),
           f"error: {target}: output appeared while this run worked")
    if name == "out":
        assert files_under(target) == ["theirs.txt"]
    else:
        assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ds", name])


def test_an_empty_target_filled_during_the_run_is_left_as_it_is(runner, cli, tmp_path,
                                                               monkeypatch):
    """An empty folder is a valid target, but a plain rename onto it replaces it even once
    another run has put files in it."""
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    target.mkdir()
    appear_during_the_run(monkeypatch, lambda: (target / "theirs.txt").write_text("theirs"))
    failed(convert(runner, cli, ds, target, "-f", "coco"), "output appeared while")
    assert files_under(target) == ["theirs.txt"]


def test_overwrite_still_replaces_a_target_that_appeared(runner, cli, tmp_path, monkeypatch):
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    appear_during_the_run(monkeypatch, lambda: (target.mkdir(),
                                                (target / "theirs.txt").write_text("x")))
    result = convert(runner, cli, ds, target, "-f", "coco", "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert files_under(target) == ["annotations/instances_default.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "out"]


@pytest.mark.parametrize("name", ["out", "out.json"])
def test_two_concurrent_runs_to_one_target_one_wins(tmp_path, name):
    ds = dataset(tmp_path / "ds", count=COUNT)
    target = tmp_path / name
    command = [sys.executable, "-m", "cococonv", "convert", "-i", str(ds), "-f", "coco",
               "-o", str(target)]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE) for _ in range(2)]
    outcomes = sorted((run.wait(), run.stderr.read().decode()) for run in runs)
    assert [code for code, _ in outcomes] == [0, 1], outcomes
    assert outcomes[0][1].startswith("wrote ") and outcomes[0][1].count("\n") == 1
    assert outcomes[1][1].startswith(f"error: {target}: output ")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ds", name])


# -- permissions and runs killed without a chance to clean up ------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_the_output_folder_gets_the_users_umask(runner, cli, tmp_path, mask):
    ds = dataset(tmp_path / "ds", count=2)
    before = os.umask(mask)
    try:
        result = convert(runner, cli, ds, tmp_path / "out", "-f", "voc")
    finally:
        os.umask(before)
    assert result.exit_code == 0, result.stderr
    for folder in (tmp_path / "out", tmp_path / "out" / "Annotations"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "out" / "Annotations" / "i000.xml").stat().st_mode) == \
        0o666 & ~mask


KILLED = textwrap.dedent("""
    import sys, time
    from cococonv.fileio import atomic_output
    with atomic_output(sys.argv[1]) as work:
        open(work + "/half.json", "w").write("{")
        print("ready", flush=True)
        time.sleep(60)
""")


def test_a_killed_runs_folder_is_removed_by_the_next_run_and_a_live_ones_kept(runner, cli,
                                                                             tmp_path):
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    runs = [subprocess.Popen([sys.executable, "-c", KILLED, str(target)],
                             stdout=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        assert run.stdout.readline() == b"ready\n"
    runs[0].send_signal(signal.SIGKILL)
    runs[0].wait()
    (tmp_path / ".cococonv-foreign").mkdir()  # no owner record: not ours to judge
    try:
        stale = leftovers(tmp_path)
        assert len(stale) == 3
        result = convert(runner, cli, ds, target, "-f", "coco")
        assert result.exit_code == 0, result.stderr
        kept = leftovers(tmp_path)
        assert len(kept) == 2 and str(tmp_path / ".cococonv-foreign") in kept
        (live,) = [Path(p) for p in kept if not p.endswith("foreign")]
        assert json.loads((live / "owner").read_text())["pid"] == runs[1].pid
    finally:
        runs[1].kill()
        runs[1].wait()
    assert files_under(target) == ["annotations/instances_default.json"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_empty_target_that_cannot_be_removed_is_filled_in_place(runner, cli, tmp_path,
                                                                  monkeypatch, overwrite):
    """A mount point (Docker ``-v $PWD/out:/out``) cannot be removed or renamed (EBUSY):
    the staged entries are moved into it one by one (red-team F30)."""
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    target.mkdir()
    if overwrite:
        (target / "old.txt").write_text("old")
    real_rmdir, real_rename = os.rmdir, os.rename

    def busy(path):
        if os.fspath(path) == str(target):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), os.fspath(path))

    monkeypatch.setattr(os, "rmdir", lambda path, *a, **k: (busy(path),
                                                            real_rmdir(path, *a, **k)))
    monkeypatch.setattr(os, "rename", lambda src, dst, *a, **k: (
        busy(src), busy(dst), real_rename(src, dst, *a, **k)))
    extra = ["--overwrite"] if overwrite else []
    result = convert(runner, cli, ds, target, "-f", "coco", *extra)
    assert result.exit_code == 0, result.stderr
    assert files_under(target) == ["annotations/instances_default.json"]
    assert leftovers(tmp_path) == []


def test_an_unremovable_target_filled_during_the_run_is_left_as_it_is(runner, cli,
                                                                     tmp_path, monkeypatch):
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    target.mkdir()
    real_rmdir = os.rmdir

    def rmdir(path, *args, **kwargs):
        if os.fspath(path) == str(target):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), os.fspath(path))
        return real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir)
    appear_during_the_run(monkeypatch, lambda: (target / "theirs.txt").write_text("theirs"))
    failed(convert(runner, cli, ds, target, "-f", "coco"), "output appeared while")
    assert files_under(target) == ["theirs.txt"]
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="root writes any folder; no POSIX modes on Windows")
def test_an_empty_target_in_a_read_only_parent_is_filled(runner, cli, tmp_path):
    ds = dataset(tmp_path / "ds", count=2)
    parent = tmp_path / "locked"
    target = parent / "out"
    target.mkdir(parents=True)
    parent.chmod(0o555)
    try:
        result = convert(runner, cli, ds, target, "-f", "voc")
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 0, result.stderr
    assert "Annotations" in os.listdir(target) and leftovers(tmp_path) == []


def test_an_empty_mount_point_is_filled(runner, cli, tmp_path, mounts):
    ds = dataset(tmp_path / "ds", count=2)
    target = tmp_path / "out"
    target.mkdir()
    mounts(target, "size=4m")
    result = convert(runner, cli, ds, target, "-f", "voc")
    assert result.exit_code == 0, result.stderr
    assert "Annotations" in os.listdir(target) and leftovers(tmp_path) == []
