"""New-user flows on hand-built data (not the shared fixtures): what a Datumaro/CVAT user does
first, checked end to end through the CLI.
The tests under "bugs found by hand" were written failing, one per bug, and pass since the
fixes landed.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import cococonv
from cococonv.registry import default_registry
from cococonv.report import Report

BIG = 2 ** 40


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def run(runner, cli, *args: str, input: bytes | None = None, code: int = 0):
    result = runner.invoke(cli, list(args), input=input)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def jpeg(path: Path, w: int, h: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (w, h), (10, 20, 30)).save(path)


# -- inputs -------------------------------------------------------------------------------

def cvat_coco_doc() -> dict:
    """Like CVAT's COCO 1.0 export: attributes{} with occluded/rotation, empty info fields."""
    return {
        "licenses": [{"name": "", "id": 0, "url": ""}],
        "info": {"contributor": "", "date_created": "", "description": "", "url": "",
                 "version": "", "year": ""},
        "categories": [{"id": 1, "name": "car", "supercategory": ""},
                       {"id": 5, "name": "person", "supercategory": ""},
                       {"id": 7, "name": "tree", "supercategory": "plant"}],
        "images": [
            {"id": BIG, "width": 64, "height": 48, "file_name": "café/çà.jpg", "license": 0,
             "flickr_url": "", "coco_url": "", "date_captured": 0},
            {"id": 3, "width": 32, "height": 24, "file_name": "my folder/a b.jpg",
             "license": 0, "flickr_url": "", "coco_url": "", "date_captured": 0}],
        "annotations": [
            {"id": BIG + 1, "image_id": BIG, "category_id": 1,
             "segmentation": [[10.5, 10.25, 30.1, 10.25, 30.1, 20.7, 10.5, 20.7]],
             "area": 205.66, "bbox": [10.5, 10.25, 19.6, 10.45], "iscrowd": 0,
             "attributes": {"occluded": False, "rotation": 0.0, "color": "red", "count": 3,
                            "score2": 0.1, "parked": True}},
            {"id": 11, "image_id": BIG, "category_id": 5, "segmentation": [], "area": 79.12,
             "bbox": [1.0, 2.0, 7.91, 10.0], "iscrowd": 0,
             "attributes": {"occluded": True, "rotation": 0.0}},
            {"id": 12, "image_id": 3, "category_id": 7,
             "segmentation": {"size": [24, 32], "counts": [123, 4, 20, 4, 20, 4, 593]},
             "area": 12, "bbox": [5, 3, 3, 4], "iscrowd": 0, "attributes": {"occluded": False}},
        ]}


@pytest.fixture
def cvat_coco(tmp_path: Path) -> Path:
    root = tmp_path / "cvat_coco"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations/instances_default.json").write_text(
        json.dumps(cvat_coco_doc(), ensure_ascii=False), encoding="utf-8")
    jpeg(root / "images/café/çà.jpg", 64, 48)
    jpeg(root / "images/my folder/a b.jpg", 32, 24)
    return root


