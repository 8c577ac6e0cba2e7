"""What the importers read: only regular files, only images, only inside the image folders.

- A FIFO, a device or a socket where a dataset file is expected never blocks the run:
  listings (detection) leave it out, and a read refuses it (docs/untrusted-input.md). These
  cases run the CLI in a child process with a timeout, so a regression fails instead of
  hanging the suite.
- A single annotation file in ``annotations/`` makes the folder above an input root, often
  a home or downloads folder: images are looked up there only in its image folders, never
  at a hidden path, and only a file that is an image is copied with --save-images.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cococonv.errors import DataError
from cococonv.registry import default_registry
from cococonv.sources import DirTree

from ..builders import (coco_ann, coco_doc, coco_image, files_under, one_error_line, voc_xml,
                        write_voc)

TIMEOUT = 60
KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n"
JPEG = b"\xff\xd8\xff\xe0 an image"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """The real CLI in a child: a blocking open() fails the test by its timeout."""
    return subprocess.run([sys.executable, "-m", "cococonv", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=TIMEOUT)


def one_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    return one_error_line(result.stderr, result.returncode, *needles)


def coco_file(path: Path, names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = coco_doc(images=[coco_image(id=i + 1, file_name=n) for i, n in enumerate(names)],
                   annotations=[coco_ann(id=i + 1, image_id=i + 1) for i in range(len(names))])
    path.write_text(json.dumps(doc))


def cvat_file(path: Path, images: list[tuple[str, str | None]]) -> None:
    body = "".join(f'<image id="{i}" name="{name}" width="10" height="8"'
                   + (f' subset="{subset}"' if subset else "") + "></image>\n"
                   for i, (name, subset) in enumerate(images))
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1'
                    "</version><meta><task><labels><label><name>cat</name><attributes/>"
                    f"</label></labels></task></meta>\n{body}</annotations>\n")


# -- F1: non-regular files ------------------------------------------------------------------
@pytest.mark.parametrize("args", [["convert", "-i", "ds", "-f", "voc", "-o", "out"],
                                  ["convert", "-if", "coco", "-i", "ds", "-f", "voc", "-o",
                                   "out"],
                                  ["detect", "ds"]])
def test_a_fifo_as_the_coco_annotation_file_is_one_line_not_a_hang(tmp_path, args):
    (tmp_path / "ds" / "annotations").mkdir(parents=True)
    os.mkfifo(tmp_path / "ds" / "annotations" / "instances_default.json")
    one_error(run_cli(tmp_path, *args))
    assert not (tmp_path / "out").exists()


def test_a_fifo_beside_coco_files_is_ignored(tmp_path):
    coco_file(tmp_path / "ds" / "annotations" / "instances_default.json", ["a.jpg"])
    os.mkfifo(tmp_path / "ds" / "annotations" / "instances_val.json")
    detected = run_cli(tmp_path, "detect", "ds")
    assert detected.returncode == 0 and detected.stdout.split()[0] == "coco", detected.stderr
    result = run_cli(tmp_path, "convert", "-i", "ds", "-f", "voc", "-o", "out")
    assert result.returncode == 0, result.stderr
    assert "Annotations/a.xml" in files_under(tmp_path / "out")


@pytest.mark.parametrize("args", [["detect", "ds"],
                                  ["convert", "-i", "ds", "-f", "coco", "-o", "out"],
                                  ["convert", "-if", "cvat", "-i", "ds", "-f", "coco", "-o",
                                   "out"]])
def test_a_fifo_beside_a_cvat_file_is_ignored(tmp_path, args):
    (tmp_path / "ds").mkdir()
    cvat_file(tmp_path / "ds" / "annotations.xml", [("a.jpg", None)])
    os.mkfifo(tmp_path / "ds" / "other.xml")
    result = run_cli(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert args[0] != "detect" or result.stdout.split()[0] == "cvat"


def test_a_cvat_file_that_is_a_fifo_is_one_line(tmp_path):
    (tmp_path / "ds").mkdir()
    os.mkfifo(tmp_path / "ds" / "annotations.xml")
    one_error(run_cli(tmp_path, "convert", "-if", "cvat", "-i", "ds", "-f", "coco", "-o",
                      "out"), "no CVAT annotation file found")


def test_voc_fifos_in_lists_labelmap_and_masks_never_block(tmp_path):
    ds = write_voc(tmp_path / "ds", {"a": voc_xml()}, {"Main/train.txt": "a\nb\n",
                                                       "Segmentation/train.txt": "a\n"})
    (ds / "SegmentationClass").mkdir()
    for rel in ("Annotations/b.xml", "labelmap.txt", "SegmentationClass/a.png",
                "ImageSets/Main/val.txt"):
        os.mkfifo(ds / rel)
    os.symlink("/dev/zero", ds / "Annotations" / "c.xml")
    result = run_cli(tmp_path, "convert", "-i", "ds", "-f", "coco", "-o", "out")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "out" / "annotations" / "instances_train.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["a.jpg", "b.jpg"]


def test_an_image_that_is_a_fifo_counts_as_missing(tmp_path):
    coco_file(tmp_path / "ds" / "x.json", ["a.jpg"])
    (tmp_path / "ds" / "images").mkdir()
    os.mkfifo(tmp_path / "ds" / "images" / "a.jpg")
    result = run_cli(tmp_path, "convert", "-i", "ds/x.json", "-f", "coco", "-o", "out",
                     "--save-images")
    assert result.returncode == 0, result.stderr
    assert "not present in the input" in result.stderr
    assert files_under(tmp_path / "out") == ["annotations/instances_default.json"]


def test_reading_a_fifo_by_name_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "f.json")
    tree = DirTree(str(tmp_path))
    assert tree.files() == [] and not tree.exists("f.json")
    with pytest.raises(DataError, match=r"not a regular file \(a FIFO\)"):
        tree.open("f.json")


# -- F20: the folder above annotations/ -----------------------------------------------------
def home_with_keys(tmp_path: Path) -> Path:
    """A home folder holding a key, a document, a photo and one dataset image."""
    home = tmp_path / "home"
    for rel, data in {".ssh/id_rsa": KEY, "Documents/tax.txt": b"income 1", "images/ok.jpg":
                      JPEG, "Pictures/me.jpg": JPEG, "default/in_subset.jpg": JPEG}.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_bytes(data)
    return home


HOSTILE = [".ssh/id_rsa", "../.ssh/id_rsa", "Documents/tax.txt", "Pictures/me.jpg",
           "/home/u/.ssh/id_rsa", "ok.jpg", "in_subset.jpg", "images/ok.jpg"]


def saved_images(out: Path) -> dict[str, bytes]:
    return {rel: (out / rel).read_bytes() for rel in files_under(out)
            if not rel.startswith("annotations/") and not rel.endswith(".xml")}


def test_coco_file_in_annotations_reads_nothing_above_it(tmp_path):
    """F40: the folder above annotations/ is not an input root (unpacked in a home folder,
    it is the home folder); the run says how to read a real dataset's images."""
    home = home_with_keys(tmp_path)
    coco_file(home / "annotations" / "x.json", HOSTILE)
    result = run_cli(tmp_path, "convert", "-if", "coco_instances", "-i",
                     "home/annotations/x.json", "-f", "coco", "-o", "out", "--save-images")
    assert result.returncode == 0, result.stderr
    assert saved_images(tmp_path / "out") == {}
    assert "lost         images        8  not present in the input" in result.stderr
    assert ("warning: x.json: images are looked up only in the annotation file's own folder, "
            "not in home; to read the dataset's images give its folder: -i home --relpath "
            "annotations/x.json") in result.stderr


