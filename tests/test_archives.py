"""Zip archives in and out: CVAT-style export zips of COCO 1.0, CVAT for images 1.1 and
Pascal VOC, built at test time from the shared fixtures; unsafe or broken zips are refused."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

import cococonv
from cococonv.report import Report

# CVAT's export archives, rebuilt from the fixtures it exported (2label, a real CVAT server).
ARCHIVES = {"coco": "2label/coco1.0", "cvat": "2label/cvat1.1", "voc": "2label/voc1.1"}


def zip_folder(folder: Path, target: Path, *, wrap: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, wrap + path.relative_to(folder).as_posix())
    return target


@pytest.fixture(scope="module")
def archives(fixtures_root, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("zips")
    built = {fmt: zip_folder(fixtures_root / rel, root / f"{fmt}.zip")
             for fmt, rel in ARCHIVES.items()}
    built["wrapped"] = zip_folder(fixtures_root / ARCHIVES["cvat"], root / "wrapped.zip",
                                  wrap="task_7_export/")
    return built


def counts(dataset) -> tuple[int, int]:
    return len(dataset), sum(len(item.annotations) for item in dataset)


@pytest.mark.parametrize("fmt", ["coco", "cvat", "voc"])
def test_detect_names_the_format_of_a_cvat_export_zip(runner, cli, archives, fmt):
    result = runner.invoke(cli, ["detect", str(archives[fmt])])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == fmt


def test_detect_looks_through_a_single_wrapping_folder(runner, cli, archives):
    result = runner.invoke(cli, ["detect", str(archives["wrapped"])])
    assert result.exit_code == 0 and result.stdout.splitlines()[0] == "cvat"


@pytest.mark.parametrize(("fmt", "out_fmt"), [("coco", "voc"), ("cvat", "coco"),
                                              ("voc", "cvat")])
def test_convert_reads_an_export_zip_and_writes_a_zip_that_reimports(runner, cli, archives,
                                                                     fixtures_root, tmp_path,
                                                                     fmt, out_fmt):
    target = tmp_path / "out.zip"
    result = runner.invoke(cli, ["convert", "-i", str(archives[fmt]), "-f", out_fmt,
                                 "-o", str(target), "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert zipfile.is_zipfile(target)
    assert cococonv.detect(str(target))[0][0] == out_fmt
    from_zip = cococonv.load(str(archives[fmt]), fmt, report=Report(quiet=True))
    from_folder = cococonv.load(str(fixtures_root / ARCHIVES[fmt]), fmt,
                                report=Report(quiet=True))
    assert counts(from_zip) == counts(from_folder)
    again = cococonv.load(str(target), out_fmt, report=Report(quiet=True))
    assert len(again) == len(from_zip)
    assert all(item.image is not None and item.image.has_data for item in again)
    with zipfile.ZipFile(target) as archive:
        assert not any(name.startswith(".") for name in archive.namelist())


def test_a_wrapped_cvat_zip_converts_like_the_folder(archives, fixtures_root):
    wrapped = cococonv.load(str(archives["wrapped"]), report=Report(quiet=True))
    folder = cococonv.load(str(fixtures_root / ARCHIVES["cvat"]), "cvat",
                           report=Report(quiet=True))
    assert counts(wrapped) == counts(folder)
    assert [item.id for item in wrapped] == [item.id for item in folder]
    assert all(item.image.has_data for item in wrapped)


def truncated(archives, path: Path) -> None:
    data = archives["cvat"].read_bytes()
    path.write_bytes(data[: len(data) // 2])


def escaping(archives, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("annotations.xml", b"<annotations/>")
        archive.writestr("images/../../evil.txt", b"x")


def symlink(archives, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("annotations.xml", b"<annotations/>")
        link = zipfile.ZipInfo("images/a.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")


@pytest.mark.parametrize(("make", "expected"), [
    pytest.param(truncated, "error: bad.zip: not a readable zip archive (", id="truncated"),
    pytest.param(escaping, "error: bad.zip!images/../../evil.txt: member path leaves the "
                 "archive root", id="dot-dot"),
    pytest.param(symlink, "error: bad.zip!images/a.jpg: member is a symbolic link",
                 id="symlink"),
])
@pytest.mark.parametrize("command", ["convert", "detect"])
def test_unsafe_or_broken_zip_gives_one_error_line_and_writes_nothing(runner, cli, archives,
                                                                      tmp_path, make, expected,
                                                                      command):
    source = tmp_path / "bad.zip"
    make(archives, source)
    target = tmp_path / "out"
    args = ["convert", "-i", str(source), "-f", "coco", "-o", str(target)] \
        if command == "convert" else ["detect", str(source)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.zip"]
