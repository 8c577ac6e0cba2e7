"""Atomic output (folder, .zip, single file, stdout) and the JSON helpers of cococonv.fileio."""
from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cococonv import noreplace, staging
from cococonv.errors import DataError, FileSystemError, OutputExistsError
from cococonv.fileio import (atomic_output, check_target, copy_file, dumps_json, loads_json,
                             output_kind, write_bytes)

from .builders import files_under


class Boom(Exception):
    pass


def write(folder: str, rel: str, data: bytes = b"x") -> None:
    path = Path(folder, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def siblings(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


# -- JSON ---------------------------------------------------------------------------------------

def test_loads_json_error_names_the_file_line_and_column():
    with pytest.raises(DataError) as caught:
        loads_json(b'{"images": [\n  {"id": x}\n]}', file="annotations/instances_val.json")
    assert str(caught.value) == ("annotations/instances_val.json: line 2 column 10: not valid JSON "
                                 "(unexpected character, expected a JSON value)")


def test_json_keeps_floats_as_their_shortest_form():
    value = {"bbox": [79.12, 0.1, 333.3333333333333, 1e-07], "area": 6718, "x": -0.0}
    data = dumps_json(value)
    assert data == b'{"bbox":[79.12,0.1,333.3333333333333,1e-7],"area":6718,"x":-0.0}'
    assert loads_json(data, file="x.json") == value


def test_dumps_json_indent_pretty_prints():
    assert dumps_json({"a": [1]}, indent=True) == b'{\n  "a": [\n    1\n  ]\n}'


# -- where output goes -------------------------------------------------------------------------

@pytest.mark.parametrize("target, kind", [
    ("-", "stdout"), ("out.zip", "zip"), ("OUT.ZIP", "zip"), ("out.json", "file"),
    ("out.xml", "file"), ("out", "dir"), ("out.d/", "dir"),
])
def test_output_kind_follows_the_target_name(target, kind):
    assert output_kind(target) == kind


def test_output_kind_of_an_existing_folder_named_like_a_file_is_a_folder(tmp_path):
    (tmp_path / "odd.json").mkdir()
    assert output_kind(str(tmp_path / "odd.json")) == "dir"


def test_check_target_accepts_missing_empty_and_stdout_targets(tmp_path):
    (tmp_path / "empty").mkdir()
    for target in (str(tmp_path / "new"), str(tmp_path / "empty"), "-"):
        check_target(target, overwrite=False)


@pytest.mark.parametrize("make", ["folder", "file"])
def test_check_target_refuses_a_non_empty_target_unless_overwriting(tmp_path, make):
    target = tmp_path / ("out" if make == "folder" else "out.json")
    if make == "folder":
        target.mkdir()
        (target / "a.txt").write_text("x")
    else:
        target.write_text("{}")
    with pytest.raises(OutputExistsError) as caught:
        check_target(str(target), overwrite=False)
    assert str(caught.value) == f"{target}: output exists and is not empty (use --overwrite)"
    assert caught.value.exit_code == 1
    check_target(str(target), overwrite=True)


# -- atomic output -----------------------------------------------------------------------------

def test_atomic_output_to_a_folder_works_in_a_hidden_sibling_then_moves_it(tmp_path):
    target = tmp_path / "out"
    with atomic_output(str(target)) as work:
        staging = Path(work).parent
        assert staging.parent == tmp_path and staging.name.startswith(".cococonv-out-")
        assert sorted(p.name for p in staging.iterdir()) == ["out", "owner"]
        assert not any(Path(work).iterdir()) and not target.exists()
        write(work, "annotations/instances_val.json", b"{}")
    assert files_under(target) == ["annotations/instances_val.json"]
    assert siblings(tmp_path) == ["out"]


@pytest.mark.parametrize("name", ["out", "out.zip", "out.json"])
def test_atomic_output_leaves_nothing_when_the_export_fails(tmp_path, name):
    with pytest.raises(Boom), atomic_output(str(tmp_path / name)) as work:
        write(work, "annotations/instances_val.json")
        raise Boom
    assert siblings(tmp_path) == []


def test_atomic_output_to_a_zip_holds_the_files_under_relative_names(tmp_path):
    target = tmp_path / "out.zip"
    with atomic_output(str(target)) as work:
        write(work, "annotations/instances_val.json", b"{}")
        write(work, "images/val/b.jpg", b"jpeg")
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["annotations/instances_val.json", "images/val/b.jpg"]
        assert archive.read("images/val/b.jpg") == b"jpeg"
    assert siblings(tmp_path) == ["out.zip"]


def test_atomic_output_to_a_json_file_moves_the_single_file_written(tmp_path):
    target = tmp_path / "result.json"
    with atomic_output(str(target)) as work:
        write(work, "annotations/instances_default.json", b'{"images":[]}')
    assert target.read_bytes() == b'{"images":[]}'
    assert siblings(tmp_path) == ["result.json"]


def test_atomic_output_to_a_json_file_refuses_several_files(tmp_path):
    target = tmp_path / "result.json"
    with pytest.raises(DataError) as caught, atomic_output(str(target)) as work:
        write(work, "annotations/instances_train.json")
        write(work, "annotations/instances_val.json")
    assert str(caught.value).startswith(
        f"{target}: the export wrote 2 files (annotations/instances_train.json, "
        f"annotations/instances_val.json); a single-file output needs exactly one")
    assert siblings(tmp_path) == []


def test_atomic_output_to_stdout_writes_the_bytes_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stream = io.BytesIO()
    with atomic_output("-", stdout=stream) as work:
        write(work, "annotations/instances_default.json", b'{"a":1}')
    assert stream.getvalue() == b'{"a":1}'
    assert siblings(tmp_path) == []


def test_atomic_output_to_stdout_writes_nothing_when_the_export_fails():
    stream = io.BytesIO()
    with pytest.raises(Boom), atomic_output("-", stdout=stream) as work:
        write(work, "annotations/instances_default.json", b'{"a":1}')
        raise Boom
    assert stream.getvalue() == b""


def test_atomic_output_refuses_a_non_empty_folder_before_any_work(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError), atomic_output(str(target)):
        raise AssertionError("the export must not start")
    assert files_under(target) == ["keep.txt"]
    assert siblings(tmp_path) == ["out"]


def test_atomic_output_fills_an_empty_existing_folder(tmp_path):
    (tmp_path / "out").mkdir()
    with atomic_output(str(tmp_path / "out")) as work:
        write(work, "a.json")
    assert files_under(tmp_path / "out") == ["a.json"]
    assert siblings(tmp_path) == ["out"]


def test_atomic_output_overwrite_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with atomic_output(str(target), overwrite=True) as work:
        write(work, "new.json")
    assert files_under(target) == ["new.json"]
    assert siblings(tmp_path) == ["out"]


@pytest.mark.parametrize("name", ["out.json", "out.zip"])
def test_atomic_output_overwrite_replaces_a_file(tmp_path, name):
    target = tmp_path / name
    target.write_bytes(b"old")
    with atomic_output(str(target), overwrite=True) as work:
        write(work, "annotations/instances_default.json", b"{}")
    assert target.read_bytes() != b"old"
    assert siblings(tmp_path) == [name]


def test_atomic_output_overwrite_keeps_the_old_output_when_the_export_fails(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "previous.json").write_text("old")
    with pytest.raises(Boom), atomic_output(str(target), overwrite=True) as work:
        write(work, "new.json")
        raise Boom
    assert files_under(target) == ["previous.json"]
    assert siblings(tmp_path) == ["out"]


def test_atomic_output_creates_missing_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.zip"
    with atomic_output(str(target)) as work:
        write(work, "x.json")
    assert target.is_file() and siblings(tmp_path / "a" / "b") == ["out.zip"]


def test_copy_file_copies_bytes_and_makes_folders(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"\xff\xd8 not re-encoded")
    copy_file(str(source), str(tmp_path / "x" / "y" / "a.jpg"))
    assert (tmp_path / "x" / "y" / "a.jpg").read_bytes() == source.read_bytes()


# -- system errors, the final move, stale folders ----------------------------------------------

def test_write_bytes_names_the_file_when_the_disk_is_full(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as os.write: no file named

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(FileSystemError) as caught:
        write_bytes(str(tmp_path / "a" / "b.xml"), b"<x/>")
    assert str(caught.value) == \
        f"{tmp_path / 'a' / 'b.xml'}: cannot write (no space left on device)"
    assert caught.value.exit_code == 1


def test_a_write_error_in_the_temporary_folder_names_the_place_in_the_target(tmp_path,
                                                                            monkeypatch):
    target = tmp_path / "out"
    with pytest.raises(FileSystemError) as caught, atomic_output(str(target)) as work:
        write(work, "Annotations/a.xml")
        monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(
            OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))))
        write_bytes(os.path.join(work, "Annotations", "b.xml"), b"x")
    assert caught.value.file == str(target / "Annotations" / "b.xml")
    assert siblings(tmp_path) == []