def test_cvat_file_in_home_never_copies_hidden_or_non_image_files(tmp_path):
    home = home_with_keys(tmp_path)
    cvat_file(home / "annotations.xml", [(name, None) for name in HOSTILE]
              + [("id_rsa", ".ssh")])
    result = run_cli(tmp_path, "convert", "-if", "cvat", "-i", "home/annotations.xml",
                     "-f", "coco", "-o", "out", "--save-images")
    assert result.returncode == 0, result.stderr
    saved = saved_images(tmp_path / "out")
    # the XML's own folder is the input: its photo is an image the XML names, so it is
    # copied; the key (hidden) and the document (not an image) are not
    assert KEY not in b"".join(saved.values()) and b"income" not in b"".join(saved.values())
    assert sorted(saved) == ["images/default/Pictures/me.jpg", "images/default/images/ok.jpg",
                             "images/default/in_subset.jpg", "images/default/ok.jpg"], saved
    assert "not an image file" in result.stderr


def test_a_file_that_is_no_image_is_not_copied_and_is_counted(tmp_path):
    ds = tmp_path / "ds"
    coco_file(ds / "annotations" / "instances_default.json", ["a.jpg", "b.jpg", "c.tga"])
    (ds / "images").mkdir()
    (ds / "images" / "a.jpg").write_bytes(b"#!/bin/sh\necho not an image\n")
    (ds / "images" / "b.jpg").write_bytes(JPEG)
    from PIL import Image as PILImage
    PILImage.new("RGB", (4, 3)).save(ds / "images" / "c.tga")  # no signature: Pillow knows it
    for fmt, folder in (("coco", "images/default"), ("voc", "JPEGImages"), ("cvat", "images")):
        out = tmp_path / f"out_{fmt}"
        result = run_cli(tmp_path, "convert", "-i", "ds", "-f", fmt, "-o", out.name,
                         "--save-images")
        assert result.returncode == 0, result.stderr
        assert re.search(r"lost +images +1 +not an image file", result.stderr), result.stderr
        assert [rel for rel in saved_images(out) if rel.startswith(folder)] == [
            f"{folder}/b.jpg", f"{folder}/c.tga"]


