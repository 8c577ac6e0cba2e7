"""Cross-format conversions (voc <-> coco, coco <-> cvat, voc <-> cvat): what survives, what
is reported, and the errors that stop a run. Masks are checked pixel by pixel, COCO shapes
are rasterised with pycocotools (through cococonv.masks)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cococonv_plugins.voc.labelmap import default_voc, parse_class_names, parse_labelmap
from cococonv_plugins.voc.segmentation import (
    class_colors,
    decode_index_png,
    object_colors,
)
from lxml import etree
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.report import Report

from .builders import coco_ann, coco_doc, coco_image, write_coco

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
VOC_SMALL = EXAMPLES / "voc_small"
#: COCO's line for the CVAT fields of the CVAT_XML shapes it cannot hold.
CVAT_FIELDS = "annotations' cvat fields (box)"


# -- helpers ---------------------------------------------------------------------------------
def convert(source, target, fmt_in, fmt_out, *, input_options=None, **output_options) -> Report:
    return cococonv.convert(str(source), str(target), input_format=fmt_in,
                            output_format=fmt_out, input_options=input_options or {},
                            output_options=output_options, report=Report(quiet=True))


def label_map_of(root: Path):
    if (root / "labelmap.txt").exists():
        return parse_labelmap((root / "labelmap.txt").read_text(), file="labelmap.txt")
    if (root / "class_names.txt").exists():
        return parse_class_names((root / "class_names.txt").read_text())
    return default_voc()


def class_names(root: Path, stem: str) -> np.ndarray:
    """The class PNG as label names per pixel (indices may differ between label maps)."""
    label_map = label_map_of(root)
    path = root / "SegmentationClass" / f"{stem}.png"
    index = decode_index_png(path.read_bytes(), str(path), class_colors(label_map))
    names = np.array(label_map.names() + [""] * (256 - len(label_map.entries)), dtype=object)
    names[0], names[255] = "<background>", "<void>"
    return names[index]


def object_indices(root: Path, stem: str) -> np.ndarray:
    path = root / "SegmentationObject" / f"{stem}.png"
    return decode_index_png(path.read_bytes(), str(path), object_colors())


def assert_same_instances(before: np.ndarray, after: np.ndarray) -> None:
    """Same partition into instances; 0 and 255 keep their meaning, object numbers may not."""
    pairs = set(zip(before.ravel().tolist(), after.ravel().tolist()))
    assert len({b for b, _ in pairs}) == len(pairs) == len({a for _, a in pairs}), pairs
    assert all((b in (0, 255)) == (a in (0, 255)) and (b == 0) == (a == 0) for b, a in pairs)


def voc_boxes(root: Path) -> list[tuple]:
    """(item, name, xmin, ymin, xmax, ymax) of every <object> with a <bndbox>, as text."""
    found = []
    for xml in sorted((root / "Annotations").glob("*.xml")):
        for obj in etree.parse(str(xml)).getroot().iter("object"):
            box = obj.find("bndbox")
            if box is not None:
                found.append((xml.stem, obj.findtext("name"),
                              *(float(box.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax"))))
    return sorted(found)


def coco_annotations(root: Path, task: str = "instances") -> list[dict]:
    found = []
    for path in sorted((root / "annotations").glob(f"{task}_*.json")):
        found += json.loads(path.read_text())["annotations"]
    return found


def coco_pixels(ann: dict, height: int, width: int) -> np.ndarray:
    """A COCO segmentation rasterised by pycocotools."""
    seg = ann["segmentation"]
    rle = masks.polygons_to_rle(seg, height, width) if isinstance(seg, list) else seg
    return masks.decode(rle).astype(bool)


# -- voc -> coco -> voc ----------------------------------------------------------------------
VOC_FIXTURES = [
    pytest.param("datumaro/voc_dataset/voc_dataset1", "keep", id="datumaro-voc1"),
    pytest.param("2label/voc1.1", "keep", id="cvat-voc1.1-rgb-masks"),
    pytest.param("labelme/instance_segmentation/data_dataset_voc", "crowd", id="labelme-void"),
]


@pytest.mark.parametrize(("rel", "void"), VOC_FIXTURES)
def test_voc_to_coco_to_voc_keeps_boxes_and_mask_pixels_of_fixtures(fixtures_root, tmp_path,
                                                                       rel, void):
    source = fixtures_root / rel
    convert(source, tmp_path / "coco", "voc", "coco", input_options={"void_regions": void})
    convert(tmp_path / "coco", tmp_path / "voc", "coco", "voc")
    out = tmp_path / "voc"
    if (source / "Annotations").is_dir():
        before, after = voc_boxes(source), voc_boxes(out)
        assert before and all(after.count(box) >= before.count(box) for box in before)
    stems = [p.stem for p in (source / "SegmentationClass").glob("*.png")]
    assert stems
    for stem in stems:
        classes = class_names(source, stem)
        assert np.array_equal(classes, class_names(out, stem)), stem
        if (source / "SegmentationObject" / f"{stem}.png").exists():
            void_px = classes == "<void>"
            before, after = object_indices(source, stem), object_indices(out, stem)
            assert_same_instances(before[~void_px], after[~void_px])
            assert (after[void_px] == 255).all()  # a crowd region is void in both PNGs


def test_voc_void_border_is_a_crowd_region_of_background_in_coco(fixtures_root, tmp_path):
    rel = "labelme/instance_segmentation/data_dataset_voc"
    convert(fixtures_root / rel, tmp_path / "coco", "voc", "coco",
            input_options={"void_regions": "crowd"})
    doc = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    crowd = [a for a in doc["annotations"] if a["iscrowd"]]
    assert [names[a["category_id"]] for a in crowd] == ["_background_", "_background_"]
    image = next(i for i in doc["images"] if i["id"] == crowd[0]["image_id"])
    png = np.asarray(PILImage.open(fixtures_root / rel / "SegmentationClass" /
                                   image["file_name"].replace(".jpg", ".png")))
    assert np.array_equal(coco_pixels(crowd[0], image["height"], image["width"]), png == 255)


def test_voc_small_round_trip_through_coco_is_pixel_and_box_exact(tmp_path):
    convert(VOC_SMALL, tmp_path / "coco", "voc", "coco", input_options={"void_regions": "crowd"},
            save_images=True)
    convert(tmp_path / "coco", tmp_path / "voc", "coco", "voc", save_images=True)
    out = tmp_path / "voc"
    assert voc_boxes(out) == voc_boxes(VOC_SMALL)
    for stem in ("2008_000001", "2008_000002"):
        for folder in ("SegmentationClass", "SegmentationObject"):
            before = np.asarray(PILImage.open(VOC_SMALL / folder / f"{stem}.png"))
            after = np.asarray(PILImage.open(out / folder / f"{stem}.png"))
            assert np.array_equal(before, after), (folder, stem)
    for list_file in ("Main/train.txt", "Main/val.txt", "Segmentation/train.txt",
                      "Segmentation/val.txt"):
        assert (out / "ImageSets" / list_file).read_text() == \
            (VOC_SMALL / "ImageSets" / list_file).read_text()
    for image in (VOC_SMALL / "JPEGImages").iterdir():
        assert (out / "JPEGImages" / image.name).read_bytes() == image.read_bytes()


def test_voc_boxes_keep_one_based_coordinates_through_coco(tmp_path):
    convert(VOC_SMALL, tmp_path / "coco", "voc", "coco")
    anns = coco_annotations(tmp_path / "coco")
    # <xmin>5 <ymin>7 <xmax>28 <ymax>30 is the 0-based box [4, 6, 23, 23]
    assert [4, 6, 23, 23] in [a["bbox"] for a in anns]


@pytest.mark.parametrize("mode", ["polygons", "mask"])
def test_voc_instance_masks_become_coco_segmentation_per_mode(tmp_path, mode):
    report = convert(VOC_SMALL, tmp_path / "coco", "voc", "coco", segmentation_mode=mode)
    anns = [a for a in coco_annotations(tmp_path / "coco") if a["segmentation"]]
    assert len(anns) == 3
    for ann in anns:
        seg = ann["segmentation"]
        if mode == "polygons":
            assert isinstance(seg, list) and all(len(ring) >= 6 for ring in seg)
        else:
            assert isinstance(seg, dict) and isinstance(seg["counts"], str)
    if mode == "polygons":
        assert report.approximations[("masks", "traced into polygons")] == 3
    # every COCO object rasterises (pycocotools) to exactly its pixels in SegmentationObject
    docs = {p.stem.split("_", 1)[1]: json.loads(p.read_text())
            for p in (tmp_path / "coco/annotations").glob("*.json")}
    for doc in docs.values():
        for image in doc["images"]:
            stem = image["file_name"].rsplit(".", 1)[0]
            if not (VOC_SMALL / "SegmentationObject" / f"{stem}.png").exists():
                continue
            instances = object_indices(VOC_SMALL, stem)
            mine = [a for a in doc["annotations"] if a["image_id"] == image["id"]
                    and a["segmentation"]]
            for k, ann in enumerate(mine, 1):
                assert np.array_equal(coco_pixels(ann, image["height"], image["width"]),
                                      instances == k), (stem, k)


def test_coco_shapes_are_painted_into_voc_masks_later_on_top_and_crowd_void(tmp_path):
    square = [2.0, 2.0, 14.0, 2.0, 14.0, 14.0, 2.0, 14.0]
    below = coco_ann(id=1, category_id=1, segmentation=[square], bbox=[2, 2, 12, 12])
    array = np.zeros((20, 30), np.uint8)
    array[8:18, 8:26] = 1
    above = coco_ann(id=2, category_id=2, segmentation=masks.encode(array), bbox=[8, 8, 18, 10])
    crowd_array = np.zeros((20, 30), np.uint8)
    crowd_array[0:3, 20:30] = 1
    crowd = coco_ann(id=3, category_id=1, iscrowd=1, bbox=[20, 0, 10, 3],
                     segmentation=masks.encode_uncompressed(crowd_array))
    doc = coco_doc(images=[coco_image(width=30, height=20)], annotations=[below, above, crowd],
                   categories=[{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}])
    write_coco(tmp_path / "coco", {"instances_default": doc})
    report = convert(tmp_path / "coco", tmp_path / "voc", "coco", "voc")
    classes = class_names(tmp_path / "voc", "a")
    instances = object_indices(tmp_path / "voc", "a")
    cat = coco_pixels(below, 20, 30)
    dog = coco_pixels(above, 20, 30)
    void = coco_pixels(crowd, 20, 30)
    assert (classes[dog] == "dog").all() and (instances[dog] == 2).all()
    assert (classes[cat & ~dog] == "cat").all() and (instances[cat & ~dog] == 1).all()
    assert (classes[void] == "<void>").all() and (instances[void] == 255).all()
    assert (classes[~(cat | dog | void)] == "<background>").all()
    assert report.approximations[("crowd regions", "painted as void (255) in the masks")] == 1
    assert [b[1] for b in voc_boxes(tmp_path / "voc")] == ["cat", "dog"]  # crowd: no object


# -- cvat <-> coco ---------------------------------------------------------------------------
CVAT_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><labels>
    <label><name>car</name><attributes>
      <attribute><name>color</name><input_type>select</input_type><values>red
blue</values></attribute>
      <attribute><name>parked</name><input_type>checkbox</input_type><values>false</values></attribute>
      <attribute><name>doors</name><input_type>number</input_type><values>0;5;1</values></attribute>
    </attributes></label>
    <label><name>road</name><attributes></attributes></label>
  </labels></task></meta>
  <image id="0" name="a.jpg" width="40" height="30">
    <box label="car" occluded="1" xtl="2" ytl="3" xbr="12" ybr="10" z_order="0" group_id="1">
      <attribute name="color">blue</attribute>
      <attribute name="parked">true</attribute>
      <attribute name="doors">4</attribute>
    </box>
    <polygon label="car" occluded="1" points="2,3;12,3;12,10;2,10" z_order="0" group_id="1">
      <attribute name="color">blue</attribute>
      <attribute name="parked">true</attribute>
      <attribute name="doors">4</attribute>
    </polygon>
    <ellipse label="car" occluded="0" cx="25" cy="15" rx="5" ry="3" z_order="1"/>
    <box label="car" occluded="0" xtl="20" ytl="20" xbr="30" ybr="26" rotation="30" z_order="0"/>
    <polyline label="road" occluded="0" points="0,29;39,29" z_order="0"/>
    <polyline label="road" occluded="0" points="0,0;39,0" z_order="0"/>
    <mask label="road" occluded="0" rle="1, 3, 4" left="5" top="20" width="4" height="2" z_order="0"/>
    <points label="road" occluded="0" points="1,1;2,2" z_order="0"/>
  </image>
</annotations>
"""


