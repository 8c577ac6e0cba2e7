"""Items whose names differ only by letter case (A.jpg, a.jpg): an archive is written with a
warning counting the pairs (as for names Windows cannot hold); a folder on a file system
that ignores case is refused in one line, before anything is written."""
from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from cococonv import casenames
from cococonv.cli import cli
from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, one_error_line, write_coco


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def _two_cases(tmp_path):
    doc = coco_doc(images=[coco_image(id=1, file_name="A.jpg"),
                           coco_image(id=2, file_name="a.jpg")],
                   annotations=[coco_ann(id=1, image_id=1), coco_ann(id=2, image_id=2)])
    return write_coco(tmp_path / "in", {"instances_train": doc})


def test_case_pairs_pairs_each_name_with_the_first_of_its_case():
    assert casenames.case_pairs(["A.jpg", "b", "a.jpg", "B", "c"]) == [("A.jpg", "a.jpg"),
                                                                      ("b", "B")]


@pytest.mark.parametrize("fmt, suffix", [("yolo", ".zip"), ("labelme", ".tar.gz")])
def test_an_archive_is_written_with_a_warning_naming_a_pair(tmp_path, fmt, suffix):
    out = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(cli, ["convert", "-i", str(_two_cases(tmp_path)), "-f", fmt,
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "letter case" in line]
    assert len(warning) == 1 and "1 name(s)" in warning[0] and "A." in warning[0]
    if suffix == ".zip":
        members = zipfile.ZipFile(out).namelist()
        assert {"labels/train/A.txt", "labels/train/a.txt"} <= set(members)


def test_a_folder_on_a_case_blind_file_system_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(casenames, "ignores_case", lambda folder: True)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["convert", "-i", str(_two_cases(tmp_path)), "-f",
                                      "yolo", "-o", str(out)])
    one_error_line(result.stderr, result.exit_code, "'A' and 'a' of subset 'train'",
                   "ignores case", "write a .zip")
    assert not out.exists()


def test_a_folder_on_linux_keeps_both(tmp_path):
    out = tmp_path / "out"
    assert not casenames.ignores_case(str(tmp_path))
    result = CliRunner().invoke(cli, ["convert", "-i", str(_two_cases(tmp_path)), "-f",
                                      "yolo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (out / "labels/train").iterdir()} == {"A.txt", "a.txt"}
