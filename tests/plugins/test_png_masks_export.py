"""png_masks export: index PNGs + labelmap.txt that read back to the same values, what other
formats' data becomes (and what the report says), and png_masks to coco, voc and cvat."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import cococonv
from cococonv import Bbox, Categories, Dataset, Image, Item, Mask, Polygon, masks
from cococonv.report import Report

from ..builders import files_under, one_error_line

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "png_masks_small"


def pixels(path: Path) -> np.ndarray:
    with PILImage.open(path) as image:
        return np.asarray(image)


def areas(dataset) -> list[list[tuple[str, int]]]:
    names = [label.name for label in dataset.categories.labels]
    return [sorted((names[a.label], masks.area(a.rle)) for a in item.annotations
                   if isinstance(a, Mask)) for item in dataset]


def test_png_masks_to_png_masks_keeps_every_value(runner, cli, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "png_masks", "-o",
                                 str(out), "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert "conversion report" not in result.stderr
    assert files_under(out) == files_under(EXAMPLE)
    for rel in files_under(EXAMPLE):
        if rel.startswith("masks/"):
            assert np.array_equal(pixels(out / rel), pixels(EXAMPLE / rel)), rel
            with PILImage.open(out / rel) as image:
                assert image.mode == "P" and image.getpalette()[3:6] == [128, 0, 0]
        else:
            assert (out / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), rel
    again = cococonv.load(str(out), report=Report(quiet=True))
    assert areas(again) == areas(cococonv.load(str(EXAMPLE), report=Report(quiet=True)))


def test_what_an_index_mask_cannot_hold_is_reported_and_shapes_are_painted(tmp_path):
    categories = Categories()
    cat, dog = categories.add("cat"), categories.add("dog")
    square = np.zeros((10, 12), np.uint8, order="F")
    square[2:6, 2:6] = 1
    low = np.zeros((10, 12), np.uint8)
    low[7:10, 2:6] = 1
    item = Item("a", image=Image("a.jpg", (10, 12)), annotations=[
        Mask(label=cat, rle=masks.encode(square)),
        Polygon(label=dog, points=[6, 1, 11, 1, 11, 9, 6, 9], z_order=1),
        Mask(label=dog, rle=masks.encode(np.asfortranarray(low))),
        Bbox(label=cat, x=1, y=1, w=3, h=3),
    ])
    out = tmp_path / "out"
    report = cococonv.save(Dataset(categories, [item]), "png_masks", str(out),
                           report=Report(quiet=True))
    assert files_under(out) == ["labelmap.txt", "masks/a.png"]
    assert (out / "labelmap.txt").read_text() == ("# label:color_rgb:parts:actions\n"
                                                  "background:0,0,0::\ncat:128,0,0::\n"
                                                  "dog:0,128,0::\n")
    plane = pixels(out / "masks" / "a.png")
    assert (plane[2:6, 2:6] == 1).all() and (plane[1:9, 6:11] == 2).all()
    assert (plane[7:10, 2:6] == 2).all()
    assert np.count_nonzero(plane == 1) == 16 and np.count_nonzero(plane == 2) == 52
    assert report.losses[("boxes", "an index mask holds one class per pixel only")] == 1
    assert report.approximations[("polygons", "rasterized into masks")] == 1
    assert report.approximations[("masks", "merged with the others of their class in the "
                                  "image (one region per class)")] == 1


def test_grayscale_masks_a_flat_layout_and_a_tar_output(runner, cli, tmp_path):
    square = np.zeros((4, 4), np.uint8, order="F")
    square[1:3, 1:3] = 1
    categories = Categories()
    categories.add("leaf")
    dataset = Dataset(categories, [Item("x", image=Image("x.png", (4, 4)), annotations=[
        Mask(label=0, rle=masks.encode(square))])])
    cococonv.save(dataset, "png_masks", str(tmp_path / "flat"), apply_colormap=False,
                  report=Report(quiet=True))
    with PILImage.open(tmp_path / "flat" / "masks" / "x.png") as image:
        assert image.mode == "L" and np.asarray(image).sum() == 4
    cococonv.save(dataset, "png_masks", str(tmp_path / "pm.tar.gz"), report=Report(quiet=True))
    back = cococonv.load(str(tmp_path / "pm.tar.gz"), report=Report(quiet=True))
    assert areas(back) == [[("leaf", 4)]]


def test_a_class_name_labelmap_txt_cannot_hold_is_one_error_line(runner, cli, tmp_path):
    source = tmp_path / "in"
    cococonv.save(cococonv.load(str(EXAMPLE), report=Report(quiet=True)), "coco",
                  str(source), report=Report(quiet=True))
    doc_path = source / "annotations" / "instances_train.json"
    doc_path.write_text(doc_path.read_text().replace('"cat"', '"cat:wild"'))
    result = runner.invoke(cli, ["convert", "-i", str(source), "-f", "png_masks", "-o",
                                 str(tmp_path / "out")])
    one_error_line(result.stderr, result.exit_code, "label 'cat:wild'", "holds ':'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", ["coco", "voc", "cvat"])
def test_a_mask_pair_folder_converts_with_every_mask(runner, cli, tmp_path, target):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", target, "-o", str(out),
                                 "--save-images", "--void-regions", "crowd"])
    assert result.exit_code == 0, result.stderr
    options = {"void_regions": "crowd"} if target == "voc" else {}
    back = cococonv.load(str(out), target, report=Report(quiet=True), **options)
    source = cococonv.load(str(EXAMPLE), void_regions="crowd", report=Report(quiet=True))
    assert areas(back) == areas(source)
    assert cococonv.detect(str(out))[0][0] == target
    again = tmp_path / "again"
    result = runner.invoke(cli, ["convert", "-i", str(out), "-f", "png_masks", "-o",
                                 str(again), *(["--void-regions", "crowd"] if options else [])])
    assert result.exit_code == 0, result.stderr
    for rel in files_under(EXAMPLE):
        if rel.startswith("masks/"):
            assert np.array_equal(pixels(again / rel), pixels(EXAMPLE / rel)), rel


def test_void_goes_to_voc_as_its_void_and_is_reported_by_coco(runner, cli, tmp_path):
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "coco", "-o",
                                 str(tmp_path / "coco")])
    assert result.exit_code == 0
    assert "lost         images' VOC void (255) regions        3" in result.stderr
    voc, again = tmp_path / "voc", tmp_path / "again"
    for source, fmt, out in ((EXAMPLE, "voc", voc), (voc, "png_masks", again)):
        result = runner.invoke(cli, ["convert", "-i", str(source), "-f", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.stderr
    with PILImage.open(voc / "SegmentationClass" / "0001.png") as image:
        assert (np.asarray(image)[:, :2] == 255).all()
    for rel in files_under(EXAMPLE):
        if rel.startswith("masks/"):
            assert np.array_equal(pixels(again / rel), pixels(EXAMPLE / rel)), rel


def test_coco_to_png_masks_reports_boxes_and_paints_polygons(runner, cli, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(ROOT / "examples" /
                                 "coco_small"), "-f", "png_masks", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "rasterized into masks" in result.stderr and "lost         boxes" in \
        result.stderr.replace("lost boxes", "lost         boxes")
    back = cococonv.load(str(out), report=Report(quiet=True))
    assert sum(len(item.annotations) for item in back) > 0


def test_instance_masks_write_class_times_n_plus_id_and_read_back_the_same(runner, cli,
                                                                            tmp_path):
    first = tmp_path / "first"
    args = ["--mask-kind", "instance", "--instance-divisor", "1000"]
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(ROOT / "examples" /
                                 "coco_small"), "-f", "png_masks", "-o", str(first), *args])
    assert result.exit_code == 0, result.stderr
    assert "joined with the other shapes of their object" in result.stderr
    with PILImage.open(first / "masks" / "train" / "street.png") as image:
        assert image.mode == "I;16"
        values = set(np.unique(np.asarray(image)).tolist())
    assert values == {0, 1002, 1003, 2001}  # class 1 ids 2, 3; class 2 id 1
    second = tmp_path / "second"
    result = runner.invoke(cli, ["convert", "-i", str(first), "-f", "png_masks", "-o",
                                 str(second), *args])
    assert result.exit_code == 0, result.stderr
    for rel in files_under(first):
        if rel.startswith("masks/"):
            assert np.array_equal(pixels(second / rel), pixels(first / rel)), rel
    back = cococonv.load(str(second), mask_kind="instance", instance_divisor=1000,
                         report=Report(quiet=True))
    street = back.get("train", "street")
    assert sorted((back.categories.labels[a.label].name, a.extra["png_masks"]["instance"])
                  for a in street.annotations) == [("car", 1), ("person", 2), ("person", 3)]


def test_an_instance_divisor_that_would_make_255_a_value_is_refused(runner, cli, tmp_path):
    result = runner.invoke(cli, ["convert", "-i", str(EXAMPLE), "-f", "png_masks", "-o",
                                 str(tmp_path / "out"), "--mask-kind", "instance",
                                 "--instance-divisor", "100"])
    assert result.exit_code == 2
    assert "--instance-divisor: 100: writing needs 0 or 256-65535" in result.stderr