def write_cvat(root: Path, text: str = CVAT_XML) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "annotations.xml").write_text(text)
    return root


def test_cvat_group_of_box_and_polygon_becomes_one_coco_object(tmp_path):
    convert(write_cvat(tmp_path / "cvat"), tmp_path / "coco", "cvat", "coco")
    (car,) = [a for a in coco_annotations(tmp_path / "coco")
              if a["segmentation"] == [[2.0, 3.0, 12.0, 3.0, 12.0, 10.0, 2.0, 10.0]]]
    assert car["bbox"] == [2.0, 3.0, 10.0, 7.0]
    assert car["attributes"] == {"occluded": True, "color": "blue", "parked": True, "doors": 4}


def test_cvat_to_coco_reports_approximations_and_losses_with_counts(tmp_path):
    report = convert(write_cvat(tmp_path / "cvat"), tmp_path / "coco", "cvat", "coco")
    assert report.approximations == {("ellipses", "written as 64-point polygons"): 1,
                                     ("rotated boxes", "written as 4-point polygons"): 1,
                                     ("boxes joined with the shape or keypoints they bound",
                                      "written as that COCO object's bbox"): 1}
    assert report.losses == {("polylines", "COCO has no open lines"): 2, ("z_order values", "COCO has no drawing order (--crop-covered applies it)"): 1,
                             (CVAT_FIELDS, "COCO has no place for them (a cvat export writes "
                                           "them back)"): 1}
    anns = coco_annotations(tmp_path / "coco")
    mask = next(a for a in anns if isinstance(a["segmentation"], dict))
    expected = np.zeros((30, 40), bool)
    expected[20, 6:9] = True  # runs 1, 3, 4: row-major over the 4x2 box at (5, 20)
    assert np.array_equal(masks.decode(mask["segmentation"]).astype(bool), expected)
    (points,) = coco_annotations(tmp_path / "coco", "person_keypoints")
    assert points["keypoints"] == [1.0, 1.0, 2, 2.0, 2.0, 2]