def keypoints_doc() -> dict:
    """person_keypoints_val2017 layout: an uncompressed crowd RLE, num_keypoints 0 people,
    a v=0 point with coordinates, a keypoint-only object with an empty bbox."""
    m = np.zeros((427, 640), np.uint8)
    m[100:150, 200:260] = 1
    flat = m.flatten(order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    counts = [int(c) for c in np.diff(edges)]
    kp = [0] * 51
    kp[0:9] = [142, 309, 1, 177, 320, 2, 10.5, 20.25, 0]
    names = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
             "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
    return {
        "info": {"description": "COCO 2017 Dataset", "year": 2017},
        "licenses": [{"url": "http://x", "id": 4, "name": "L"}],
        "images": [{"license": 4, "file_name": "000000397133.jpg", "height": 427, "width": 640,
                    "date_captured": "2013-11-14 17:02:52", "id": 397133},
                   {"license": 4, "file_name": "000000037777.jpg", "height": 230, "width": 352,
                    "id": 37777}],
        "annotations": [
            {"segmentation": [[125.12, 539.69, 140.94, 522.43, 100.67, 496.54]],
             "num_keypoints": 3, "area": 47803.27955, "iscrowd": 0, "keypoints": kp,
             "image_id": 397133, "bbox": [73.35, 206.02, 300.58, 372.5], "category_id": 1,
             "id": 200887},
            {"segmentation": {"counts": counts, "size": [427, 640]}, "num_keypoints": 0,
             "area": 3000, "iscrowd": 1, "keypoints": [0] * 51, "image_id": 397133,
             "bbox": [200, 100, 60, 50], "category_id": 1, "id": 900100000397133},
            {"segmentation": [], "num_keypoints": 2, "area": 0, "iscrowd": 0,
             "keypoints": [5, 6, 2, 7, 8, 1] + [0] * 45, "image_id": 37777,
             "bbox": [0, 0, 0, 0], "category_id": 1, "id": 5}],
        "categories": [{"supercategory": "person", "id": 1, "name": "person", "keypoints": names,
                        "skeleton": [[16, 14], [14, 12], [6, 7], [1, 2]]}]}


@pytest.fixture
def keypoints(tmp_path: Path) -> Path:
    root = tmp_path / "kp"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations/person_keypoints_val2017.json").write_text(json.dumps(keypoints_doc()))
    return root


@pytest.fixture
def voc_dm(tmp_path: Path) -> Path:
    """Datumaro-style VOC: labelmap.txt with parts and actions, a nested item id, palette
    masks with a void border, two subsets."""
    root = tmp_path / "voc"
    (root / "ImageSets/Main").mkdir(parents=True)
    (root / "ImageSets/Segmentation").mkdir(parents=True)
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
                                       "cat:64,0,0::\ndog:0,128,0:head:jumping\n"
                                       "my label:10,20,30::\n")
    palette = [0, 0, 0, 64, 0, 0, 0, 128, 0, 10, 20, 30] + [0] * (3 * 252)
    palette[255 * 3:255 * 3 + 3] = [224, 224, 192]
    for item, subset in (("2007_000001", "train"), ("dir/2007_000002", "val")):
        xml = root / "Annotations" / f"{item}.xml"
        xml.parent.mkdir(parents=True, exist_ok=True)
        xml.write_text(
            f"<annotation><filename>{item.split('/')[-1]}.jpg</filename><size><width>50</width>"
            "<height>40</height><depth>3</depth></size><segmented>1</segmented>"
            "<object><name>cat</name><pose>Left</pose><truncated>1</truncated>"
            "<difficult>0</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>20.5</xmax>"
            "<ymax>15</ymax></bndbox><attributes><attribute><name>age</name><value>3</value>"
            "</attribute></attributes></object>"
            "<object><name>dog</name><bndbox><xmin>21</xmin><ymin>5</ymin><xmax>50</xmax>"
            "<ymax>40</ymax></bndbox><part><name>head</name><bndbox><xmin>22</xmin>"
            "<ymin>6</ymin><xmax>30</xmax><ymax>12</ymax></bndbox></part>"
            "<actions><jumping>1</jumping></actions></object>"
            "<object><name>my label</name><bndbox><xmin>2</xmin><ymin>20</ymin><xmax>10</xmax>"
            "<ymax>30</ymax></bndbox></object></annotation>")
        jpeg(root / "JPEGImages" / f"{item}.jpg", 50, 40)
        arr = np.zeros((40, 50), np.uint8)
        arr[0:15, 0:20] = 1
        arr[4:40, 20:50] = 2
        arr[15, :] = 255
        for folder in ("SegmentationClass", "SegmentationObject"):
            png = PILImage.fromarray(arr, "P")
            png.putpalette(palette)
            path = root / folder / f"{item}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            png.save(path)
        for lists in ("Main", "Segmentation"):
            with open(root / "ImageSets" / lists / f"{subset}.txt", "a") as fh:
                fh.write(item + "\n")
    return root


CVAT_PROJECT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <project>
      <id>7</id>
      <name>proj é</name>
      <labels>
        <label>
          <name>car</name>
          <color>#ff0000</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>parked</name>
              <mutable>False</mutable>
              <input_type>checkbox</input_type>
              <default_value>false</default_value>
              <values>false
