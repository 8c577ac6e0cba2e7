"""--save-images and --image-ext of the yolo, labelme and label_studio exporters: the
shared options (cococonv.export_options) doing in each format what they do in VOC/COCO."""
from __future__ import annotations

import json

import cococonv
from cococonv.report import Report

from ..builders import files_under
from .yolo_helpers import jpeg, write_tree

PNG = b"\x89PNG\r\n\x1a\n"


def _yolo_input(root):
    return write_tree(root, {
        "data.yaml": "train: images/train\nval: images/train\nnames: [a]\n",
        "images/train/x.jpg": jpeg(), "labels/train/x.txt": "0 0.5 0.5 0.5 0.5\n"})


def test_yolo_image_ext_reencodes_saved_images_and_names_them(tmp_path):
    out = tmp_path / "out"
    cococonv.convert(str(_yolo_input(tmp_path / "in")), str(out), input_format="yolo",
                     output_format="yolo", report=Report(quiet=True),
                     output_options={"save_images": True, "image_ext": "PNG"})
    assert "images/train/x.png" in files_under(out)
    assert "images/train/x.jpg" not in files_under(out)
    assert (out / "images/train/x.png").read_bytes().startswith(PNG)
    assert (out / "labels/train/x.txt").read_text() == "0 0.5 0.5 0.5 0.5\n"
    meta = json.loads((out / "yolo_meta.json").read_bytes())
    assert meta["images"]["train"]["x"]["file"] == "x.png"
    back = cococonv.load(str(out), "yolo", report=Report(quiet=True))
    assert back.get("train", "x").image.name == "x.png"
    assert back.get("train", "x").image.size == (10, 20)


def test_yolo_image_ext_without_save_images_renames_only(tmp_path):
    out = tmp_path / "out"
    cococonv.convert(str(_yolo_input(tmp_path / "in")), str(out), input_format="yolo",
                     output_format="yolo", report=Report(quiet=True),
                     output_options={"image_ext": ".png"})
    assert not any(f.startswith("images/") for f in files_under(out))
    meta = json.loads((out / "yolo_meta.json").read_bytes())
    assert meta["images"]["train"]["x"]["file"] == "x.png"