def test_cvat_to_coco_to_cvat_keeps_shapes_attributes_and_masks(tmp_path):
    convert(write_cvat(tmp_path / "cvat"), tmp_path / "coco", "cvat", "coco")
    convert(tmp_path / "coco", tmp_path / "back", "coco", "cvat")
    image = etree.parse(str(tmp_path / "back/annotations.xml")).getroot().find("image")
    polygons = [p.get("points") for p in image.iter("polygon")]
    assert "2,3;12,3;12,10;2,10" in polygons and len(polygons) == 3  # + ellipse, rotated box
    (mask,) = image.iter("mask")  # same pixels; COCO keeps no box, so it is the tight one now
    assert [mask.get(k) for k in ("rle", "left", "top", "width", "height")] == \
        ["0, 3", "6", "20", "3", "1"]
    car = next(p for p in image.iter("polygon") if p.get("points") == "2,3;12,3;12,10;2,10")
    assert car.get("occluded") == "1"
    assert {a.get("name"): a.text for a in car.iter("attribute")} == \
        {"color": "blue", "parked": "true", "doors": "4"}
    assert [p.get("points") for p in image.iter("points")] == ["1,1;2,2"]


def keypoints_doc() -> dict:
    person = {"id": 1, "name": "person", "supercategory": "",
              "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[1, 2], [1, 3]]}
    ann = coco_ann(id=5, category_id=1, segmentation=[[1.0, 1.0, 9.0, 1.0, 9.0, 7.0]],
                   bbox=[1.0, 1.0, 8.0, 6.0], keypoints=[2, 3, 2, 4.5, 5, 1, 7, 2, 0],
                   num_keypoints=2, attributes={"pose": "standing"})
    return coco_doc(annotations=[ann], categories=[person])


def test_coco_keypoints_and_skeleton_survive_cvat_and_back(tmp_path):
    write_coco(tmp_path / "coco", {"person_keypoints_default": keypoints_doc()})
    convert(tmp_path / "coco", tmp_path / "cvat", "coco", "cvat")
    root = etree.parse(str(tmp_path / "cvat/annotations.xml")).getroot()
    assert [s.get("label") for s in root.iter("skeleton")] == ["person"]
    convert(tmp_path / "cvat", tmp_path / "back", "cvat", "coco")
    doc = json.loads((tmp_path / "back/annotations/person_keypoints_default.json").read_text())
    (category,) = [c for c in doc["categories"] if c["name"] == "person"]
    assert category["keypoints"] == ["nose", "left_eye", "right_eye"]
    assert sorted(map(sorted, category["skeleton"])) == [[1, 2], [1, 3]]
    (ann,) = doc["annotations"]
    assert ann["keypoints"] == [2.0, 3.0, 2, 4.5, 5.0, 1, 7.0, 2.0, 0]
    assert ann["segmentation"] == [[1.0, 1.0, 9.0, 1.0, 9.0, 7.0]]
    assert ann["attributes"]["pose"] == "standing"


def test_cvat_skeleton_fixture_survives_coco_and_back(fixtures_root, tmp_path):
    source = fixtures_root / "cvat-ai-datumaro/cvat_dataset/for_images"
    before = cococonv.load(str(source), "cvat", report=Report(quiet=True))
    convert(source, tmp_path / "coco", "cvat", "coco")
    convert(tmp_path / "coco", tmp_path / "cvat", "coco", "cvat")
    after = cococonv.load(str(tmp_path / "cvat"), "cvat", report=Report(quiet=True))

    def skeletons(dataset):
        names = [label.name for label in dataset.categories.labels]
        return sorted((item.id, names[a.label], a.points, a.visibility) for item in dataset
                      for a in item.annotations if a.kind == "points")
    assert skeletons(after) == skeletons(before) and skeletons(before)


def test_cvat_keypoints_and_polylines_into_voc_are_reported_lost(tmp_path):
    report = convert(write_cvat(tmp_path / "cvat"), tmp_path / "voc", "cvat", "voc")
    assert report.losses[("keypoints", "VOC has no keypoints")] == 1
    assert report.losses[("polylines", "VOC has no open lines")] == 2
    assert report.approximations[("ellipses", "rasterized into the masks")] == 1


def test_voc_to_cvat_to_voc_keeps_boxes_and_class_pixels_and_reports_void(tmp_path):
    report = convert(VOC_SMALL, tmp_path / "cvat", "voc", "cvat")
    why = ("CVAT has no void; import VOC with --void-regions crowd to carry them as masks "
           "of the background label")
    image_fields = ("image ids and fields", "CVAT numbers images by frame and keeps no "
                    "other image fields (e.g. COCO image id, license)")
    # each image's <folder>voc_small</folder>, which CVAT has no place for
    assert report.losses == {("VOC void (255) regions", why): 2, image_fields: 3}
    convert(tmp_path / "cvat", tmp_path / "voc", "cvat", "voc")
    assert voc_boxes(tmp_path / "voc") == voc_boxes(VOC_SMALL)
    for stem in ("2008_000001", "2008_000002"):
        before, after = class_names(VOC_SMALL, stem), class_names(tmp_path / "voc", stem)
        objects = before != "<void>"
        assert np.array_equal(before[objects], after[objects])


# -- the CLI report --------------------------------------------------------------------------
def test_cli_prints_the_report_table_on_stderr_and_json_on_stdout(runner, cli, tmp_path):
    source = write_cvat(tmp_path / "cvat")
    result = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "coco")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "conversion report:"
    assert lines[-1] == f"wrote 1 item, 8 annotations, 2 files to {tmp_path / 'coco'}"
    rows = {tuple(re.split(r"\s{2,}", line.strip())) for line in lines[1:-1]}
    assert rows == {("lost", "polylines", "2", "COCO has no open lines"),
                    ("lost", "z_order values", "1",
                     "COCO has no drawing order (--crop-covered applies it)"),
                    ("lost", CVAT_FIELDS, "1",
                     "COCO has no place for them (a cvat export writes them back)"),
                    ("approximated ellipses", "1", "written as 64-point polygons"),
                    ("approximated rotated boxes", "1", "written as 4-point polygons"),
                    ("approximated boxes joined with the shape or keypoints they bound", "1",
                     "written as that COCO object's bbox")}

    result = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "coco2"), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["lost"][0] == {"what": "polylines", "why": "COCO has no open lines",
                                 "count": 2}
    assert [entry["what"] for entry in report["lost"][1:]] == [
        "z_order values", CVAT_FIELDS]
    assert sorted((a["what"], a["count"]) for a in report["approximated"]) == \
        [("boxes joined with the shape or keypoints they bound", 1), ("ellipses", 1),
         ("rotated boxes", 1)]
    assert result.stderr.startswith("conversion report:")