true</values>
            </attribute>
            <attribute>
              <name>speed</name>
              <mutable>True</mutable>
              <input_type>number</input_type>
              <default_value>0</default_value>
              <values>0
200
0.5</values>
            </attribute>
          </attributes>
        </label>
        <label>
          <name>road</name>
          <color>#333333</color>
          <type>any</type>
          <attributes></attributes>
        </label>
      </labels>
      <subsets>Train
Validation</subsets>
    </project>
  </meta>
  <image id="0" name="sub/café ü.jpg" subset="Train" task_id="11" width="60" height="40">
    <box label="car" source="manual" occluded="1" xtl="1.5" ytl="2.25" xbr="30" ybr="20.75" z_order="1" group_id="3">
      <attribute name="parked">true</attribute>
      <attribute name="speed">12.5</attribute>
    </box>
    <polygon label="road" source="manual" occluded="0" points="0,30;59,30;59,39;0,39" z_order="0">
    </polygon>
    <ellipse label="car" source="manual" occluded="0" cx="40" cy="10" rx="5" ry="3" rotation="10" z_order="2">
      <attribute name="parked">false</attribute>
      <attribute name="speed">0</attribute>
    </ellipse>
    <mask label="road" source="semi-auto" occluded="0" rle="3, 2, 1, 4, 2" left="10" top="10" width="3" height="4" z_order="0">
    </mask>
    <tag label="road" source="manual">
    </tag>
  </image>
  <image id="1" name="b.jpg" subset="Validation" task_id="12" width="20" height="10">
    <box label="car" source="manual" occluded="0" xtl="0" ytl="0" xbr="5" ybr="5" z_order="0">
      <attribute name="parked">false</attribute>
      <attribute name="speed">3</attribute>
    </box>
  </image>
