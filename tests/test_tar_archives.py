"""Tar archives in and out (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) beside zip: written
archives reimport, tars made by `tar` read like the folder, hostile or broken tars are one
error line with nothing written."""
from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

import cococonv
from cococonv import tarsource
from cococonv.report import Report

from .builders import files_under, one_error_line

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "voc_small"
SUFFIXES = [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"]
MODES = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2",
         ".tar.xz": "w:xz"}


def summary(dataset) -> list[tuple[str, str, int]]:
    return sorted((item.subset, item.id, len(item.annotations)) for item in dataset)


def quiet_load(path, fmt=None):
    return cococonv.load(str(path), fmt, report=Report(quiet=True))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_convert_writes_a_tar_that_detects_and_reimports(runner, cli, tmp_path, suffix):
    target = tmp_path / f"out{suffix}"
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "coco", "-o",
                                 str(target), "--save-images", "-q"])
    assert result.exit_code == 0, result.stderr
    with tarfile.open(target, "r:*") as archive:
        names = archive.getnames()
        members = archive.getmembers()
    assert "annotations/instances_train.json" in names
    assert not any(name.startswith(".") for name in names)
    assert all(m.uid == 0 and m.uname == "" and (m.isfile() or m.isdir()) for m in members)
    assert cococonv.detect(str(target))[0][0] == "coco"
    again = quiet_load(target, "coco")
    folder = quiet_load(EXAMPLE, "voc")
    assert [(s, i) for s, i, _ in summary(again)] == [(s, i) for s, i, _ in summary(folder)]
    assert all(item.image is not None and item.image.has_data for item in again)
    # and the tar converts on, reading its images from the members
    onward = tmp_path / "onward.zip"
    result = runner.invoke(cli, ["convert", "-i", str(target), "-f", "cvat", "-o",
                                 str(onward), "--save-images", "-q"])
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(onward) as archive:
        assert sum(n.endswith(".jpg") for n in archive.namelist()) == len(again)


@pytest.mark.parametrize("suffix", [".tar", ".tgz"])
def test_a_tar_made_with_dot_slash_names_and_a_wrapping_folder_reads_like_the_folder(
        tmp_path, suffix):
    source = tmp_path / f"voc{suffix}"
    with tarfile.open(source, MODES[suffix]) as archive:
        archive.add(EXAMPLE, arcname="./voc_small")
    from_tar = quiet_load(source)
    assert summary(from_tar) == summary(quiet_load(EXAMPLE, "voc"))
    assert cococonv.detect(str(source))[0][0] == "voc"
    assert all(item.image.has_data for item in from_tar)


def add(archive: tarfile.TarFile, name: str, data: bytes = b"x", **fields) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for key, value in fields.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data) if info.size else None)


def hostile(*members: tuple) -> callable:
    def make(path: Path) -> None:
        with tarfile.open(path, "w:gz") as archive:
            add(archive, "annotations.xml", b"<annotations/>")
            for name, fields in members:
                add(archive, name, **fields)
    return make


def truncated(path: Path) -> None:
    with tarfile.open(path, "w:gz") as archive:
        archive.add(EXAMPLE, arcname="voc")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def cut_member(path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        add(archive, "annotations.xml", b"<annotations>" + b" " * 4000 + b"</annotations>")
    path.write_bytes(buffer.getvalue()[:2048])


def bomb(path: Path) -> None:
    with tarfile.open(path, "w:gz") as archive:
        add(archive, "annotations.xml", b"<annotations/>" + b" " * 300_000)


def many(path: Path) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for index in range(5):
            add(archive, f"images/{index}.jpg")


@pytest.mark.parametrize(("make", "expected"), [
    pytest.param(truncated, "error: bad.tgz: not a readable tar archive (", id="truncated"),
    pytest.param(cut_member, "error: bad.tgz: not a readable tar archive (", id="not-gzip"),
    pytest.param(hostile(("images/../../evil.txt", {})), "error: bad.tgz!images/../../evil"
                 ".txt: member path leaves the archive root", id="dot-dot"),
    pytest.param(hostile(("/etc/evil.txt", {})), "error: bad.tgz!/etc/evil.txt: member path "
                 "leaves the archive root", id="absolute"),
    pytest.param(hostile(("images/a.jpg", {"type": tarfile.SYMTYPE, "linkname":
                                           "/etc/passwd"})),
                 "error: bad.tgz!images/a.jpg: member is a symbolic link", id="symlink"),
    pytest.param(hostile(("images/a.jpg", {"type": tarfile.LNKTYPE, "linkname":
                                           "annotations.xml"})),
                 "error: bad.tgz!images/a.jpg: member is a hard link", id="hardlink"),
    pytest.param(hostile(("images/a.jpg", {"type": tarfile.CHRTYPE})),
                 "error: bad.tgz!images/a.jpg: member is a device or FIFO", id="device"),
    pytest.param(hostile(("images/a.jpg", {"type": tarfile.FIFOTYPE})),
                 "error: bad.tgz!images/a.jpg: member is a device or FIFO", id="fifo"),
    pytest.param(hostile(("./annotations.xml", {})), "error: bad.tgz!./annotations.xml: the "
                 "archive holds this member twice", id="duplicate"),
    pytest.param(bomb, "error: bad.tgz: the archive inflates past", id="bomb"),
    pytest.param(many, "error: bad.tgz: the archive lists more than 3 members", id="count"),
])
@pytest.mark.parametrize("command", ["convert", "detect"])
def test_unsafe_or_broken_tar_gives_one_error_line_and_writes_nothing(
        runner, cli, tmp_path, monkeypatch, make, expected, command):
    monkeypatch.setattr(tarsource, "MAX_UNCHECKED_SIZE", 100_000)
    monkeypatch.setattr(tarsource, "MAX_TAR_MEMBERS", 3)
    source = tmp_path / "bad.tgz"
    make(source)
    target = tmp_path / "out.tar.gz"
    result = runner.invoke(cli, {"convert": ["convert", "-i", str(source), "-f", "coco",
                                             "-o", str(target)],
                                 "detect": ["detect", str(source)]}[command])
    line = one_error_line(result.stderr, result.exit_code)
    assert line.startswith(expected) and result.stdout == ""
    assert files_under(tmp_path) == ["bad.tgz"]


def test_a_plain_tar_cut_inside_a_member_is_refused_when_opened(tmp_path):
    source = tmp_path / "cut.tar"
    cut_member(source)
    with pytest.raises(cococonv.DataError, match=r"^cut.tar: not a readable tar archive "
                                                 r"\(unexpected end of data\)$"):
        tarsource.TarTree(str(source))


def test_a_zip_holding_one_name_twice_is_refused(runner, cli, tmp_path):
    source = tmp_path / "dup.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(source, "w") as archive:
        archive.writestr("annotations.xml", b"<annotations/>")
        archive.writestr("annotations.xml", b"<annotations><meta/></annotations>")
    result = runner.invoke(cli, ["detect", str(source)])
    assert result.exit_code == 1
    assert result.stderr == ("error: dup.zip!annotations.xml: the archive holds this member "
                             "twice; refusing to pick one\n")
