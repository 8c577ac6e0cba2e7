"""CVAT importer: values land in the model typed; bad input is one located DataError."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

import cococonv
from cococonv import DataError, Report, UnsafeInputError
from cococonv import masks as M
from cococonv.model import Bbox, Ellipse, Label, Mask, Points, Polygon, Polyline
from tests.scaling import assert_linear

LABELS = (
    '<label><name>car</name><color>#ff0000</color><attributes>'
    '<attribute><name>parked</name><input_type>checkbox</input_type>'
    '<default_value>false</default_value><values>false&#10;true</values></attribute>'
    '<attribute><name>speed</name><input_type>number</input_type>'
    '<default_value>0</default_value><values>0&#10;100&#10;1</values></attribute>'
    '<attribute><name>kind</name><input_type>select</input_type>'
    '<default_value>a</default_value><values>a&#10;b</values></attribute>'
    '</attributes></label>'
    '<label><name>face</name><type>skeleton</type><attributes/><svg>'
    '&lt;line data-node-from="2" data-node-to="1"&gt;&lt;/line&gt;'
    '&lt;circle data-node-id="1" data-label-name="eye"&gt;&lt;/circle&gt;'
    '&lt;circle data-node-id="2" data-label-name="nose"&gt;&lt;/circle&gt;</svg></label>'
    '<label><name>eye</name><type>points</type><attributes/><parent>face</parent></label>'
    '<label><name>nose</name><type>points</type><attributes/><parent>face</parent></label>')

BOX = '<box label="car" occluded="0" xtl="1" ytl="2" xbr="4" ybr="6" z_order="0"/>'


def cvat_xml(body: str = BOX, *, labels: str = LABELS, image: str = 'id="0" name="a.jpg" '
             'width="10" height="8"', meta_extra: str = "") -> str:
    """The smallest CVAT document: one task, the labels above, one image holding ``body``.

    The image element starts on line 8, so a shape on the next line is on line 9.
    """
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
            f'  <meta><task>{meta_extra}<labels>{labels}</labels></task></meta>\n'
            f'\n\n\n  <image {image}>\n    {body}\n  </image>\n</annotations>\n')


def load_xml(tmp_path, text: str, **kwargs):
    path = tmp_path / "annotations.xml"
    path.write_text(text)
    return cococonv.load(str(tmp_path), "cvat", **kwargs)


def only_item(dataset):
    (item,) = list(dataset)
    return item


def test_cvat_import_reads_every_shape_kind_with_common_fields(tmp_path):
    body = "\n".join([
        '<box label="car" occluded="1" xtl="1.5" ytl="2" xbr="4.25" ybr="6" z_order="3" '
        'group_id="7" rotation="12.5" source="auto"/>',
        '<polygon label="car" occluded="0" points="0,0;4,0;4,3" z_order="0"/>',
        '<polyline label="car" occluded="0" points="1,1;2,2" z_order="0"/>',
        '<points label="car" occluded="0" points="1,1" z_order="0"/>',
        '<ellipse label="car" occluded="0" cx="5" cy="4" rx="2" ry="1" z_order="0"/>',
        '<tag label="car" source="manual"><attribute name="kind">b</attribute></tag>',
    ])
    item = only_item(load_xml(tmp_path, cvat_xml(body)))
    box, polygon, line, points, ellipse, tag = item.annotations
    assert type(box) is Bbox and (box.x, box.y, box.w, box.h) == (1.5, 2, 2.75, 4)
    assert box.attributes == {"occluded": True, "rotation": 12.5}
    assert (box.z_order, box.group, box.label) == (3, 7, 0)
    assert box.extra == {"cvat": {"source": "auto"}}
    assert type(polygon) is Polygon and polygon.points == [0, 0, 4, 0, 4, 3]
    assert type(line) is Polyline and line.points == [1, 1, 2, 2]
    assert type(points) is Points and points.visibility == [2]
    assert type(ellipse) is Ellipse and (ellipse.cx, ellipse.cy, ellipse.rx, ellipse.ry) == \
        (5, 4, 2, 1)
    assert type(tag) is Label and tag.attributes == {"kind": "b"}
    assert item.id == "a" and item.image.size == (8, 10) and item.attributes == {"frame": 0}


def test_cvat_import_types_attributes_by_declared_input_type(tmp_path):
    body = ('<box label="car" occluded="0" xtl="1" ytl="2" xbr="4" ybr="6" z_order="0">'
            '<attribute name="parked">true</attribute><attribute name="speed">42</attribute>'
            '<attribute name="kind">007</attribute><attribute name="extra">1</attribute>'
            '</box><box label="car" occluded="0" xtl="1" ytl="2" xbr="4" ybr="6" z_order="0">'
            '<attribute name="speed">2.5</attribute><attribute name="parked">False'
            '</attribute></box>')
    first, second = only_item(load_xml(tmp_path, cvat_xml(body))).annotations
    assert first.attributes == {"occluded": False, "parked": True, "speed": 42, "kind": "007",
                                "extra": "1"}
    assert type(first.attributes["speed"]) is int
    assert second.attributes["speed"] == 2.5 and second.attributes["parked"] is False


def test_cvat_import_mask_rle_is_converted_over_the_whole_image(tmp_path):
    # a 3x2 box at (2, 1): rows "0 1 1" and "1 1 0" -> runs 1,4,1
    body = ('<mask label="car" occluded="0" rle="1, 4, 1" left="2" top="1" width="3" '
            'height="2" z_order="0"/>')
    (mask,) = only_item(load_xml(tmp_path, cvat_xml(body))).annotations
    assert type(mask) is Mask and mask.rle["size"] == [8, 10]
    expected = np.zeros((8, 10), dtype=np.uint8)
    expected[1, 3:5] = 1
    expected[2, 2:4] = 1
    assert (M.decode(mask.rle) == expected).all()
    assert M.area(mask.rle) == 4 and M.bbox(mask.rle) == [2, 1, 3, 2]
    assert "cvat" not in mask.extra  # its box is the tight one the exporter computes


def test_cvat_import_skeleton_is_one_points_in_schema_order(tmp_path):
    body = ('<skeleton label="face" occluded="0" points="" z_order="1">'
            '<points label="nose" occluded="1" outside="0" points="5,6"/>'
            '<points label="eye" occluded="0" outside="1" points="1,2"/></skeleton>')
    dataset = load_xml(tmp_path, cvat_xml(body))
    (skeleton,) = only_item(dataset).annotations
    assert type(skeleton) is Points and skeleton.label == 1
    assert skeleton.points == [1, 2, 5, 6] and skeleton.visibility == [0, 1]
    schema = dataset.categories.keypoints[1]
    assert schema.names == ["eye", "nose"] and schema.skeleton == [[2, 1]]
    assert [label.name for label in dataset.categories.labels] == ["car", "face"]


def test_cvat_import_subset_from_image_then_meta_then_default(tmp_path):
    dataset = load_xml(tmp_path, cvat_xml(image='id="0" name="a.jpg" subset="train"'))
    assert only_item(dataset).subset == "train"
    dataset = load_xml(tmp_path, cvat_xml(meta_extra="<subset>val</subset>"))
    assert only_item(dataset).subset == "val"
    dataset = load_xml(tmp_path, cvat_xml())
    assert only_item(dataset).subset == "default"


def test_cvat_import_keeps_sub_folders_in_item_id_and_finds_images(tmp_path):
    (tmp_path / "images" / "cam1").mkdir(parents=True)
    (tmp_path / "images" / "cam1" / "a.jpg").write_bytes(b"jpeg")
    item = only_item(load_xml(tmp_path, cvat_xml(image='id="3" name="cam1/a.jpg"')))
    assert item.id == "cam1/a" and item.image.name == "cam1/a.jpg"
    assert item.image.read_bytes() == b"jpeg" and item.image.size is None


def test_cvat_import_reads_a_single_xml_file_and_images_beside_it(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(b"jpeg")
    (tmp_path / "task.xml").write_text(cvat_xml())
    dataset = cococonv.load(str(tmp_path / "task.xml"))
    assert only_item(dataset).image.read_bytes() == b"jpeg"


def test_cvat_import_reads_video_tracks_and_tags(tmp_path):
    text = ('<annotations><version>1.1</version><meta><task><labels>' + LABELS +
            '</labels><original_size><width>30</width><height>20</height></original_size>'
            '</task></meta>'
            '<track id="4" label="car" source="auto" group_id="2">'
            '<box frame="0" outside="0" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="2" '
            'ybr="2" z_order="0"><attribute name="speed">3</attribute></box>'
            '<box frame="5" outside="1" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="2" '
            'ybr="2" z_order="0"/></track>'
            '<tag frame="5" label="car" source="manual"/></annotations>')
    dataset = load_xml(tmp_path, text)
    assert [(i.id, i.image.size) for i in dataset] == [("frame_000000", (20, 30)),
                                                       ("frame_000005", (20, 30))]
    first, fifth = list(dataset)
    (box,) = first.annotations
    assert box.attributes == {"occluded": False, "speed": 3, "track_id": 4}
    assert box.group == 2 and box.extra["cvat"] == {"keyframe": True, "source": "auto"}
    assert [type(a) for a in fifth.annotations] == [Label]


def test_cvat_import_zip_of_a_fixture_folder(tmp_path, fixtures_root, runner, cli):
    folder = fixtures_root / "datumaro/cvat_dataset/for_images/export_project"
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, "export/" + path.relative_to(folder).as_posix())
    dataset = cococonv.load(str(archive))
    assert len(dataset) == 6 and dataset.subsets == ["Test", "Train", "Validation"]
    image = dataset.get("Train", "img1").image
    assert image.loader is not None and image.read_bytes() == \
        (folder / "images/Train/img1.jpg").read_bytes()
    result = runner.invoke(cli, ["convert", "-i", str(archive), "-f", "coco", "-o",
                                 str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in (tmp_path / "out" / "annotations").iterdir()) == [
        "instances_Test.json", "instances_Train.json", "instances_Validation.json",
        "person_keypoints_Test.json", "person_keypoints_Train.json",
        "person_keypoints_Validation.json"]


def test_cvat_detect_ignores_other_xml(tmp_path):
    (tmp_path / "a.xml").write_text("<annotation><filename>a.jpg</filename></annotation>")
    assert "cvat" not in dict(cococonv.detect(str(tmp_path)))
    (tmp_path / "b.xml").write_text(cvat_xml())
    assert cococonv.detect(str(tmp_path))[0] == ("cvat", 50)
    (tmp_path / "a.xml").unlink()
    assert cococonv.detect(str(tmp_path / "b.xml"))[0] == ("cvat", 50)  # beats name-only COCO


def test_cvat_import_refuses_entity_declarations(tmp_path):
    text = ('<?xml version="1.0"?>\n<!DOCTYPE annotations [\n<!ENTITY a "aaaaaaaa">\n]>\n'
            + cvat_xml().split("\n", 1)[1])
    with pytest.raises(UnsafeInputError) as info:
        load_xml(tmp_path, text)
    assert str(info.value) == "annotations.xml: line 3: the XML declares entities; refusing " \
        "to read it"


def test_cvat_import_skips_a_bad_shape_under_on_error_skip(tmp_path):
    body = f'<polygon label="car" points="1,2;3"/>{BOX}'
    report = Report("skip", quiet=True)
    item = only_item(load_xml(tmp_path, cvat_xml(body), report=report))
    assert [type(a) for a in item.annotations] == [Bbox]
    assert report.skipped == ["annotations.xml: line 9: <polygon> points: odd number of "
                              "coordinates (3) in '1,2;3'"]


def _replace(old: str, new: str):
    return lambda text: text.replace(old, new, 1)


ERROR_CASES = [
    pytest.param(_replace("</image>", "</imag>"), 10,
                 "not valid XML (Opening and ending tag mismatch: image line 8 and imag)",
                 id="broken-xml"),
    pytest.param(_replace(BOX, '<polygon label="car" points="1,2;3,4;5"/>'), 9,
                 "<polygon> points: odd number of coordinates (5) in '1,2;3,4;5'",
                 id="odd-point-count"),
    pytest.param(_replace(BOX, '<polyline label="car" points="1,2;x,4"/>'), 9,
                 "<polyline> points: expected 'x,y;x,y;...' numbers, got '1,2;x,4'",
                 id="point-not-a-number"),
    pytest.param(_replace(BOX, '<points label="car" points="1,2;nan,4"/>'), 9,
                 "<points> points: coordinates must be finite numbers, got '1,2;nan,4'",
                 id="point-nan"),
    pytest.param(_replace(BOX, '<polygon label="car"/>'), 9, "<polygon> has no points",
                 id="no-points"),
    pytest.param(_replace('xtl="1"', 'xtl="left"'), 9,
                 "<box> xtl: expected a number, got 'left'", id="box-coordinate"),
    pytest.param(_replace('occluded="0"', 'occluded="maybe"'), 9,
                 "<box> occluded: expected 0 or 1, got 'maybe'", id="occluded-flag"),
    pytest.param(_replace('z_order="0"', 'z_order="top"'), 9,
                 "<box> z_order: expected a number, got 'top'", id="z-order"),
    pytest.param(_replace(BOX, '<mask label="car" rle="1, 2" left="0" top="0" width="2" '
                          'height="2"/>'), 9,
                 "<mask> rle runs sum to 3, expected width*height = 4", id="mask-rle-sum"),
    pytest.param(_replace(BOX, '<mask label="car" rle="1, a" left="0" top="0" width="2" '
                          'height="2"/>'), 9,
                 "<mask> rle must be comma-separated whole numbers", id="mask-rle-text"),
    pytest.param(_replace(BOX, '<skeleton label="car"/>'), 9,
                 "<skeleton> label 'car' is not a skeleton label of the meta", id="skeleton"),
    pytest.param(_replace(BOX, '<skeleton label="face"><points label="ear" points="1,1"/>'
                          '</skeleton>'), 9,
                 "<points> label 'ear' is not a node of skeleton 'face' (nodes: eye, nose)",
                 id="skeleton-node"),
    pytest.param(_replace('width="10"', 'width="wide"'), 8,
                 "<image> width: expected a number, got 'wide'", id="image-width"),
    pytest.param(_replace('id="0" name="a.jpg"', 'id="0"'), 8, "<image> has no name",
                 id="image-name"),
    pytest.param(_replace("</image>", '</image><image id="1" name="a.png"/>'), 10,
                 "image 'a.png' (item 'a') is already defined at line 8 in subset 'default'",
                 id="duplicate-item"),
]


@pytest.mark.parametrize("mutate, line, message", ERROR_CASES)
def test_cvat_import_errors_name_file_and_line(tmp_path, mutate, line, message):
    with pytest.raises(DataError) as info:
        load_xml(tmp_path, mutate(cvat_xml()))
    assert str(info.value) == f"annotations.xml: line {line}: {message}"


def test_cvat_import_error_through_the_cli_is_one_line(tmp_path, runner, cli):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.xml").write_text(
        cvat_xml('<polygon label="car" points="1,2;3"/>'))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "cvat", "-o",
                                 str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("error: annotations.xml: line 9: <polygon> points: odd number of "
                             "coordinates (3) in '1,2;3'\n")
    assert not (tmp_path / "out").exists()


def cvat_images(count: int) -> str:
    """A CVAT file of ``count`` images, each with a box (and an attribute) and a polygon."""
    body = "".join(
        f'<image id="{i}" name="img_{i:05d}.jpg" width="640" height="480">'
        f'<box label="car" occluded="0" xtl="{i % 600}" ytl="1" xbr="{i % 600 + 20}" ybr="30" '
        f'z_order="0"><attribute name="speed">{i % 100}</attribute></box>'
        f'<polygon label="car" occluded="0" points="1,2;30,4;15.5,40;2,20" z_order="0"/>'
        f'</image>' for i in range(count))
    return cvat_xml().replace("</annotations>", body + "</annotations>")


def test_cvat_import_work_grows_linearly_with_the_images(tmp_path):
    # The timing (5,000 images) is tests/benchmarks/bench_linear.py's; a wall-clock bound
    # here flaked under load.
    def prepare(count: int):
        folder = tmp_path / str(count)
        folder.mkdir(exist_ok=True)
        (folder / "annotations.xml").write_text(cvat_images(count))
        return lambda: cococonv.load(str(folder), "cvat")

    assert len(prepare(1000)()) == 1001
    assert_linear(prepare, 100, 1000)