</annotations>
"""


@pytest.fixture
def cvat_project(tmp_path: Path) -> Path:
    root = tmp_path / "cvat_proj"
    root.mkdir()
    (root / "annotations.xml").write_text(CVAT_PROJECT, encoding="utf-8")
    jpeg(root / "images/Train/sub/café ü.jpg", 60, 40)
    jpeg(root / "images/Validation/b.jpg", 20, 10)
    return root


def coco_one(root: Path, name: str, image_id: int, cat: str, box: list) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "instances_default.json").write_text(json.dumps({
        "images": [{"id": image_id, "file_name": "x.jpg", "width": 10, "height": 10}],
        "annotations": [{"id": 1, "image_id": image_id, "category_id": 1, "bbox": box,
                         "area": 4, "iscrowd": 0, "segmentation": []}],
        "categories": [{"id": 1, "name": cat}]}))
    return folder


# -- COCO ---------------------------------------------------------------------------------

def test_cvat_style_coco_round_trip_keeps_every_value_and_big_ids(runner, cli, cvat_coco,
                                                                   tmp_path):
    before = digest(cvat_coco)
    out = tmp_path / "out"
    result = run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(out))
    assert result.stdout == "" and result.stderr.startswith("wrote 2 items, ")
    doc = json.loads((out / "annotations/instances_default.json").read_text(encoding="utf-8"))
    src = cvat_coco_doc()
    assert doc["images"] == src["images"] and doc["categories"] == src["categories"]
    assert doc["info"] == src["info"] and doc["licenses"] == src["licenses"]
    assert sorted(doc["annotations"], key=lambda a: a["id"]) == \
        sorted(src["annotations"], key=lambda a: a["id"])
    raw = (out / "annotations/instances_default.json").read_text(encoding="utf-8")
    assert "79.12" in raw and "1099511627777" in raw  # no float widening, no id loss
    assert digest(cvat_coco) == before


def test_stdin_to_stdout_pipeline_prints_only_json(runner, cli, cvat_coco):
    data = (cvat_coco / "annotations/instances_default.json").read_bytes()
    result = run(runner, cli, "convert", "-if", "coco_instances", "-i", "-",
                 "-f", "coco_instances", "-o", "-", input=data)
    doc = json.loads(result.stdout)
    assert [i["id"] for i in doc["images"]] == [BIG, 3]
    assert result.stderr.startswith("wrote 2 items, ") and result.stderr.count("\n") == 1


def test_keypoints_round_trip_is_exact(runner, cli, keypoints, tmp_path):
    out = tmp_path / "out"
    run(runner, cli, "convert", "-i", str(keypoints), "-f", "coco", "-o", str(out))
    doc = json.loads((out / "annotations/person_keypoints_val2017.json").read_text())
    assert doc == keypoints_doc()


def test_keypoints_through_cvat_keep_points_visibility_skeleton_and_crowd(runner, cli, keypoints,
                                                                         tmp_path):
    xml = tmp_path / "kp.xml"
    result = run(runner, cli, "convert", "-i", str(keypoints), "-f", "cvat", "-o", str(xml))
    assert "annotation ids" in result.stderr
    out = tmp_path / "back"
    run(runner, cli, "convert", "-if", "cvat", "-i", str(xml), "-f", "coco", "-o", str(out))
    doc = json.loads((out / "annotations/person_keypoints_val2017.json").read_text())
    src = keypoints_doc()
    assert doc["categories"][0]["keypoints"] == src["categories"][0]["keypoints"]
    assert doc["categories"][0]["skeleton"] == src["categories"][0]["skeleton"]
    by_kp = [a["keypoints"] for a in doc["annotations"]]
    assert [142, 309, 1, 177, 320, 2, 10.5, 20.25, 0] == by_kp[0][:9]  # v=0 keeps x, y
    assert [a["iscrowd"] for a in doc["annotations"]] == [0, 1, 0]
    assert len(doc["annotations"]) == 3  # the keypoint-only object with an empty bbox too


def test_string_image_ids_are_kept(runner, cli, tmp_path):
    src = {"images": [{"id": "img_a", "file_name": "a.jpg", "width": 10, "height": 10}],
           "annotations": [{"id": 1, "image_id": "img_a", "category_id": 1, "bbox": [1, 1, 2, 2],
                            "area": 4, "iscrowd": 0, "segmentation": []}],
           "categories": [{"id": 1, "name": "x"}]}
    path = tmp_path / "instances_default.json"
    path.write_text(json.dumps(src))
    result = run(runner, cli, "convert", "-i", str(path), "-f", "coco_instances", "-o", "-")
    doc = json.loads(result.stdout)
    assert doc["images"][0]["id"] == "img_a" and doc["annotations"][0]["image_id"] == "img_a"


def test_bad_rle_fails_with_one_line_and_is_skipped_with_warn(runner, cli, tmp_path):
    doc = cvat_coco_doc()
    doc["annotations"][2]["segmentation"]["counts"] = [123, 4, 20, 4, 20, 4, 585]
    path = tmp_path / "instances_default.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out"
    result = run(runner, cli, "convert", "-i", str(path), "-f", "coco", "-o", str(out), code=1)
    assert result.stderr.strip().splitlines() == [
        "error: instances_default.json: annotations[2].segmentation: RLE counts sum to 760, "
        "expected height*width = 768"]
    assert not out.exists()
    result = run(runner, cli, "convert", "-i", str(path), "-f", "coco", "-o", str(out),
                 "--on-error", "warn", "--json")
    report = json.loads(result.stdout)
    assert len(report["skipped"]) == 1 and "annotations[2]" in report["skipped"][0]


def test_options_after_double_dash_and_boolean_words(runner, cli, cvat_coco, tmp_path):
    out = tmp_path / "out"
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(out),
        "--", "--reindex", "true", "--tasks", "instances")
    doc = json.loads((out / "annotations/instances_default.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in doc["images"]] == [1, 2]
    assert [c["id"] for c in doc["categories"]] == [1, 2, 3]


def test_zip_output_with_images_reimports(runner, cli, cvat_coco, tmp_path):
    archive = tmp_path / "out.zip"
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(archive),
        "--save-images")
    names = sorted(zipfile.ZipFile(archive).namelist())
    assert "images/default/café/çà.jpg" in names and "images/default/my folder/a b.jpg" in names
    result = run(runner, cli, "info", "-i", str(archive), "--json")
    assert json.loads(result.stdout)["items"] == 2


def test_wrong_command_lines_exit_2_and_existing_output_exits_1(runner, cli, cvat_coco,
                                                                tmp_path):
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "nope", "-o", str(tmp_path / "x"),
        code=2)
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(tmp_path / "x"),
        "--segmentation-mode", "weird", code=2)
    (tmp_path / "full").mkdir()
    (tmp_path / "full/keep.txt").write_text("x")
    result = run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco",
                 "-o", str(tmp_path / "full"), code=1)
    assert "--overwrite" in result.stderr
    assert (tmp_path / "full/keep.txt").read_text() == "x"


def test_python_api_and_cli_agree_on_defaults(cvat_coco, tmp_path, runner, cli):
    cococonv.convert(str(cvat_coco), str(tmp_path / "py"), output_format="coco",
                     report=Report(quiet=True))
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(tmp_path / "cli"))
    assert digest(tmp_path / "py") == digest(tmp_path / "cli")


# -- VOC ----------------------------------------------------------------------------------

def test_voc_to_voc_keeps_boxes_masks_and_labelmap(runner, cli, voc_dm, tmp_path):
    before = digest(voc_dm)
    out = tmp_path / "out"
    run(runner, cli, "convert", "-i", str(voc_dm), "-f", "voc", "-o", str(out))
    # kept, plus the void colour's name Datumaro needs to read the masks
    assert (out / "labelmap.txt").read_text() == (voc_dm / "labelmap.txt").read_text() + \
        "ignored:224,224,192::\n"
    for png in ("SegmentationClass/2007_000001.png", "SegmentationObject/dir/2007_000002.png"):
        assert np.array_equal(np.array(PILImage.open(voc_dm / png)),
                              np.array(PILImage.open(out / png)))
    assert (out / "ImageSets/Main/val.txt").read_text() == "dir/2007_000002\n"
    assert digest(voc_dm) == before


def test_voc_coco_voc_keeps_instance_numbers_and_object_order(runner, cli, voc_dm, tmp_path):
    """Fixed: the VOC exporter wrote box-only objects before mask objects, so a COCO mask
    annotation listed first became instance 3 instead of 1 in SegmentationObject."""
    coco = tmp_path / "coco"
    run(runner, cli, "convert", "-i", str(voc_dm), "-f", "coco", "-o", str(coco),
        "--void-regions", "crowd")
    back = tmp_path / "back"
    run(runner, cli, "convert", "-i", str(coco), "-f", "voc", "-o", str(back))
    for png in ("SegmentationClass/2007_000001.png", "SegmentationObject/2007_000001.png"):
        assert np.array_equal(np.array(PILImage.open(voc_dm / png)),
                              np.array(PILImage.open(back / png))), png
    xml = (back / "Annotations/2007_000001.xml").read_text()
    names = [line.strip()[6:-7] for line in xml.splitlines()
             if line.startswith("    <name>")]
    assert names[:2] == ["cat", "dog"]


def test_voc_coordinate_mode_reaches_convert(runner, cli, voc_dm, tmp_path):
    boxes = {}
    for mode in ("one-based", "zero-based"):
        out = tmp_path / mode
        run(runner, cli, "convert", "-i", str(voc_dm), "-f", "coco_instances", "-o", str(out),
            "--", "--coordinate-mode", mode)
        doc = json.loads((out / "annotations/instances_train.json").read_text())
        boxes[mode] = [a["bbox"] for a in doc["annotations"]]
    assert boxes["one-based"][0] == [0, 0, 19.5, 14]
    assert boxes["zero-based"][0] == [1, 1, 19.5, 14]


def test_keep_original_category_ids_makes_voc_mask_indices_equal_coco_ids(runner, cli,
                                                                          cvat_coco, tmp_path):
    """Fixed: the placeholder label at index 0 plus VOC's background shifted every index."""
    out = tmp_path / "voc"
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "voc_segmentation", "-o", str(out),
        "--keep-original-category-ids")
    mask = np.array(PILImage.open(out / "SegmentationClass/my folder/a b.png"))
    assert set(np.unique(mask)) == {0, 7}  # 'tree' has COCO id 7
    lines = (out / "labelmap.txt").read_text().splitlines()
    assert lines[1].startswith("background:") and lines[2].startswith("car:")