def test_copy_file_says_which_side_failed(tmp_path):
    with pytest.raises(FileSystemError) as caught:
        copy_file(str(tmp_path / "gone.jpg"), str(tmp_path / "out" / "gone.jpg"))
    assert str(caught.value) == f"{tmp_path / 'gone.jpg'}: cannot read (no such file or directory)"
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "file").write_text("")
    with pytest.raises(FileSystemError) as caught:
        copy_file(str(tmp_path / "a.jpg"), str(tmp_path / "file" / "a.jpg"))
    assert str(caught.value).startswith(f"{tmp_path / 'file'}")
    assert "cannot write (" in str(caught.value)


@pytest.mark.parametrize("kernel", [True, False])
def test_rename_noreplace_refuses_any_existing_name(tmp_path, monkeypatch, kernel):
    if not kernel:
        monkeypatch.setattr(noreplace, "_RENAMEAT2", None)
    elif noreplace._RENAMEAT2 is None:
        pytest.skip("no renameat2 here")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x").write_text("new")
    (tmp_path / "file.json").write_text("new")
    for existing in ("empty", "full", "a_file", "link"):
        path = tmp_path / existing
        if existing == "a_file":
            path.write_text("old")
        elif existing == "link":
            path.symlink_to(tmp_path / "nowhere")
        else:
            path.mkdir()
            if existing == "full":
                (path / "old").write_text("old")
        for src in ("src", "file.json"):
            with pytest.raises(FileExistsError):
                noreplace.rename_noreplace(str(tmp_path / src), str(path))
    noreplace.rename_noreplace(str(tmp_path / "src"), str(tmp_path / "dst"))
    noreplace.rename_noreplace(str(tmp_path / "file.json"), str(tmp_path / "dst.json"))
    assert (tmp_path / "dst" / "x").read_text() == "new" == (tmp_path / "dst.json").read_text()
    assert not (tmp_path / "src").exists() and not (tmp_path / "file.json").exists()
    assert (tmp_path / "empty").is_dir() and (tmp_path / "a_file").read_text() == "old"