def test_cli_reports_keypoints_lost_into_voc(runner, cli, tmp_path):
    result = runner.invoke(cli, ["convert", "-if", "cvat", "-i", str(write_cvat(tmp_path / "c")),
                                 "-f", "voc", "-o", str(tmp_path / "voc"), "--json"])
    assert result.exit_code == 0, result.stderr
    lost = {(r["what"], r["count"]) for r in json.loads(result.stdout)["lost"]}
    assert {("keypoints", 1), ("polylines", 2)} <= lost
    assert re.search(r"^\s+lost\s+keypoints\s+1\s+VOC has no keypoints$", result.stderr, re.MULTILINE)


# -- errors: one line, exit 1, nothing written -----------------------------------------------
def voc_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VOC_SMALL, tmp_path / "in"))


def break_voc_xml(root: Path) -> None:
    path = root / "Annotations/2008_000002.xml"
    path.write_text(path.read_text().replace("</bndbox>", "</bndbx>", 1))


def foreign_colour(root: Path) -> None:
    path = root / "SegmentationClass/2008_000002.png"
    rgb = np.array(PILImage.open(path).convert("RGB"))
    rgb[0, 0] = (1, 2, 3)
    PILImage.fromarray(rgb).save(path)


def break_cvat_xml(root: Path) -> None:
    write_cvat(root, CVAT_XML.replace('z_order="1"/>', 'z_order="1">', 1))