def test_voc_does_not_write_geometry_rotation_as_a_custom_attribute(runner, cli, cvat_coco,
                                                                   cvat_project, tmp_path):
    """Fixed: CVAT-COCO's "rotation": 0.0 on boxes and an ellipse's rotation were written as
    <attribute><name>rotation</name> in VOC."""
    out = tmp_path / "from_coco"
    run(runner, cli, "convert", "-i", str(cvat_coco), "-f", "voc", "-o", str(out))
    xml = (out / "Annotations/café/çà.xml").read_text(encoding="utf-8")
    person = xml[xml.index("<name>person</name>"):]
    person = person[:person.index("</object>")]
    assert "rotation" not in person
    out = tmp_path / "from_cvat"
    run(runner, cli, "convert", "-i", str(cvat_project), "-f", "voc", "-o", str(out))
    xml = (out / "Annotations/sub/café ü.xml").read_text(encoding="utf-8")
    assert "<name>rotation</name>" not in xml


def test_voc_bad_xml_error_and_skip(runner, cli, voc_dm, tmp_path):
    (voc_dm / "Annotations/2007_000001.xml").write_text("<annotation><object>")
    result = run(runner, cli, "convert", "-i", str(voc_dm), "-f", "coco",
                 "-o", str(tmp_path / "o"), code=1)
    assert result.stderr.startswith("error: Annotations/2007_000001.xml: line ")
    assert not (tmp_path / "o").exists()
    result = run(runner, cli, "convert", "-i", str(voc_dm), "-f", "coco",
                 "-o", str(tmp_path / "o"), "--on-error", "skip")
    assert "skipped" in result.stderr