def stale_folder(parent: Path, name: str, **record) -> Path:
    folder = parent / f".cococonv-{name}"
    folder.mkdir()
    if record:
        mine = json.loads(json.dumps(staging._me()))
        mine.update(record)
        (folder / "owner").write_text(json.dumps(mine))
    return folder


def test_remove_stale_takes_only_folders_of_processes_that_are_gone(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale_folder(tmp_path, "dead", pid=gone.pid, start=None)
    stale_folder(tmp_path, "reused", start=-1)  # this pid, but another process's start time
    stale_folder(tmp_path, "rebooted", pid=1, boot="another boot")
    stale_folder(tmp_path, "live")
    stale_folder(tmp_path, "elsewhere", pid=gone.pid, host="another-machine")
    stale_folder(tmp_path, "foreign")  # no owner record
    (tmp_path / ".cococonv-broken").mkdir()
    (tmp_path / ".cococonv-broken" / "owner").write_text("{not json")
    (tmp_path / "out").mkdir()
    removed = staging.remove_stale(str(tmp_path))
    names = {".cococonv-dead", ".cococonv-reused"}
    if staging._boot_id() is not None:
        names.add(".cococonv-rebooted")
    if staging._start_time(os.getpid()) is None:
        names.discard(".cococonv-reused")
    assert sorted(Path(p).name for p in removed) == sorted(names)
    assert {p.name for p in tmp_path.iterdir()} == {
        ".cococonv-dead", ".cococonv-reused", ".cococonv-rebooted", ".cococonv-live",
        ".cococonv-elsewhere", ".cococonv-foreign", ".cococonv-broken", "out"} - names


def test_atomic_output_removes_a_killed_runs_folder_beside_the_target(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    old = stale_folder(tmp_path, "out-abc", pid=gone.pid, start=None)
    (old / "out" / "Annotations").mkdir(parents=True)
    with atomic_output(str(tmp_path / "out")) as work:
        write(work, "a.json")
    assert siblings(tmp_path) == ["out"]


def test_the_output_folder_has_the_mode_of_a_plain_mkdir(tmp_path):
    mask = os.umask(0o027)
    try:
        with atomic_output(str(tmp_path / "out")) as work:
            write(work, "sub/a.json")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o750


def test_a_utf8_byte_order_mark_before_json_is_skipped(tmp_path, runner, cli):
    """Windows tools write a BOM (red-team F27): read as if it were not there, from a file
    and from stdin; a syntax error after it still names the line and column."""
    from cococonv.fileio import loads_json

    bom = b"\xef\xbb\xbf"
    assert loads_json(bom + b'{"a": [1]}', file="x.json") == {"a": [1]}
    with pytest.raises(DataError, match="line 1 column 7"):
        loads_json(bom + b'{"a": }', file="x.json")
    coco = bom + b'{"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3}], ' \
        b'"annotations": [], "categories": [{"id": 1, "name": "cat"}]}'
    (tmp_path / "bom.json").write_bytes(coco)
    for args, stdin in ((["-i", str(tmp_path / "bom.json")], None), (["-i", "-"], coco)):
        result = runner.invoke(cli, ["info", "--json", *args], input=stdin)
        assert result.exit_code == 0, result.stderr
        assert '"items": 1' in result.stdout
