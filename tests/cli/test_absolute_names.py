"""Datasets whose image names are absolute or climb out (``C:\\data\\x.jpg``,
``/home/u/x.jpg``, ``..\\images\\x.jpg``: Windows tools, ad-hoc scripts) convert.

A name that becomes an output path is written by its tail (what ``paths.lookup_relpath``
looks the image up by), with one warning and a report count; a name that is only data is
kept as the source had it, with one warning. Nothing is ever written outside the target.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, files_under

NAMES = ["C:\\Users\\bob\\data\\img001.jpg", "/home/alice/data/img002.jpg",
         "..\\images\\img003.jpg"]
TAILS = ["img001.jpg", "img002.jpg", "images/img003.jpg"]


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def make_ds(tmp_path: Path, names: list[str] = NAMES) -> Path:
    """``ds/annotations/instances_default.json`` naming ``names``, images in ``ds/images/``."""
    from PIL import Image

    ds = tmp_path / "sandbox" / "ds"
    (ds / "annotations").mkdir(parents=True)
    (ds / "images").mkdir()
    doc = coco_doc(images=[coco_image(id=i + 1, file_name=n, width=9, height=7)
                           for i, n in enumerate(names)],
                   annotations=[coco_ann(id=i + 1, image_id=i + 1) for i in range(len(names))])
    (ds / "annotations" / "instances_default.json").write_text(json.dumps(doc))
    for name in names:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        Image.new("RGB", (9, 7)).save(ds / "images" / base)
    return ds


def convert(runner, cli, ds: Path, fmt: str, *extra: str):
    """Run convert into ``sandbox/out``; assert nothing appeared outside it."""
    sandbox = ds.parent
    before = {p for p in files_under(sandbox) if not p.startswith("out/")}
    target = sandbox / "out"
    result = runner.invoke(cli, ["convert", "-i", str(ds), "-f", fmt, "-o", str(target),
                                 *extra])
    after = {p for p in files_under(sandbox) if not p.startswith("out/")}
    assert after == before, result.stderr
    return result, target


def coco_names(target: Path) -> list[str]:
    doc = json.loads((target / "annotations" / "instances_default.json").read_text())
    return [image["file_name"] for image in doc["images"]]


def cvat_names(target: Path) -> list[str]:
    return [e.get("name") for e in ET.parse(target / "annotations.xml").iter("image")]


def test_coco_to_coco_keeps_the_names_as_data_with_one_warning(runner, cli, tmp_path):
    result, target = convert(runner, cli, make_ds(tmp_path), "coco")
    assert result.exit_code == 0, result.stderr
    assert coco_names(target) == NAMES
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "3 image name(s) are absolute" in warnings[0]
    assert "kept as data" in warnings[0]


def test_coco_to_coco_saves_images_by_their_tail_and_names_them_so(runner, cli, tmp_path):
    result, target = convert(runner, cli, make_ds(tmp_path), "coco", "--save-images")
    assert result.exit_code == 0, result.stderr
    assert coco_names(target) == TAILS
    assert [p for p in files_under(target) if p.endswith(".jpg")] == sorted(
        f"images/default/{t}" for t in TAILS)
    assert ("3 image name(s) were absolute or climbed out with '..'; written by their tail, "
            "e.g. 'C:\\\\Users\\\\bob\\\\data\\\\img001.jpg' -> 'img001.jpg'") in result.stderr
    assert re.search(r"approximated +image names absolute .* 3 +written by their tail",
                     result.stderr)


@pytest.mark.parametrize("save", [False, True])
def test_coco_to_voc_writes_items_by_their_tail(runner, cli, tmp_path, save):
    result, target = convert(runner, cli, make_ds(tmp_path), "voc",
                             *(["--save-images"] if save else []))
    assert result.exit_code == 0, result.stderr
    files = files_under(target)
    assert [p for p in files if p.startswith("Annotations/")] == [
        "Annotations/images/img003.xml", "Annotations/img001.xml", "Annotations/img002.xml"]
    images = [p for p in files if p.startswith("JPEGImages/")]
    assert images == (["JPEGImages/images/img003.jpg", "JPEGImages/img001.jpg",
                       "JPEGImages/img002.jpg"] if save else [])
    assert (target / "ImageSets/Main/default.txt").read_text().split() == [
        "img001", "img002", "images/img003"]
    assert "3 item id(s) were absolute or climbed out with '..'" in result.stderr


def test_coco_to_cvat_without_save_images_keeps_names(runner, cli, tmp_path):
    result, target = convert(runner, cli, make_ds(tmp_path), "cvat")
    assert result.exit_code == 0, result.stderr
    assert cvat_names(target) == NAMES
    assert "3 image name(s) are absolute or climb out with '..'" in result.stderr


def test_coco_to_cvat_with_save_images_writes_tails(runner, cli, tmp_path):
    result, target = convert(runner, cli, make_ds(tmp_path), "cvat", "--save-images")
    assert result.exit_code == 0, result.stderr
    assert cvat_names(target) == TAILS
    assert sorted(p for p in files_under(target) if p.endswith(".jpg")) == sorted(
        f"images/{t}" for t in TAILS)
    assert "written by their tail" in result.stderr


def test_a_plain_dataset_gets_no_warning(runner, cli, tmp_path):
    result, _ = convert(runner, cli, make_ds(tmp_path, ["a.jpg", "sub\\b.jpg"]), "coco")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


@pytest.mark.parametrize("fmt", ["coco", "voc", "cvat"])
def test_two_names_with_one_tail_are_an_error_naming_both(runner, cli, tmp_path, fmt):
    ds = make_ds(tmp_path, ["/home/a/x.jpg", "D:\\b\\x.jpg", "ok.jpg"])
    result, target = convert(runner, cli, ds, fmt, "--save-images")
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "writes too" in lines[0] and "D:" in lines[0] and "/home/a/x" in lines[0]
    assert not target.exists()
    result, target = convert(runner, cli, ds, fmt, "--save-images", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"skipped +bad records +1 ", result.stderr)
    assert sorted(Path(p).name for p in files_under(target) if p.endswith(".jpg")) == [
        "ok.jpg", "x.jpg"]


def test_a_name_with_nothing_after_its_last_dotdot_is_still_refused(runner, cli, tmp_path):
    ds = make_ds(tmp_path, ["ok.jpg"])
    doc = json.loads((ds / "annotations" / "instances_default.json").read_text())
    doc["images"][0]["file_name"] = "a/.."
    (ds / "annotations" / "instances_default.json").write_text(json.dumps(doc))
    result, target = convert(runner, cli, ds, "voc")
    assert result.exit_code == 1, result.stderr
    assert "'..' segment" in result.stderr


def test_coco_panoptic_pngs_are_named_by_the_tail(runner, cli, tmp_path):
    result, target = convert(runner, cli, make_ds(tmp_path), "coco_panoptic")
    assert result.exit_code == 0, result.stderr
    assert [p for p in files_under(target) if p.endswith(".png")] == [
        "annotations/panoptic_default/images/img003.png",
        "annotations/panoptic_default/img001.png", "annotations/panoptic_default/img002.png"]
    assert "3 panoptic PNG name(s) were absolute" in result.stderr


@pytest.mark.parametrize("name, tail", [
    ("a/b.jpg", None), ("a\\b.jpg", None), ("./a.jpg", None), ("/home/u/x.jpg", "x.jpg"),
    ("C:\\data\\x.jpg", "x.jpg"), ("c:x.jpg", "x.jpg"), ("\\\\server\\share\\x.jpg", "x.jpg"),
    ("..\\images\\x.jpg", "images/x.jpg"), ("a/../../b/../c/x.jpg", "c/x.jpg"), ("a/..", ""),
    ("/", ""),
])
def test_escaping_tail_is_the_lookup_rule(name, tail):
    from cococonv.paths import escaping_tail, lookup_relpath

    assert escaping_tail(name) == tail
    if tail:
        assert lookup_relpath(name) == tail
