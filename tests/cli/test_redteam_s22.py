"""Red-team findings of session 22 (R1, R2, ...), each through the CLI or the module that
had the bug. The numbered list and what each covers is in the docstring of each test."""
from __future__ import annotations

import json
import re
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest

from cococonv import casenames
from cococonv.errors import DataError
from cococonv.registry import default_registry
from cococonv.sources import ZipTree

from ..builders import (coco_ann, coco_doc, coco_image, files_under, jpeg, one_error_line,
                        write_coco)


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


# -- R1 (F40): a single file's input root is its folder, nothing above it ------------------
def _labelme(name: str) -> dict:
    return {"version": "5.0.1", "flags": {}, "imagePath": name, "imageData": None,
            "imageHeight": 10, "imageWidth": 20,
            "shapes": [{"label": "a", "points": [[1, 1], [5, 5]],
                        "shape_type": "rectangle", "flags": {}}]}


def _label_studio(name: str) -> list:
    return [{"id": 1, "data": {"image": name}, "annotations": [{"id": 1, "result": []}]}]


def _cvat(name: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>'
            '<meta><task><labels><label><name>a</name><attributes/></label></labels></task>'
            f'</meta>\n<image id="0" name="{name}" width="20" height="10"></image>'
            '</annotations>\n')


# A stranger's file in ~/annotations/ (a COCO annotation zip unpacked in the home folder)
# naming the user's pictures above it, in every way each format can name a file.
STRANGERS = {
    "coco": ("instances_Pictures.json", lambda n: json.dumps(coco_doc(
        images=[coco_image(id=i + 1, file_name=f) for i, f in enumerate(n)],
        annotations=[coco_ann(id=i + 1, image_id=i + 1) for i in range(len(n))])),
        ["me.jpg", "images/me.jpg", "../Pictures/me.jpg", "/home/u/Pictures/x/you.jpg"]),
    "labelme": ("a.json", lambda n: json.dumps(_labelme(n[0])), ["../Pictures/me.jpg"]),
    "label_studio": ("tasks.json", lambda n: json.dumps(_label_studio(n[0])),
                     ["../images/me.jpg"]),
    "cvat": ("annotations.xml", lambda n: _cvat(n[0]), ["../images/me.jpg"]),
}


def _home_with_a_stranger(tmp_path: Path, fmt: str) -> Path:
    home = tmp_path / "home"
    for folder in ("Pictures", "images"):
        (home / folder).mkdir(parents=True)
        (home / folder / "me.jpg").write_bytes(jpeg())
    name, make, names = STRANGERS[fmt]
    (home / "annotations").mkdir()
    (home / "annotations" / name).write_text(make(names))
    return home / "annotations" / name


@pytest.mark.parametrize("fmt", sorted(STRANGERS))
def test_r1_a_single_file_never_copies_the_pictures_above_its_folder(runner, cli, tmp_path,
                                                                      fmt):
    path = _home_with_a_stranger(tmp_path, fmt)
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-if", fmt, "-i", str(path), "-f", "coco", "-o",
                               str(out), "--save-images"])
    assert done.exit_code == 0, done.stderr
    assert [rel for rel in files_under(out) if not rel.startswith("annotations/")] == []
    assert re.search(r"lost +images +\d +not present in the input", done.stderr)


@pytest.mark.parametrize("fmt", sorted(STRANGERS))
def test_r1_show_never_embeds_the_pictures_above_a_single_files_folder(runner, cli, tmp_path,
                                                                       fmt):
    path = _home_with_a_stranger(tmp_path, fmt)
    items = len(STRANGERS[fmt][2])
    done = runner.invoke(cli, ["show", "-if", fmt, "-i", str(path), "-o",
                               str(tmp_path / "g.html"), "--embed-images"])
    assert done.exit_code == 0, done.stderr
    shown = f"{items} items" if items > 1 else "1 item "
    assert f"without a picture: {shown}" in done.stderr, done.stderr


