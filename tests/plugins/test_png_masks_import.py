"""png_masks import: index (palette, grayscale, 16-bit) and RGB masks through each kind of
colour map, instance-id masks, the layouts, void, and bad masks as one error line."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.report import Report

from ..builders import files_under, jpeg, one_error_line, write_files

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "png_masks_small"


def png_bytes(array: np.ndarray, mode: str | None = None, palette: bool = False) -> bytes:
    image = PILImage.fromarray(array, mode) if mode else PILImage.fromarray(array)
    if palette:
        image = image.convert("P") if image.mode == "L" else image
        image.putpalette([v for k in range(256) for v in (k, 255 - k, k // 2)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(root: Path, **options):
    return cococonv.load(str(root), "png_masks", report=Report(quiet=True), **options)


def by_label(dataset, item) -> dict[str, int]:
    """Label name -> pixel count of each mask of the item."""
    names = [label.name for label in dataset.categories.labels]
    return {names[a.label] + ("*" if a.attributes.get("is_crowd") else ""):
            masks.area(a.rle) for a in item.annotations}


PLANE = np.zeros((6, 8), np.uint8)
PLANE[1:3, 1:4] = 1   # 6 pixels of class 1
PLANE[4:6, 5:8] = 2   # 6 pixels of class 2
PLANE[0, 7] = 255     # one void pixel


def test_the_example_reads_with_sizes_from_the_image_headers():
    dataset = load(EXAMPLE)
    assert [label.name for label in dataset.categories.labels] == ["background", "cat", "dog",
                                                                   "grass"]
    assert [(item.subset, item.id, item.image.size) for item in dataset] == [
        ("train", "0001", (48, 64)), ("train", "0002", (48, 64)), ("val", "0003", (48, 64))]
    first = next(iter(dataset))
    assert by_label(dataset, first) == {"cat": 400, "dog": 484, "grass": 1028}
    assert masks.area(first.ignore.semantic) == 96 and first.ignore.instance is None
    assert dataset.categories.colormap[1] == (128, 0, 0)
    assert cococonv.detect(str(EXAMPLE))[0][0] == "png_masks"


@pytest.mark.parametrize("palette", [True, False], ids=["palette", "grayscale"])
def test_an_8_bit_index_mask_with_class_names_txt(tmp_path, palette):
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(PLANE, "L", palette),
                     "class_names.txt": "_background_\nroad\ncar\n"})
    dataset = load(tmp_path)
    item = next(iter(dataset))
    assert (item.subset, item.id) == ("default", "a")
    assert by_label(dataset, item) == {"road": 6, "car": 6}
    assert masks.area(item.ignore.semantic) == 1


def test_a_16_bit_mask_reads_values_past_255(tmp_path):
    plane = np.zeros((6, 8), np.uint16)
    plane[:2, :] = 300
    plane[2:4, :4] = 1
    names = "\n".join(["background"] + [f"c{k}" for k in range(1, 301)])
    write_files(tmp_path, {"images/a.png": png_bytes(np.zeros((6, 8), np.uint8), "L"),
                     "masks/a.png": png_bytes(plane), "classes.txt": names})
    dataset = load(tmp_path)
    assert by_label(dataset, next(iter(dataset))) == {"c300": 16, "c1": 8}


def rgb_mask() -> np.ndarray:
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[1:3, 1:4] = (64, 128, 64)
    rgb[4:6, 5:8] = (192, 0, 128)
    return rgb


@pytest.mark.parametrize(("name", "text"), [
    ("class_dict.csv", "name,r,g,b\nvoid_bg,0,0,0\nAnimal,64,128,64\nArchway,192,0,128\n"),
    ("labelmap.txt", "# label:color_rgb:parts:actions\nvoid_bg:0,0,0::\nAnimal:64,128,64::\n"
                     "Archway:192,0,128::\n"),
    ("labelmap.json", json.dumps({"void_bg": [0, 0, 0], "Animal": [64, 128, 64],
                                  "Archway": [192, 0, 128]})),
    ("dataset_meta.json", json.dumps({"label_map": {"0": "void_bg", "1": "Animal",
                                                    "2": "Archway"},
                                      "segmentation_colors": [[0, 0, 0], [64, 128, 64],
                                                              [192, 0, 128]]})),
    ("classes.json", json.dumps([{"name": "void_bg", "id": 0, "color": [0, 0, 0]},
                                 {"name": "Archway", "id": 7, "color": [192, 0, 128]},
                                 {"name": "Animal", "id": 3, "color": [64, 128, 64]}])),
])
def test_an_rgb_mask_is_read_through_each_kind_of_colour_map(tmp_path, name, text):
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(rgb_mask()),
                     name: text})
    dataset = load(tmp_path)
    # index 0 is not named background: it is a class like any other
    assert by_label(dataset, next(iter(dataset))) == {"void_bg": 36, "Animal": 6,
                                                      "Archway": 6}


def test_a_json_map_of_index_to_name(tmp_path):
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(PLANE, "L"),
                     "labelmap.json": json.dumps({"0": "background", "2": "car",
                                                  "1": "road"})})
    dataset = load(tmp_path)
    assert by_label(dataset, next(iter(dataset))) == {"road": 6, "car": 6}


def test_without_a_map_values_name_their_classes_in_value_order(tmp_path):
    later = PLANE.copy()
    later[later == 2] = 7
    write_files(tmp_path, {"images/train/a.jpg": jpeg(width=8, height=6), "images/train/b.jpg": jpeg(width=8, height=6),
                     "masks/train/a.png": png_bytes(later, "L"),
                     "masks/train/b.png": png_bytes(PLANE, "L")})
    dataset = load(tmp_path)
    assert [label.name for label in dataset.categories.labels] == ["class_1", "class_2",
                                                                   "class_7"]
    first, second = dataset
    assert by_label(dataset, first) == {"class_1": 6, "class_7": 6}
    assert by_label(dataset, second) == {"class_1": 6, "class_2": 6}


def test_split_first_layout_mask_suffix_and_unpaired_files(tmp_path):
    write_files(tmp_path, {"train/images/a.jpg": jpeg(width=8, height=6), "train/masks/a_mask.png":
                     png_bytes(PLANE, "L"), "train/images/nomask.jpg": jpeg(width=8, height=6),
                     "val/images/c.jpg": jpeg(width=8, height=6), "val/masks/c.png": png_bytes(PLANE, "L"),
                     "val/masks/orphan.png": png_bytes(PLANE, "L")})
    report = Report(quiet=True)
    dataset = cococonv.load(str(tmp_path), report=report)
    assert [(i.subset, i.id, len(i.annotations)) for i in dataset] == [
        ("train", "a", 2), ("train", "nomask", 0), ("val", "c", 2), ("val", "orphan", 2)]
    assert dataset.get("val", "orphan").image.size == (6, 8)
    assert report.warnings == ["1 mask(s) have no image beside them; read with the mask's size",
                               "1 image(s) have no mask; read without annotations"]


def test_forced_on_a_folder_with_no_mask_png_is_refused(tmp_path):
    """-if png_masks on a COCO folder (images/ + annotations/, no PNG) read its images as
    unlabelled items and exited 0."""
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6),
                           "annotations/instances_default.json": "{}"})
    with pytest.raises(cococonv.DataError, match="no png_masks dataset found"):
        cococonv.load(str(tmp_path), "png_masks")


def test_instance_masks_with_and_without_a_class_divisor(tmp_path):
    plane = np.zeros((6, 8), np.uint16)
    plane[0:2, 0:2] = 1001  # class 1, object 1
    plane[0:2, 4:8] = 1002  # class 1, object 2
    plane[4:6, :] = 2000    # class 2 as a region without object
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(plane),
                     "class_names.txt": "background\nperson\nroad\n"})
    dataset = load(tmp_path, mask_kind="instance", instance_divisor=1000)
    found = sorted((dataset.categories.labels[a.label].name, masks.area(a.rle))
                   for a in next(iter(dataset)).annotations)
    assert found == [("person", 4), ("person", 8), ("road", 16)]
    one_class = tmp_path / "one"
    write_files(one_class, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(PLANE, "L"),
                      "class_names.txt": "background\nleaf\n"})
    dataset = load(one_class, mask_kind="instance")
    assert sorted(masks.area(a.rle) for a in next(iter(dataset)).annotations) == [6, 6]
    assert {a.label for a in next(iter(dataset)).annotations} == {1}
    assert masks.area(next(iter(dataset)).ignore.instance) == 1


def test_void_regions_crowd_and_void_index(tmp_path):
    write_files(tmp_path, {"images/a.jpg": jpeg(width=8, height=6), "masks/a.png": png_bytes(PLANE, "L")})
    dataset = load(tmp_path, void_regions="crowd")
    assert by_label(dataset, next(iter(dataset))) == {"class_1": 6, "class_2": 6,
                                                      "background*": 1}
    dataset = load(tmp_path, void_index=-1)
    assert by_label(dataset, next(iter(dataset))) == {"class_1": 6, "class_2": 6,
                                                      "class_255": 1}


def test_a_tar_of_the_example_reads_like_the_folder(tmp_path):
    import tarfile
    with tarfile.open(tmp_path / "pm.tgz", "w:gz") as archive:
        archive.add(EXAMPLE, arcname="png_masks_small")
    from_tar, folder = load(tmp_path / "pm.tgz"), load(EXAMPLE)
    assert [by_label(from_tar, i) for i in from_tar] == [by_label(folder, i) for i in folder]
    assert all(item.image.has_data and item.image.size == (48, 64) for item in from_tar)


BAD_RGB = rgb_mask()
BAD_RGB[7 // 8 + 6:, :] = 0
BAD_RGB[5, 3] = (12, 40, 200)


@pytest.mark.parametrize(("files", "line"), [
    ({"masks/a.png": png_bytes(BAD_RGB), "class_dict.csv": "name,r,g,b\nbg,0,0,0\n"
      "Animal,64,128,64\nArchway,192,0,128\n"},
     "error: masks/a.png: colour (12, 40, 200) at x=3 y=5 is not in class_dict.csv"),
    ({"masks/a.png": png_bytes(rgb_mask())},
     "error: masks/a.png: an RGB mask needs a colour map"),
    ({"masks/a.png": png_bytes(PLANE, "L"), "class_names.txt": "background\nroad\n"},
     "error: masks/a.png: index 2 at x=5 y=4 is not in class_names.txt (2 classes)"),
    ({"masks/a.png": png_bytes(np.zeros((5, 8), np.uint8), "L")},
     "error: masks/a.png: mask is 8x5 but its image images/a.jpg is 8x6 (width x height)"),
    ({"masks/a.png": b"\x89PNG\r\n\x1a\nnot really"}, "error: masks/a.png: cannot read the PNG"),
    ({"masks/a.png": png_bytes(PLANE, "L"), "labelmap.txt": "bg:0,0\n"},
     "error: labelmap.txt: line 1: colour '0,0' is not r,g,b with values 0-255"),
])
def test_bad_masks_give_one_error_line_and_no_output(runner, cli, tmp_path, files, line):
    source = write_files(tmp_path / "in", {"images/a.jpg": jpeg(width=8, height=6), **files})
    source = tmp_path / "in"
    result = runner.invoke(cli, ["convert", "-i", str(source), "-if", "png_masks", "-f",
                                 "coco", "-o", str(tmp_path / "out")], catch_exceptions=False)
    shown = one_error_line(result.stderr, result.exit_code).replace(str(source) + "/", "")
    assert shown.startswith(line), shown
    assert not (tmp_path / "out").exists()


def test_on_error_skip_drops_the_bad_item_and_counts_it(runner, cli, tmp_path):
    source = write_files(tmp_path / "in", {"images/a.jpg": jpeg(width=8, height=6), "images/b.jpg": jpeg(width=8, height=6),
                                     "masks/a.png": png_bytes(np.zeros((5, 8), np.uint8), "L"),
                                     "masks/b.png": png_bytes(PLANE, "L")})
    result = runner.invoke(cli, ["convert", "-i", str(source), "-f", "coco", "-o",
                                 str(tmp_path / "out"), "--on-error", "skip"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["b.jpg"]
    assert "skipped" in result.stderr
    assert files_under(source) == ["images/a.jpg", "images/b.jpg", "masks/a.png",
                                   "masks/b.png"]


def test_a_datumaro_common_semantic_segmentation_export_reads_as_datumaro_reads_it():
    """Datumaro's own test asset (tests/plugins/data/datumaro_css/SOURCE.md): RGB masks and
    dataset_meta.json, whose background_label 0 is named Void."""
    source = Path(__file__).parent / "data" / "datumaro_css" / "dataset"
    assert cococonv.detect(str(source))[0][0] == "png_masks"
    dataset = load(source)
    assert [label.name for label in dataset.categories.labels] == [
        "Void", "Animal", "Archway", "Bicyclist", "Child", "Road"]
    found = {item.id: sorted((a.label, tuple(masks.decode(a.rle)[0].tolist()))
                             for a in item.annotations) for item in dataset}
    assert found == {"0001": [(3, (1, 1, 0, 1, 1)), (5, (0, 0, 1, 0, 0))],
                     "0002": [(1, (1, 1, 1, 0, 0)), (4, (0, 0, 0, 1, 1))]}
    assert all(item.image.size == (1, 5) for item in dataset)
