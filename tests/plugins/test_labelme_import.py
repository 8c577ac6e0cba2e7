"""LabelMe importer: every shape type, groups, flags, images, old files, bad input, detect."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import cococonv
from cococonv import DataError, Report
from cococonv import masks as M
from cococonv.model import Bbox, Ellipse, Label, Mask, Points, Polygon, Polyline

from ..builders import jpeg
from .labelme_files import doc, png_b64, shape, write


def load(path, **report_args):
    return cococonv.load(str(path), "labelme", report=Report(quiet=True, **report_args))


def only_item(path, **report_args):
    items = list(load(path, **report_args))
    assert len(items) == 1
    return items[0]


def test_every_shape_type_becomes_its_model_kind(tmp_path):
    patch = np.zeros((3, 4), dtype=np.uint8)
    patch[1:, 1:3] = 1
    shapes = [
        shape("box", [[12, 9], [2, 3]], "rectangle"),
        shape("box4", [[2, 3], [12, 3], [12, 9], [2, 9]], "rectangle"),
        shape("turned", [[10, 0], [20, 10], [10, 20], [0, 10]], "oriented_rectangle"),
        shape("poly", [[1, 1], [8, 1], [8, 6]], "polygon"),
        shape("round", [[10, 10], [13, 14]], "circle"),
        shape("edge", [[1, 2], [3, 4]], "line"),
        shape("path", [[1, 2], [3, 4], [5, 1]], "linestrip"),
        shape("dot", [[4, 5]], "point"),
        shape("dots", [[4, 5], [6, 7]], "points"),
        shape("blob", [[5, 6], [8, 8]], "mask", mask=png_b64(patch)),
    ]
    item = only_item(write(tmp_path, {"a.json": doc(shapes)}))
    by_label = {load_name: ann for load_name, ann in
                zip([s["label"] for s in shapes], item.annotations)}
    box = by_label["box"]
    assert isinstance(box, Bbox) and box.bounds() == [2, 3, 10, 6]
    assert isinstance(by_label["box4"], Bbox) and by_label["box4"].bounds() == [2, 3, 10, 6]
    assert "rotation" not in by_label["box4"].attributes
    turned = by_label["turned"]
    assert isinstance(turned, Bbox) and turned.attributes["rotation"] == 45.0
    assert turned.w == pytest.approx(200 ** 0.5) and turned.x + turned.w / 2 == 10
    assert isinstance(by_label["poly"], Polygon) and by_label["poly"].points == [1, 1, 8, 1, 8, 6]
    circle = by_label["round"]
    assert isinstance(circle, Ellipse) and (circle.cx, circle.cy, circle.rx, circle.ry) == \
        (10, 10, 5, 5)
    assert isinstance(by_label["edge"], Polyline) and by_label["edge"].points == [1, 2, 3, 4]
    assert isinstance(by_label["path"], Polyline) and len(by_label["path"].points) == 6
    assert isinstance(by_label["dot"], Points) and by_label["dot"].visibility == [2]
    assert isinstance(by_label["dots"], Points) and by_label["dots"].points == [4, 5, 6, 7]
    blob = by_label["blob"]
    assert isinstance(blob, Mask) and blob.rle["size"] == [20, 30]
    pixels = M.decode(blob.rle)
    assert pixels.sum() == 4 and pixels[7:9, 6:8].all()


def test_group_ids_tie_shapes_into_objects_and_zero_is_a_group(tmp_path):
    shapes = [shape("person", group_id=0), shape("person", group_id=0),
              shape("bag", group_id=3), shape("hat", group_id=3), shape("dog"),
              shape("cat", group_id=-2)]
    item = only_item(write(tmp_path, {"a.json": doc(shapes)}))
    groups = [ann.group for ann in item.annotations]
    assert groups[0] == groups[1] and groups[0] not in (0, 3)
    assert groups[2] == groups[3] == 3
    assert groups[4] == 0
    assert groups[5] not in (0, 3, groups[0])


def test_image_flags_that_are_true_are_image_labels(tmp_path):
    record = doc([], flags={"__ignore__": False, "cat": True, "dog": True})
    dataset = load(write(tmp_path, {"a.json": record}))
    item = next(iter(dataset))
    names = [dataset.categories.name_of(a.label) for a in item.annotations
             if isinstance(a, Label)]
    assert names == ["cat", "dog"]
    assert item.extra["labelme"]["flags"] == record["flags"]


def test_shape_flags_description_attributes_and_unknown_keys_are_kept(tmp_path):
    record = doc([shape(flags={"occluded": True, "truncated": False},
                        description="left ear", attributes={"color": "red", "n": 2},
                        line_color=[1, 2, 3], kie_linking=[])],
                 lineColor=[0, 255, 0, 128], otherData={"who": "me"})
    item = only_item(write(tmp_path, {"a.json": record}))
    ann = item.annotations[0]
    assert ann.attributes == {"occluded": True, "truncated": False, "color": "red", "n": 2,
                              "description": "left ear"}
    assert ann.extra["labelme"]["keys"] == {"line_color": [1, 2, 3], "kie_linking": []}
    assert item.extra["labelme"]["keys"] == {"lineColor": [0, 255, 0, 128],
                                             "otherData": {"who": "me"}}
    assert item.extra["labelme"]["version"] == "5.5.0"


def test_null_attribute_values_are_kept_and_written_back(tmp_path):
    """A form field left empty (X-AnyLabeling writes null) was dropped without a line."""
    record = doc([shape(flags={"occluded": None}, attributes={"color": None, "n": 1})])
    src = write(tmp_path / "in", {"a.json": record})
    assert only_item(src).annotations[0].attributes == {"occluded": None, "color": None,
                                                        "n": 1}
    cococonv.convert(str(src), str(tmp_path / "out"), output_format="labelme")
    written = json.loads((tmp_path / "out" / "a.json").read_text())["shapes"][0]
    # a flag that is not true/false is written among the attributes, as a text one is
    assert written["attributes"] == {"occluded": None, "color": None, "n": 1}


def test_old_files_without_shape_type_version_or_size(tmp_path):
    record = {"imagePath": "a.jpg", "imageData": None, "lineColor": [0, 255, 0, 128],
              "shapes": [{"label": "cat", "line_color": None, "points": [[1, 1], [5, 1],
                                                                         [5, 5]]}]}
    write(tmp_path, {"a.json": record})
    (tmp_path / "a.jpg").write_bytes(jpeg(width=40, height=24))
    item = only_item(tmp_path)
    assert isinstance(item.annotations[0], Polygon)
    assert item.image.size == (24, 40)
    assert "version" not in item.extra["labelme"]


def test_embedded_image_data_is_the_image_and_its_header_the_size(tmp_path):
    data = jpeg(width=30, height=20)
    record = doc(imageData=base64.b64encode(data).decode(), imageHeight=None,
                 imageWidth=None, imagePath="gone.jpg")
    record.pop("imageHeight"), record.pop("imageWidth")
    item = only_item(write(tmp_path, {"a.json": record}))
    assert item.image.size == (20, 30)
    assert item.image.read_bytes() == data


def test_a_file_at_image_path_wins_over_image_data(tmp_path):
    write(tmp_path, {"ann/a.json": doc(imagePath="..\\img\\a.jpg",
                                       imageData=base64.b64encode(b"x" * 8).decode())})
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.jpg").write_bytes(jpeg(width=30, height=20))
    item = only_item(tmp_path)
    assert item.id == "a" and item.image.name == "img/a.jpg"
    assert item.image.path == str(tmp_path / "img" / "a.jpg")


def test_an_image_path_leaving_the_input_is_looked_up_by_its_tail(tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(jpeg(width=30, height=20))
    root = tmp_path / "data"
    write(root, {"a.json": doc(imagePath="../secret.jpg"),
                 "b.json": doc(imagePath="C:\\Users\\me\\b.jpg")})
    (root / "b.jpg").write_bytes(jpeg(width=30, height=20))
    a, b = load(root)
    assert a.image.path is None and a.image.loader is None
    assert a.image.name == "secret.jpg"
    assert b.image.path == str(root / "b.jpg")


def test_subsets_are_top_level_folders_when_every_file_is_in_one(tmp_path):
    write(tmp_path / "split", {"train/a.json": doc(), "val/x/b.json": doc()})
    assert [(i.subset, i.id) for i in load(tmp_path / "split")] == \
        [("train", "a"), ("val", "x/b")]
    write(tmp_path / "one", {"train/a.json": doc()})
    assert [(i.subset, i.id) for i in load(tmp_path / "one")] == [("train", "a")]
    write(tmp_path / "plain", {"data_annotated/a.json": doc()})
    assert [(i.subset, i.id) for i in load(tmp_path / "plain")] == [("default", "a")]
    write(tmp_path / "deep", {"ann/x/a.json": doc(), "ann/y/b.json": doc()})
    assert [(i.subset, i.id) for i in load(tmp_path / "deep")] == \
        [("default", "x/a"), ("default", "y/b")]
    write(tmp_path / "mixed", {"a.json": doc(), "val/b.json": doc()})
    assert [(i.subset, i.id) for i in load(tmp_path / "mixed")] == \
        [("default", "a"), ("default", "val/b")]


def test_other_json_files_are_left_out_with_a_warning(tmp_path):
    write(tmp_path, {"a.json": doc(), "classes.json": {"names": ["cat"]},
                     "config.json": [1, 2], "near.json": {"imagePath": "a.jpg"}})
    report = Report(quiet=True)
    dataset = cococonv.load(str(tmp_path), "labelme", report=report)
    assert [item.id for item in dataset] == ["a"]
    assert [w for w in report.warnings if "not LabelMe files" in w] == [
        "1 .json file(s) are not LabelMe files and were left out, e.g. near.json"]


@pytest.mark.parametrize("bad, message", [
    (shape("box", [[1, 1], [2, 2], [3, 3]], "rectangle"),
     "a.json: shapes[1].points: a rectangle needs 2 points, got 3"),
    (shape("c", [[1, 1]], "circle"), "a.json: shapes[1].points: a circle needs 2 points, got 1"),
    (shape("p", [[1, 1], [2, 2]], "polygon"),
     "a.json: shapes[1].points: a polygon needs at least 3 points, got 2"),
    (shape("p", [[1, "x"], [2, 2], [3, 3]]),
     "a.json: shapes[1].points: must be a list of [x, y] number pairs"),
    (shape("p", [[1, 2, 3], [2, 2], [3, 3]]),
     "a.json: shapes[1].points: must be a list of [x, y] number pairs"),
    (shape("p", [[1e9, 2], [2, 2], [3, 3]]),
     "a.json: shapes[1].points: x = 1000000000 is too far"),
    (shape("p", [[1e300, 2], [2, 2], [3, 3]]),
     "a.json: shapes[1].points: a coordinate is not a finite number"),
    (shape("m", [[1, 1], [2, 2]], "mask", mask="not base64!"),
     "a.json: shapes[1].mask: mask is not valid base64"),
    (shape("q", shape_type="cuboid"), "a.json: shapes[1].shape_type: unknown shape_type 'cuboid'"),
    (shape("q", group_id="one"), "a.json: shapes[1].group_id: must be a whole number"),
    (shape(7), "a.json: shapes[1].label: must be text"),
])
def test_bad_shapes_name_file_and_place(tmp_path, bad, message):
    write(tmp_path, {"a.json": doc([shape(), bad])})
    with pytest.raises(DataError) as failure:
        load(tmp_path)
    assert str(failure.value).startswith(message), str(failure.value)


def test_bad_shapes_are_skipped_and_counted_under_on_error_skip(tmp_path):
    write(tmp_path, {"a.json": doc([shape(), shape("box", [[1, 1]], "rectangle"), shape()])})
    report = Report(on_error="skip", quiet=True)
    item = next(iter(cococonv.load(str(tmp_path), "labelme", report=report)))
    assert len(item.annotations) == 2
    assert report.skipped == ["a.json: shapes[1].points: a rectangle needs 2 points, got 1"]


@pytest.mark.parametrize("fields, message", [
    ({"imageData": "%%%"}, "a.json: imageData: imageData is not valid base64"),
    ({"imageHeight": "20"}, "a.json: imageHeight: must be a whole number"),
    ({"flags": {"cat": "yes"}}, "a.json: flags: must be an object of true/false values"),
    ({"imagePath": 3}, "a.json: imagePath: must be text"),
])
def test_bad_file_fields_name_file_and_place(tmp_path, fields, message):
    write(tmp_path, {"a.json": doc(**fields)})
    with pytest.raises(DataError) as failure:
        load(tmp_path)
    assert str(failure.value).startswith(message), str(failure.value)


def test_a_mask_shape_without_image_size_is_an_error(tmp_path):
    record = doc([shape("m", [[0, 0], [1, 1]], "mask", mask=png_b64(np.ones((2, 2))))])
    del record["imageHeight"], record["imageWidth"]
    write(tmp_path, {"a.json": record})
    with pytest.raises(DataError, match=r"a.json: shapes\[0\].mask: a mask shape needs the "
                                         r"image size"):
        load(tmp_path)


def test_broken_json_names_the_file(tmp_path):
    (tmp_path / "a.json").write_text('{"shapes": [], "imagePath": "a.jpg", ')
    with pytest.raises(DataError, match="a.json"):
        load(tmp_path)


def test_detect_claims_labelme_files_only(tmp_path):
    write(tmp_path / "lm", {"sub/a.json": doc()})
    assert cococonv.detect(str(tmp_path / "lm"))[0][0] == "labelme"
    write(tmp_path / "random", {"a.json": {"shapes": [], "name": "x"},
                                "b.json": {"imagePath": "a.jpg"}, "c.json": [1]})
    assert "labelme" not in dict(cococonv.detect(str(tmp_path / "random")))
    coco = {"images": [], "annotations": [], "categories": []}
    write(tmp_path / "coco", {"annotations/instances_train.json": coco})
    assert "labelme" not in dict(cococonv.detect(str(tmp_path / "coco")))


def test_detect_parses_a_file_whose_head_does_not_tell(tmp_path):
    long = [shape(points=[[1, 1], [8, 1], [8, 6]] * 900)]
    record = {"version": "5.5.0", "shapes": long, "imagePath": "a.jpg", "imageData": None}
    (tmp_path / "a.json").write_text(json.dumps(record, indent=2))
    assert (tmp_path / "a.json").stat().st_size > 1 << 16
    assert cococonv.detect(str(tmp_path))[0][0] == "labelme"


def test_image_data_with_line_breaks_is_checked_piece_by_piece(tmp_path, monkeypatch):
    from cococonv_plugins.labelme import mask_png

    monkeypatch.setattr(mask_png, "CHUNK_CHARS", 1 << 10)  # many pieces, header in the first
    data = jpeg(width=300, height=200)
    record = doc(imageData=base64.encodebytes(data).decode(), imagePath="gone.jpg")
    del record["imageHeight"], record["imageWidth"]
    item = only_item(write(tmp_path / "ok", {"a.json": record}))
    assert item.image.size == (200, 300) and item.image.read_bytes() == data
    broken = dict(record, imageData=record["imageData"][:3000] + "*" + record["imageData"][3001:])
    write(tmp_path / "bad", {"a.json": broken})
    with pytest.raises(DataError, match="a.json: imageData: imageData is not valid base64"):
        load(tmp_path / "bad")


def test_x_anylabeling_rotation_shapes_are_turned_boxes(tmp_path):
    corners = [[10, 0], [20, 10], [10, 20], [0, 10]]
    write(tmp_path / "in", {"a.json": doc([shape("r", corners, "rotation", direction=0.7)])})
    box = only_item(tmp_path / "in").annotations[0]
    assert isinstance(box, Bbox) and box.attributes["rotation"] == 45.0
    cococonv.convert(str(tmp_path / "in"), str(tmp_path / "out"), output_format="labelme",
                     report=Report(quiet=True), jobs=1)
    written = json.loads((tmp_path / "out" / "a.json").read_text())["shapes"][0]
    assert written["shape_type"] == "rotation" and written["direction"] == 0.7
    assert written["points"] == [[10.0, 0.0], [20.0, 10.0], [10.0, 20.0], [0.0, 10.0]]


def test_keypoint_groups_pad_sets_to_names_met_later_and_leave_other_groups(tmp_path):
    first = doc([shape("person", [[0, 0], [9, 9]], "rectangle", group_id=1),
                 shape("nose", [[1, 1]], "point", group_id=1),
                 shape("cat", group_id=2), shape("tail", [[3, 3]], "point", group_id=2),
                 shape("dog", group_id=2), shape("ear", [[4, 4]], "point")])
    second = doc([shape("person", [[0, 0], [9, 9]], "rectangle", group_id=3),
                  shape("hand", [[2, 2]], "point", group_id=3),
                  shape("nose", [[5, 5]], "point", group_id=3)])
    write(tmp_path, {"a.json": first, "b.json": second})
    dataset = cococonv.load(str(tmp_path), "labelme", report=Report(quiet=True),
                            keypoint_groups=True)
    cats = dataset.categories
    person = cats.find("person")
    assert cats.keypoints[person].names == ["nose", "hand"]
    assert cats.find("nose") is None and cats.find("hand") is None
    a, b = dataset
    sets = [ann for ann in a.annotations if isinstance(ann, Points) and ann.label == person]
    assert [(s.points, s.visibility) for s in sets] == [([1, 1, 0, 0], [2, 0])]
    # group 2 holds two objects: its point stays a point of label "tail"; "ear" has no group
    assert {cats.name_of(ann.label) for ann in a.annotations} == {"person", "cat", "dog",
                                                                  "tail", "ear"}
    (keypoints,) = [ann for ann in b.annotations if isinstance(ann, Points)]
    assert keypoints.points == [5, 5, 2, 2] and keypoints.visibility == [2, 2]