def test_r1_the_dataset_folder_as_input_reads_its_images(runner, cli, tmp_path):
    """The way out the warning names: the dataset folder is the input, one file is read."""
    path = _home_with_a_stranger(tmp_path, "coco")
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-i", str(path.parent.parent), "--relpath",
                               "annotations/instances_Pictures.json", "-f", "coco", "-o",
                               str(out), "--save-images"])
    assert done.exit_code == 0, done.stderr
    assert sorted(rel for rel in files_under(out) if not rel.startswith("annotations/")) == [
        "images/Pictures/Pictures/me.jpg", "images/Pictures/images/me.jpg",
        "images/Pictures/me.jpg"]  # you.jpg is not in the dataset


# -- R2: a zip member inflating past the size its header declares -------------------------
def _lying_zip(path: Path, data: bytes, claimed: int,
               method: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip of one member ``a.json`` whose central directory claims ``claimed`` bytes."""
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("a.json", data)
    raw = bytearray(path.read_bytes())
    entry = raw.rindex(b"PK\x01\x02")
    raw[entry + 24:entry + 28] = claimed.to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(raw))
    return path


def test_r2_a_member_lying_about_its_size_is_never_inflated_past_it(tmp_path):
    """Was: ZipFile.read inflated all 60 MB of a 60 KB member claiming 100 bytes (300 MB
    from a 300 KB zip, 40 s in `detect`), and only then cut it to the claim."""
    path = _lying_zip(tmp_path / "bomb.zip", b" " * (60 << 20), 100)
    tree = ZipTree(str(path))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"bomb\.zip!a\.json: cannot read member \(Bad CRC"):
            tree.read_bytes("a.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak


def test_r2_the_cli_names_the_member_in_one_line(runner, cli, tmp_path):
    path = _lying_zip(tmp_path / "bomb.zip", b" " * (8 << 20), 100)
    done = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(path), "--relpath",
                               "a.json", "-f", "coco", "-o", str(tmp_path / "out")])
    one_error_line(done.stderr, done.exit_code, "bomb.zip!a.json: cannot read member")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                    zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
                         ids=["stored", "deflate", "bzip2", "lzma"])
def test_r2_honest_members_of_every_method_read_whole(tmp_path, method):
    data = json.dumps(coco_doc()).encode() + b" " * 300_000
    with zipfile.ZipFile(tmp_path / "ok.zip", "w", compression=method) as archive:
        archive.writestr("annotations/instances_default.json", data)
    # the single wrapping folder is looked through
    assert ZipTree(str(tmp_path / "ok.zip")).read_bytes("instances_default.json") == data


# -- R3: names one only by Unicode normalisation (one file on macOS) ------------------------
COMPOSED, DECOMPOSED = "caf\u00e9", "cafe\u0301"


def _two_normalisations(tmp_path: Path) -> Path:
    doc = coco_doc(images=[coco_image(id=1, file_name=f"{COMPOSED}.jpg"),
                           coco_image(id=2, file_name=f"{DECOMPOSED}.jpg")],
                   annotations=[coco_ann(id=1, image_id=1), coco_ann(id=2, image_id=2)])
    return write_coco(tmp_path / "in", {"instances_train": doc})


def test_r3_an_archive_warns_of_names_one_only_by_normalisation(runner, cli, tmp_path):
    out = tmp_path / "out.zip"
    done = runner.invoke(cli, ["convert", "-i", str(_two_normalisations(tmp_path)), "-f",
                               "yolo", "-o", str(out)])
    assert done.exit_code == 0, done.stderr
    assert "1 name(s) in the archive differ from another only by letter case or Unicode " \
           "normalisation" in done.stderr
    assert {f"labels/train/{COMPOSED}.txt", f"labels/train/{DECOMPOSED}.txt"} <= set(
        zipfile.ZipFile(out).namelist())


def test_r3_a_folder_on_a_normalising_file_system_is_refused(runner, cli, tmp_path,
                                                              monkeypatch):
    monkeypatch.setattr(casenames, "ignores_case", lambda folder: True)
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-i", str(_two_normalisations(tmp_path)), "-f",
                               "yolo", "-o", str(out)])
    one_error_line(done.stderr, done.exit_code, "or Unicode normalisation", "write a .zip")
    assert not out.exists()


def test_r3_the_probe_sees_a_file_system_that_normalises(tmp_path, monkeypatch):
    real = casenames.os.path.exists
    monkeypatch.setattr(casenames.os.path, "exists", lambda p: real(
        unicodedata.normalize("NFC", p)))  # APFS: a decomposed name finds the composed file
    assert casenames.ignores_case(str(tmp_path))


# -- R4: a LabelMe export of attributes that are lists or objects reads back ---------------
def test_r4_labelme_reads_back_the_list_and_object_attributes_it_writes(runner, cli,
                                                                        tmp_path):
    attributes = {"tags": [1, "two"], "meta": {"by": "x", "n": [3]}, "kind": "a"}
    doc = coco_doc(annotations=[coco_ann(attributes=attributes)])
    src = write_coco(tmp_path / "in", {"instances_default": doc})
    done = runner.invoke(cli, ["convert", "-i", str(src), "-f", "labelme", "-o",
                               str(tmp_path / "lm")])
    assert done.exit_code == 0, done.stderr
    back = runner.invoke(cli, ["convert", "-if", "labelme", "-i", str(tmp_path / "lm"), "-f",
                               "coco", "-o", str(tmp_path / "back")])
    assert back.exit_code == 0, back.stderr
    ann = json.loads((tmp_path / "back/annotations/instances_default.json").read_text())[
        "annotations"][0]
    assert ann["attributes"] == attributes


def test_r4_labelme_flags_stay_plain_values(runner, cli, tmp_path):
    shape = {"label": "a", "points": [[1, 1], [5, 5]], "shape_type": "rectangle",
             "flags": {"x": [1]}}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text(json.dumps({
        "version": "5.0.1", "flags": {}, "shapes": [shape], "imagePath": "a.jpg",
        "imageData": None, "imageHeight": 10, "imageWidth": 20}))
    done = runner.invoke(cli, ["convert", "-if", "labelme", "-i", str(tmp_path / "in"), "-f",
                               "coco", "-o", str(tmp_path / "out")])
    one_error_line(done.stderr, done.exit_code, "a.json", "'x' must be a plain value")


# -- R5: an exporter refuses a label name its own reader refuses (the output would not read
# back): YOLO wrote "a\nb" and "" into data.yaml, png_masks "" and "#b" (a comment line,
# shifting every later class) into labelmap.txt, LabelMe "" as a shape label -------------
@pytest.mark.parametrize("fmt, name, needle", [
    ("yolo", "cat\ntrain: /etc", "is empty or holds a line break"),
    ("yolo", "", "is empty or holds a line break"),
    ("png_masks", "#b", "starts with '#'"),
    ("png_masks", " ", "starts or ends with whitespace"),
    ("png_masks", "a\x00b", "holds a control character"),
    ("labelme", " ", "label ' ' is empty"),
], ids=["yolo-newline", "yolo-empty", "png-hash", "png-space", "png-nul", "labelme-blank"])
def test_r5_a_label_the_reader_refuses_is_refused_on_export(runner, cli, tmp_path, fmt, name,
                                                            needle):
    doc = coco_doc(categories=[{"id": 1, "name": name, "supercategory": ""}])
    src = write_coco(tmp_path / "in", {"instances_default": doc})
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-i", str(src), "-f", fmt, "-o", str(out)])
    one_error_line(done.stderr, done.exit_code, needle, "rename it with remap_labels")
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["yolo", "png_masks", "labelme"])
def test_r5_odd_names_the_reader_takes_still_read_back(runner, cli, tmp_path, fmt):
    names = ["a: b" if fmt != "png_masks" else "a b", "x#y", "\u00e9t\u00e9", "- item"]
    doc = coco_doc(categories=[{"id": k + 1, "name": n, "supercategory": ""}
                               for k, n in enumerate(names)],
                   annotations=[coco_ann(id=k + 1, category_id=k + 1) for k in range(4)])
    src = write_coco(tmp_path / "in", {"instances_default": doc})
    done = runner.invoke(cli, ["convert", "-i", str(src), "-f", fmt, "-o", str(tmp_path / "o")])
    assert done.exit_code == 0, done.stderr
    back = runner.invoke(cli, ["convert", "-if", fmt, "-i", str(tmp_path / "o"), "-f", "coco",
                               "-o", str(tmp_path / "back")])
    assert back.exit_code == 0, back.stderr
    read = json.loads(next((tmp_path / "back/annotations").glob("instances_*.json"))
                      .read_text())
    assert set(names) <= {c["name"] for c in read["categories"]}


# -- R6: YOLO labels of an id with an ``images`` folder go where Ultralytics looks --------
def test_r6_labels_of_an_id_under_an_images_folder_sit_where_ultralytics_reads_them(
        runner, cli, tmp_path):
    """Ultralytics reads an image's labels by swapping the last ``images`` folder of its
    path for ``labels``: for ``images/default/images/a.jpg`` that is
    ``images/default/labels/a.txt``. They were written to ``labels/default/images/a.txt``:
    Ultralytics saw the image unlabelled, and the read-back was an error."""
    doc = coco_doc(images=[coco_image(file_name="images/a.jpg", width=20, height=10)])
    src = write_coco(tmp_path / "in", {"instances_default": doc})
    (src / "images").mkdir()
    (src / "images" / "a.jpg").write_bytes(jpeg())
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-i", str(src), "-f", "yolo", "-o", str(out),
                               "--save-images"])
    assert done.exit_code == 0, done.stderr
    assert {"images/default/images/a.jpg", "images/default/labels/a.txt"} <= set(
        files_under(out))
    back = runner.invoke(cli, ["convert", "-if", "yolo", "-i", str(out), "-f", "coco", "-o",
                               str(tmp_path / "back")])
    assert back.exit_code == 0, back.stderr
    read = json.loads((tmp_path / "back/annotations/instances_default.json").read_text())
    assert [i["file_name"] for i in read["images"]] == ["images/a.jpg"]
    assert len(read["annotations"]) == 1


# -- R7: Label Studio data.image is a URL: names with % ? # are escaped, so they read back -
def test_r7_label_studio_image_names_with_url_characters_read_back(runner, cli, tmp_path):
    names = ["c%20d.jpg", "q?x.jpg", "h#1.jpg", "a b.jpg"]
    doc = coco_doc(images=[coco_image(id=k + 1, file_name=n) for k, n in enumerate(names)],
                   annotations=[coco_ann(id=k + 1, image_id=k + 1) for k in range(4)])
    src = write_coco(tmp_path / "in", {"instances_default": doc})
    out = tmp_path / "ls"
    done = runner.invoke(cli, ["convert", "-i", str(src), "-f", "label_studio", "-o",
                               str(out)])
    assert done.exit_code == 0, done.stderr
    images = [t["data"]["image"] for t in json.loads(next(out.glob("*.json")).read_text())]
    assert images == ["c%2520d.jpg", "q%3Fx.jpg", "h%231.jpg", "a b.jpg"]
    back = runner.invoke(cli, ["convert", "-if", "label_studio", "-i", str(out), "-f", "coco",
                               "-o", str(tmp_path / "back")])
    assert back.exit_code == 0, back.stderr
    read = json.loads((tmp_path / "back/annotations/instances_default.json").read_text())
    assert sorted(i["file_name"] for i in read["images"]) == sorted(names)


# -- R8: a mask limit on export names the item (and no "annotation None") ------------------
@pytest.mark.parametrize("fmt", ["coco", "segment_anything"])
def test_r8_a_huge_image_past_the_rle_limit_is_one_line_naming_the_item(runner, cli,
                                                                        tmp_path, fmt):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta>'
        '<task><labels><label><name>a</name><attributes/></label></labels></task></meta>\n'
        '<image id="0" name="big.jpg" width="100000" height="100000"><polygon label="a" '
        'occluded="0" points="1,1;50,1;50,50" z_order="0"></polygon></image></annotations>\n')
    done = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(tmp_path / "in"), "-f",
                               fmt, "-o", str(tmp_path / "out"), "--segmentation-mode", "mask"]
                         if fmt == "coco" else
                         ["convert", "-if", "cvat", "-i", str(tmp_path / "in"), "-f", fmt,
                          "-o", str(tmp_path / "out")])
    line = one_error_line(done.stderr, done.exit_code, "error: big: ",
                          "more than an RLE mask can describe")
    assert "None" not in line
    assert not (tmp_path / "out").exists()