@pytest.mark.parametrize(("fmt", "mutate", "expected"), [
    pytest.param("voc", break_voc_xml, r"error: Annotations/2008_000002\.xml: line 2\d: not "
                 r"valid XML \(.*bndbox.*\)", id="voc-broken-xml"),
    pytest.param("voc", foreign_colour, r"error: SegmentationClass/2008_000002\.png: colour "
                 r"\(1, 2, 3\) is not in the label map", id="voc-png-colour"),
    pytest.param("cvat", break_cvat_xml, r"error: annotations\.xml: line \d+: not valid XML "
                 r"\(.*\)", id="cvat-broken-xml"),
])
def test_bad_input_gives_one_error_line_exit_1_and_writes_nothing(runner, cli, tmp_path, fmt,
                                                                  mutate, expected):
    source = tmp_path / "in"
    if fmt == "voc":
        voc_copy(tmp_path)
    mutate(source)
    target = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-if", fmt, "-i", str(source), "-f", "coco",
                                 "-o", str(target)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert re.fullmatch(expected, result.stderr.strip()), result.stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


# -- the example -----------------------------------------------------------------------------
def test_voc_roundtrip_example_script_runs_and_gives_the_same_masks(tmp_path):
    cococonv_bin = Path(__import__("sys").executable).parent / "cococonv"
    if not cococonv_bin.exists():
        pytest.skip("the cococonv console script is not installed beside this Python")
    env = {"PATH": f"{cococonv_bin.parent}:/usr/bin:/bin"}
    done = subprocess.run(["sh", str(EXAMPLES / "voc_roundtrip.sh"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "approximated crowd regions" in done.stderr
    assert voc_boxes(tmp_path / "voc") == voc_boxes(VOC_SMALL)
    for folder in ("SegmentationClass", "SegmentationObject"):
        for png in (VOC_SMALL / folder).iterdir():
            assert np.array_equal(np.asarray(PILImage.open(png)),
                                  np.asarray(PILImage.open(tmp_path / "voc" / folder / png.name)))
