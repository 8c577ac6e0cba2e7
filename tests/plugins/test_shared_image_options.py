"""--save-images and --image-ext of the yolo, labelme and label_studio exporters: the
shared options (cococonv.export_options) doing in each format what they do in VOC/COCO."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner

import cococonv
from cococonv.cli import cli
from cococonv.model import Categories, Dataset, Image, Item
from cococonv.report import Report

from ..builders import files_under, jpeg, write_files
from .labelme_files import doc, write

PNG = b"\x89PNG\r\n\x1a\n"


def _yolo_input(root):
    return write_files(root, {
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


def _labelme(src, out, **options):
    report = Report(quiet=True)
    cococonv.convert(str(src), str(out), input_format="labelme", output_format="labelme",
                     report=report, output_options=options, jobs=1)
    return report


def test_labelme_image_ext_renames_image_path_saves_and_embeds_the_new_format(tmp_path):
    data = jpeg(width=30, height=20)
    write(tmp_path / "in", {"train/a.json": doc(imagePath="a.jpg"),
                            "val/b.json": doc(imagePath="b.jpg")})
    (tmp_path / "in" / "train" / "a.jpg").write_bytes(data)
    (tmp_path / "in" / "val" / "b.jpg").write_bytes(data)
    out = tmp_path / "out"
    report = _labelme(tmp_path / "in", out, save_images=True, embed_images=True,
                      image_ext="png")
    assert not report.losses
    a = json.loads((out / "train" / "a.json").read_text())
    assert a["imagePath"] == "a.png"
    assert base64.b64decode(a["imageData"]).startswith(PNG)
    assert (out / "train" / "a.png").read_bytes().startswith(PNG)
    assert not (out / "train" / "a.jpg").exists()
    back = cococonv.load(str(out), "labelme", report=Report(quiet=True))
    assert sorted(item.image.name for item in back) == ["a.png", "b.png"]
    assert {item.image.size for item in back} == {(20, 30)}


def test_labelme_image_ext_of_the_images_own_format_copies_bytes(tmp_path):
    data = jpeg(width=30, height=20)
    write(tmp_path / "in", {"a.json": doc(imagePath="a.jpg")})
    (tmp_path / "in" / "a.jpg").write_bytes(data)
    _labelme(tmp_path / "in", tmp_path / "out", save_images=True, image_ext=".JPG")
    assert json.loads((tmp_path / "out" / "a.json").read_text())["imagePath"] == "a.jpg"
    assert (tmp_path / "out" / "a.jpg").read_bytes() == data


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _tasks(out, subset):
    return json.loads((out / f"{subset}.json").read_text())


def test_label_studio_save_images_copies_them_where_data_image_points(tmp_path):
    out = tmp_path / "ls"
    result = CliRunner().invoke(cli, ["convert", "-if", "coco", "-i",
                                      str(EXAMPLES / "coco_small"), "-f", "label_studio",
                                      "-o", str(out), "--save-images"])
    assert result.exit_code == 0, result.output
    names = []
    for subset in ("train", "val"):
        for task in _tasks(out, subset):
            rel = task["data"]["image"]
            assert rel.startswith("images/")
            source = EXAMPLES / "coco_small" / "images" / subset / rel[len("images/"):]
            assert (out / rel).read_bytes() == source.read_bytes()
            names.append(rel)
    assert sorted(names) == ["images/beach.jpg", "images/park.jpg", "images/street.jpg"]
    assert sorted(f for f in files_under(out) if f.startswith("images/")) == sorted(names)
    back = cococonv.load(str(out), "label_studio", report=Report(quiet=True))
    assert all(item.image.has_data for item in back)


def test_label_studio_save_images_with_prefix_and_image_ext(tmp_path):
    out = tmp_path / "ls"
    report = Report(quiet=True)
    cococonv.convert(str(EXAMPLES / "label_studio_small"), str(out),
                     input_format="label_studio", output_format="label_studio",
                     report=report, output_options={
                         "save_images": True, "image_ext": "jpg",
                         "image_prefix": "/data/local-files/?d="})
    urls = sorted(task["data"]["image"] for task in _tasks(out, "default"))
    # the tasks read from local files and an upload now point at the saved copies; their
    # names are already in images/ (the input's folder): no images/images/
    assert urls == ["/data/local-files/?d=images/park.jpg",
                    "/data/local-files/?d=images/street.jpg"]
    for url in urls:
        assert (out / url.split("?d=")[1]).read_bytes().startswith(b"\xff\xd8\xff")
    assert not report.losses.get(("images", "not present in the input"))


def test_label_studio_without_save_images_writes_no_image_and_keeps_urls(tmp_path):
    out = tmp_path / "ls"
    cococonv.convert(str(EXAMPLES / "label_studio_small"), str(out),
                     input_format="label_studio", output_format="label_studio",
                     report=Report(quiet=True))
    assert sorted(task["data"]["image"] for task in _tasks(out, "default")) == [
        "/data/local-files/?d=images/street.png", "/data/upload/1/5f3e9a1c-park.png"]
    assert not (out / "images").exists()


def test_label_studio_saves_an_escaping_image_name_by_its_tail(tmp_path):
    data = jpeg(width=30, height=20)
    (tmp_path / "x.jpg").write_bytes(data)
    item = Item("x", image=Image("../../x.jpg", (20, 30), path=str(tmp_path / "x.jpg")))
    report = Report(quiet=True)
    cococonv.save(Dataset(Categories(), [item]), "label_studio", str(tmp_path / "ls"),
                  report=report, save_images=True)
    (task,) = _tasks(tmp_path / "ls", "default")
    assert task["data"]["image"] == "images/x.jpg"
    assert (tmp_path / "ls" / "images" / "x.jpg").read_bytes() == data
    assert sorted(files_under(tmp_path / "ls")) == ["default.json", "images/x.jpg",
                                                   "labeling_config.xml"]


def test_png_masks_image_ext_without_a_dot_or_in_capitals_names_the_copies(tmp_path):
    out = tmp_path / "pm"
    cococonv.convert(str(EXAMPLES / "png_masks_small"), str(out), input_format="png_masks",
                     output_format="png_masks", report=Report(quiet=True),
                     output_options={"save_images": True, "image_ext": "PNG"})
    saved = [f for f in files_under(out) if f.startswith("images/")]
    assert saved == ["images/train/0001.png", "images/train/0002.png", "images/val/0003.png"]
    assert all((out / f).read_bytes().startswith(PNG) for f in saved)