def test_a_fifo_named_as_the_input_without_a_writer_is_empty_not_a_wait(tmp_path):
    os.mkfifo(tmp_path / "in.json")
    one_error(run_cli(tmp_path, "convert", "-if", "coco_instances", "-i", "in.json", "-f",
                      "voc", "-o", "out"), "in.json")


# -- command-line values --------------------------------------------------------------------
def exit_2(result: subprocess.CompletedProcess, needle: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


@pytest.mark.parametrize("args, needle", [
    (["convert", "-i", "ds", "-f", "coco", "-o", ""], "the output path is empty"),
    (["convert", "-i", "", "-f", "coco", "-o", "out"], "the input path is empty"),
    (["detect", ""], "the input path is empty"),
    (["info", "-i", ""], "the input path is empty")])
def test_an_empty_path_is_an_empty_path_error(tmp_path, args, needle):
    coco_file(tmp_path / "ds" / "annotations" / "instances_default.json", ["a.jpg"])
    exit_2(run_cli(tmp_path, *args), needle)


@pytest.mark.parametrize("fmt", ["coco", "voc", "cvat"])
@pytest.mark.parametrize("ext", ["../../../../EXT", "/tmp/X", "gif"])
def test_an_image_ext_that_is_no_known_format_fails_with_the_options(tmp_path, fmt, ext):
    """Checked with the options, before anything is read (the input does not exist)."""
    exit_2(run_cli(tmp_path, "convert", "-if", "coco", "-i", "missing", "-f", fmt, "-o",
                   "out", "--save-images", "--image-ext", ext),
           f"--image-ext: unsupported image format {ext!r}")


@pytest.mark.parametrize("name", ["pics/a.jpg", "JPEGImages/a.jpg", "../pics/a.jpg"])
def test_overwrite_of_a_folder_the_dataset_names_images_in_is_refused(tmp_path, name):
    # ds/pics is not searched from ds/annotations/x.json (only ds's image folders are), so
    # the run does not read it; replacing it would still delete the images the file names
    folder = tmp_path / "ds" / name.split("/")[-2]
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(JPEG)
    coco_file(tmp_path / "ds" / "annotations" / "x.json", [name])
    target = f"ds/{name.split('/')[-2]}"
    result = run_cli(tmp_path, "convert", "-if", "coco_instances", "-i",
                     "ds/annotations/x.json", "-f", "coco", "-o", target, "--overwrite",
                     "--save-images")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {target}: --overwrite would replace {target}, "
                                    f"which holds '")
    assert "an image this dataset names" in result.stderr and result.stderr.count("\n") == 1
    assert (folder / "a.jpg").read_bytes() == JPEG and os.listdir(folder) == ["a.jpg"]


def test_overwrite_of_an_earlier_output_inside_the_dataset_folder_is_allowed(tmp_path):
    coco_file(tmp_path / "ds" / "annotations" / "x.json", ["a.jpg"])
    (tmp_path / "ds" / "voc").mkdir(parents=True)
    (tmp_path / "ds" / "voc" / "old.txt").write_text("an earlier run's output")
    result = run_cli(tmp_path, "convert", "-if", "coco_instances", "-i",
                     "ds/annotations/x.json", "-f", "voc", "-o", "ds/voc", "--overwrite")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "ds" / "voc" / "old.txt").exists()
