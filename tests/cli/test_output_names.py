"""Names an output cannot hold, and two things one output file would hold, through the CLI.

VOC list names (``<subset>.txt`` beside ``<class>_<subset>.txt``) and label map lines
(``name:r,g,b:parts:actions``), and COCO panoptic segment PNGs named after images: each
case is written so that it reads back (by us and, for VOC, by Datumaro's rule that a list
with ``_`` in its name is a class list), or refused with one line, never half-lost.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import files_under, read_json, voc_xml, write_voc


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def labels_doc(tagged: dict[str, str], names: list[str]) -> dict:
    """A COCO labels file: image ``file_name`` -> the label it is tagged with."""
    categories = [{"id": i, "name": name} for i, name in enumerate(names, 1)]
    images = [{"id": i, "file_name": f, "width": 16, "height": 16}
              for i, f in enumerate(tagged, 1)]
    annotations = [{"id": i, "image_id": i, "category_id": names.index(label) + 1}
                   for i, label in enumerate(tagged.values(), 1) if label]
    return {"images": images, "annotations": annotations, "categories": categories}


def write_labels(root: Path, files: dict[str, dict]) -> Path:
    (root / "annotations").mkdir(parents=True)
    for name, doc in files.items():
        (root / "annotations" / f"{name}.json").write_text(json.dumps(doc))
    return root


def convert(runner, cli, *args: str):
    return runner.invoke(cli, ["convert", *args])


def lists(root: Path) -> dict[str, str]:
    main = root / "ImageSets" / "Main"
    return {p.name: p.read_text() for p in sorted(main.iterdir())}


def tags_of(root: Path) -> dict[tuple[str, str], list[str]]:
    """``{(subset, file_name): [label names]}`` of a COCO labels output."""
    found = {}
    for path in sorted((root / "annotations").glob("labels_*.json")):
        doc = read_json(path)
        names = {c["id"]: c["name"] for c in doc["categories"]}
        subset = path.stem[len("labels_"):]
        for image in doc["images"]:
            found[(subset, image["file_name"])] = sorted(
                names[a["category_id"]] for a in doc["annotations"]
                if a["image_id"] == image["id"])
    return found


# -- F18: one list file for two (label, subset) pairs ---------------------------------------
def test_class_lists_of_two_label_subset_pairs_stay_apart(runner, cli, tmp_path):
    names = ["x_train", "x"]
    src = write_labels(tmp_path / "in", {
        "labels_train": labels_doc({"a.jpg": "x_train"}, names),
        "labels_train_train": labels_doc({"z.jpg": "x"}, names)})
    out = tmp_path / "v"
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "'train_train' as 'train-train'" in result.stderr
    assert lists(out) == {"train.txt": "a\n", "train-train.txt": "z\n",
                          "x_train.txt": "a -1\n", "x_train-train.txt": "z  1\n",
                          "x_train_train.txt": "a  1\n", "x_train_train-train.txt": "z -1\n"}
    back = tmp_path / "back"
    result = convert(runner, cli, "-i", str(out), "-f", "coco_labels", "-o", str(back))
    assert result.exit_code == 0, result.stderr
    assert tags_of(back) == {("train", "a.jpg"): ["x_train"],
                             ("train-train", "z.jpg"): ["x"]}


def test_subset_named_like_a_class_list_is_not_lost(runner, cli, tmp_path):
    names = ["cat"]
    src = write_labels(tmp_path / "in", {
        "labels_train": labels_doc({"a.jpg": "cat", "b.jpg": ""}, names),
        "labels_cat_train": labels_doc({"q.jpg": ""}, names)})
    out = tmp_path / "v"
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert lists(out) == {"train.txt": "a\nb\n", "cat-train.txt": "q\n",
                          "cat_train.txt": "a  1\nb -1\n", "cat_cat-train.txt": "q -1\n"}
    back = tmp_path / "back"
    result = convert(runner, cli, "-i", str(out), "-f", "coco_labels", "-o", str(back))
    assert result.exit_code == 0, result.stderr
    assert tags_of(back) == {("train", "a.jpg"): ["cat"], ("train", "b.jpg"): [],
                             ("cat-train", "q.jpg"): []}


def test_two_subsets_one_list_name_is_one_error_line(runner, cli, tmp_path):
    src = write_labels(tmp_path / "in", {
        "labels_a_b": labels_doc({"a.jpg": "cat"}, ["cat"]),
        "labels_a-b": labels_doc({"b.jpg": "cat"}, ["cat"])})
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(tmp_path / "v"))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "'a-b'" in lines[0] and "'a_b'" in lines[0]
    assert not (tmp_path / "v").exists()


def test_labels_sharing_a_name_are_one_labelmap_line(runner, cli, tmp_path):
    doc = labels_doc({"a.jpg": "cat"}, ["cat", "dog"])
    doc["categories"][1]["name"] = "cat"
    doc["annotations"].append({"id": 2, "image_id": 1, "category_id": 2})
    src = write_labels(tmp_path / "in", {"labels_train": doc})
    out = tmp_path / "v"
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "share a name" in result.stderr
    assert (out / "labelmap.txt").read_text().count("\ncat:") == 1
    result = convert(runner, cli, "-i", str(out), "-f", "coco", "-o", str(tmp_path / "b"))
    assert result.exit_code == 0, result.stderr


# -- F8: subset lists told from class lists on reading ----------------------------------------
BOX = ("<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"
       "<ymax>5</ymax></bndbox></object>")


@pytest.mark.parametrize("labelmap", [None, "# label:color_rgb:parts:actions\nhard:::\n"
                                      "cat:::\n"])
def test_subset_list_with_underscore_beside_its_tail_is_a_subset(runner, cli, tmp_path,
                                                                  labelmap):
    files = {"labelmap.txt": labelmap.encode()} if labelmap else {}
    src = write_voc(tmp_path / "in", {"a": voc_xml(BOX), "b": voc_xml(BOX)},
                    {"Main/val.txt": "a\n", "Main/hard_val.txt": "b\n"}, files)
    out = tmp_path / "back"
    result = convert(runner, cli, "-i", str(src), "-f", "coco", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert files_under(out / "annotations") == ["instances_hard_val.json",
                                                "instances_val.json"]
    assert [i["file_name"] for i in read_json(out / "annotations/instances_hard_val.json")
            ["images"]] == ["b.jpg"]


def test_a_known_class_list_with_a_bad_line_is_still_an_error(runner, cli, tmp_path):
    src = write_voc(tmp_path / "in", {"a": voc_xml(BOX), "b": voc_xml(BOX)},
                    {"Main/train.txt": "a\nb\n", "Main/cat_train.txt": "a  1\nb\n"})
    result = convert(runner, cli, "-i", str(src), "-f", "coco", "-o", str(tmp_path / "o"))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert lines[0].endswith("cat_train.txt: line 2: expected '<id> 1|-1|0', got 'b'")


def test_voc_export_with_val_and_hard_val_reads_back(runner, cli, tmp_path):
    xml = ('<annotations><version>1.1</version><meta><project><labels><label><name>cat'
           '</name></label></labels></project></meta>'
           '<image id="0" name="a.jpg" subset="val" width="16" height="16">'
           '<box label="cat" xtl="1" ytl="1" xbr="5" ybr="5" occluded="0"/></image>'
           '<image id="1" name="b.jpg" subset="hard_val" width="16" height="16">'
           '<box label="cat" xtl="2" ytl="2" xbr="6" ybr="6" occluded="0"/></image>'
           '</annotations>')
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.xml").write_text(xml)
    voc = tmp_path / "v"
    result = convert(runner, cli, "-i", str(tmp_path / "in"), "-f", "voc", "-o", str(voc))
    assert result.exit_code == 0, result.stderr
    back = tmp_path / "back"
    result = convert(runner, cli, "-i", str(voc), "-f", "coco", "-o", str(back))
    assert result.exit_code == 0, result.stderr
    assert files_under(back / "annotations") == ["instances_hard-val.json",
                                                 "instances_val.json"]


# -- F17: label names a label map cannot hold ----------------------------------------------
BAD_NAMES = ["a:b", "new\nline", "#c", "tab\tx", "255:0:0", "nul\x00"]


def names_doc(names: list[str]) -> dict:
    return {"images": [{"id": 1, "file_name": "a.jpg", "width": 16, "height": 16}],
            "annotations": [{"id": i, "image_id": 1, "category_id": i, "bbox": [1, 1, 4, 4],
                             "area": 16, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5]]}
                            for i in range(1, len(names) + 1)],
            "categories": [{"id": i, "name": n} for i, n in enumerate(names, 1)]}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_label_name_voc_cannot_hold_is_one_error_line(runner, cli, tmp_path, name):
    src = tmp_path / "in.json"
    src.write_text(json.dumps(names_doc(["ok", name])))
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(tmp_path / "v"))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: label "), result.stderr
    assert repr(name) in lines[0]
    assert not (tmp_path / "v").exists()


def test_under_warn_such_labels_are_dropped_and_counted(runner, cli, tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps(names_doc(["ok"] + BAD_NAMES)))
    out = tmp_path / "v"
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(out),
                     "--on-error", "warn")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: skipped: label ") == len(BAD_NAMES)
    assert "annotations of labels not in the label map" in result.stderr
    report = result.stderr[result.stderr.index("conversion report:"):]
    assert "'new\\nline'" in report and "'nul\\x00'" in report and "\x00" not in report
    assert (out / "labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nok:128,0,0::\n"
        "ignored:224,224,192::\n")
    back = tmp_path / "back"
    result = convert(runner, cli, "-i", str(out), "-f", "coco", "-o", str(back))
    assert result.exit_code == 0, result.stderr
    doc = read_json(back / "annotations/instances_default.json")
    assert [c["name"] for c in doc["categories"]] == ["background", "ok"]


def test_an_action_name_that_is_not_an_xml_tag_is_refused(runner, cli, tmp_path):
    labelmap = tmp_path / "labelmap.txt"
    labelmap.write_text("person:::jump ing\n")
    src = tmp_path / "in.json"
    src.write_text(json.dumps(names_doc(["person"])))
    result = convert(runner, cli, "-i", str(src), "-f", "voc", "-o", str(tmp_path / "v"),
                     "--label-map", str(labelmap))
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("error: action 'jump ing' of label 'person' ")


# -- F19: COCO panoptic segment PNG names ---------------------------------------------------
def instances(file_names: list[str]) -> dict:
    images = [{"id": i, "file_name": f, "width": 16, "height": 16}
              for i, f in enumerate(file_names, 1)]
    anns = [{"id": i, "image_id": i, "category_id": 1, "bbox": [1, 1, 3 + i, 3 + i],
             "area": 9.0, "iscrowd": 0, "segmentation": [[1, 1, 4 + i, 1, 4 + i, 4 + i]]}
            for i in range(1, len(file_names) + 1)]
    return {"images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "c", "isthing": 1}]}


def panoptic_pngs(out: Path) -> dict[str, str]:
    """``{image file_name: its PNG's path}``, checking every PNG named exists."""
    doc = read_json(out / "annotations/panoptic_default.json")
    names = {i["id"]: i["file_name"] for i in doc["images"]}
    found = {names[a["image_id"]]: a["file_name"] for a in doc["annotations"]}
    for png in found.values():
        assert (out / "annotations/panoptic_default" / png).is_file()
    return found


def test_panoptic_pngs_keep_folders_and_never_share_a_file(runner, cli, tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps(instances(["sub/ok.jpg", "sub_ok.jpg", "sub\\deep.jpg"])))
    out = tmp_path / "p"
    result = convert(runner, cli, "-i", str(src), "-f", "coco_panoptic", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert panoptic_pngs(out) == {"sub/ok.jpg": "sub/ok.png", "sub_ok.jpg": "sub_ok.png",
                                  "sub\\deep.jpg": "sub/deep.png"}
    back = tmp_path / "back"
    result = convert(runner, cli, "-i", str(out), "-f", "coco_panoptic", "-o", str(back))
    assert result.exit_code == 0, result.stderr
    assert panoptic_pngs(back) == panoptic_pngs(out)
    for png in panoptic_pngs(out).values():
        assert (back / "annotations/panoptic_default" / png).read_bytes() == \
            (out / "annotations/panoptic_default" / png).read_bytes()


def test_a_generated_panoptic_name_taken_by_a_source_name_moves_and_is_reported(
        runner, cli, tmp_path):
    src = tmp_path / "in"
    (src / "annotations" / "panoptic_default").mkdir(parents=True)
    first = tmp_path / "first"
    (tmp_path / "one.json").write_text(json.dumps(instances(["a.jpg"])))
    result = convert(runner, cli, "-i", str(tmp_path / "one.json"), "-f", "coco_panoptic",
                     "-o", str(first))
    assert result.exit_code == 0, result.stderr
    panoptic = read_json(first / "annotations/panoptic_default.json")
    panoptic["annotations"][0]["file_name"] = "b.png"  # image a's PNG is named b.png
    (src / "annotations/panoptic_default/b.png").write_bytes(
        (first / "annotations/panoptic_default/a.png").read_bytes())
    (src / "annotations/panoptic_default.json").write_text(json.dumps(panoptic))
    both = instances(["a.jpg", "b.jpg"])
    both["categories"] = panoptic["categories"]
    (src / "annotations/instances_default.json").write_text(json.dumps(both))
    out = tmp_path / "p"
    result = convert(runner, cli, "-i", str(src), "-f", "coco_panoptic", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "would share a segment PNG" in result.stderr
    assert panoptic_pngs(out) == {"a.jpg": "b.png", "b.jpg": "b-2.png"}
    assert (out / "annotations/panoptic_default/b.png").read_bytes() == \
        (src / "annotations/panoptic_default/b.png").read_bytes()


# -- F21: a layout part named like its object ----------------------------------------------
def test_a_part_named_like_its_object_stays_a_part_through_coco(runner, cli, tmp_path):
    def box(x0: int, x1: int) -> str:
        return (f"<bndbox><xmin>{x0}</xmin><ymin>{x0}</ymin><xmax>{x1}</xmax>"
                f"<ymax>{x1}</ymax></bndbox>")
    person = (f"<object><name>person</name>{box(10, 90)}"
              f"<part><name>head</name>{box(20, 30)}</part>"
              f"<part><name>person</name>{box(40, 50)}</part></object>")
    src = write_voc(tmp_path / "in", {"a": voc_xml(person, size="<size><width>100</width>"
                                                   "<height>100</height></size>")},
                    {"Main/train.txt": "a\n", "Layout/train.txt": "a\n"})
    coco, voc = tmp_path / "c", tmp_path / "v"
    for args in (["-i", str(src), "-f", "coco", "-o", str(coco)],
                 ["-i", str(coco), "-f", "voc", "-o", str(voc)]):
        result = convert(runner, cli, *args)
        assert result.exit_code == 0, result.stderr
    xml = (voc / "Annotations/a.xml").read_text()
    assert xml.count("<object>") == 1
    assert xml.count("<part>") == 2 and "<name>person</name>\n      <bndbox>" in xml
    assert "layout_part" not in xml


def test_voc_detection_does_not_fail_on_a_class_list_it_does_not_read(runner, cli, tmp_path):
    src = write_voc(tmp_path / "in", {"a": voc_xml(BOX), "b": voc_xml(BOX)},
                    {"Main/train.txt": "a\nb\n", "Main/cat_train.txt": "a  1\nb\n"})
    out = tmp_path / "o"
    result = convert(runner, cli, "-if", "voc_detection", "-i", str(src), "-f", "coco",
                     "-o", str(out))
    assert result.exit_code == 0, result.stderr
    doc = read_json(out / "annotations/instances_train.json")
    assert [i["file_name"] for i in doc["images"]] == ["a.jpg", "b.jpg"]