# -- CVAT ---------------------------------------------------------------------------------

def test_cvat_project_round_trip_keeps_subsets_attributes_and_images(runner, cli, cvat_project,
                                                                     tmp_path):
    out = tmp_path / "out"
    run(runner, cli, "convert", "-i", str(cvat_project), "-f", "cvat", "-o", str(out),
        "--save-images")
    assert (out / "images/Train/sub/café ü.jpg").is_file()
    assert (out / "images/Validation/b.jpg").is_file()
    before = cococonv.load(str(cvat_project), "cvat", report=Report(quiet=True))
    after = cococonv.load(str(out), "cvat", report=Report(quiet=True))
    assert [(i.subset, i.id) for i in before] == [(i.subset, i.id) for i in after]
    for a, b in zip(before, after):
        assert [(type(x).__name__, x.attributes, x.z_order, x.group) for x in a.annotations] == \
            [(type(x).__name__, x.attributes, x.z_order, x.group) for x in b.annotations]
    box = next(iter(after)).annotations[0]
    assert box.attributes == {"occluded": True, "parked": True, "speed": 12.5}


def test_cvat_project_to_coco_writes_one_file_per_subset_and_reports_losses(
        runner, cli, cvat_project, tmp_path):
    out = tmp_path / "coco"
    result = run(runner, cli, "convert", "-i", str(cvat_project), "-f", "coco", "-o", str(out),
                 "--json")
    report = json.loads(result.stdout)
    assert {a["what"] for a in report["approximated"]} == {"ellipses"}
    files = sorted(p.name for p in (out / "annotations").iterdir())
    assert files == ["instances_Train.json", "instances_Validation.json", "labels_Train.json"]


def test_cvat_zip_with_a_wrapping_folder_is_read(runner, cli, cvat_project, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(cvat_project / "annotations.xml", "task/annotations.xml")
        zf.write(cvat_project / "images/Validation/b.jpg", "task/images/Validation/b.jpg")
    result = run(runner, cli, "detect", str(archive))
    assert result.stdout.split()[0] == "cvat"
    result = run(runner, cli, "info", "-i", str(archive), "--json")
    assert json.loads(result.stdout)["items"] == 2


def test_cvat_export_reports_lost_coco_image_ids(cvat_coco, tmp_path):
    dataset = cococonv.load(str(cvat_coco), "coco", report=Report(quiet=True))
    report = cococonv.save(dataset, "cvat", str(tmp_path / "out"), report=Report(quiet=True))
    assert any("image" in what for what, _why in report.losses)


# -- projects and merging -------------------------------------------------------------------

def test_project_create_import_export(runner, cli, cvat_coco, cvat_project, tmp_path):
    project = tmp_path / "proj"
    run(runner, cli, "create", "-o", str(project))
    run(runner, cli, "import", "-p", str(project), str(cvat_coco))
    run(runner, cli, "import", "-p", str(project), "-f", "cvat", str(cvat_project))
    conf = json.loads((project / "cococonv-project.json").read_text())
    assert [s["format"] for s in conf["sources"]] == ["coco", "cvat"]
    out = tmp_path / "out"
    run(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out))
    doc = json.loads((out / "annotations/instances_default.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in doc["categories"]] == [1, 5, 7]  # the COCO source's ids kept
    assert doc["images"][0]["id"] == BIG


def export_merged_project(runner, cli, tmp_path, *sources, verbose=False):
    """Create a project, import each source, export it as COCO instances to stdout."""
    project = tmp_path / "proj"
    run(runner, cli, "create", "-o", str(project))
    for source in sources:
        run(runner, cli, "import", "-p", str(project), str(source))
    return run(runner, cli, "export", "-p", str(project), "-f", "coco_instances", "-o", "-",
               *(["-v"] if verbose else []))


def test_project_merge_never_writes_duplicate_annotation_ids(runner, cli, tmp_path):
    a = coco_one(tmp_path, "a", 1, "cat", [1, 1, 2, 2])
    b = coco_one(tmp_path, "b", 1, "dog", [3, 3, 2, 2])
    result = export_merged_project(runner, cli, tmp_path, a, b)
    ids = [ann["id"] for ann in json.loads(result.stdout)["annotations"]]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_project_merge_reports_conflicting_image_ids(runner, cli, tmp_path):
    a = coco_one(tmp_path, "a", 1, "cat", [1, 1, 2, 2])
    b = coco_one(tmp_path, "b", 2, "cat", [3, 3, 2, 2])
    result = export_merged_project(runner, cli, tmp_path, a, b, verbose=True)
    assert f"{b}: default/x.jpg: image id 2 -> 1" in result.stderr.splitlines()


# -- bugs found by hand -------------------------------------------------------------------

def test_output_equal_to_input_is_refused(runner, cli, cvat_coco):
    before = digest(cvat_coco)
    runner.invoke(cli, ["convert", "-i", str(cvat_coco), "-f", "coco", "-o", str(cvat_coco),
                        "--overwrite"])
    assert digest(cvat_coco) == before


def test_stdout_output_and_json_report_do_not_mix(runner, cli, cvat_coco):
    result = runner.invoke(cli, ["convert", "-i", str(cvat_coco), "-f", "coco_instances",
                                 "-o", "-", "--json"])
    assert result.exit_code == 2
    assert result.stdout == "" and "--json" in result.stderr


def test_keypoint_objects_fall_back_to_instances(runner, cli, keypoints):
    result = run(runner, cli, "convert", "-i", str(keypoints), "-f", "coco_instances", "-o", "-")
    doc = json.loads(result.stdout)
    assert len(doc["annotations"]) == 3
    assert "keypoints" in result.stderr  # the dropped keypoints are counted


def test_zip_without_utf8_flag_finds_non_ascii_images(runner, cli, cvat_project, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(cvat_project / "annotations.xml", "annotations.xml")
        zf.writestr("images/Train/sub/café ü.jpg",
                    (cvat_project / "images/Train/sub/café ü.jpg").read_bytes())
    # Info-ZIP on Linux writes UTF-8 names without the UTF-8 flag: clear the flag bits.
    data = bytearray(archive.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_offset] &= ~0x08 & 0xFF  # bit 11 lives in the second byte
            data[start + flag_offset + 1] &= ~0x08 & 0xFF
            start = data.find(signature, start + 4)
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as zf:
        assert any("├" in name for name in zf.namelist())  # read back as cp437 mojibake
    out = tmp_path / "out"
    result = run(runner, cli, "convert", "-i", str(archive), "-f", "cvat", "-o", str(out),
                 "--save-images")
    assert (out / "images/Train/sub/café ü.jpg").is_file(), result.stderr
