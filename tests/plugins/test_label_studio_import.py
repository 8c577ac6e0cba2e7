"""label_studio importer: every result type lands in the model in pixels, regions pair
with their labels and attributes by id, annotators stay apart, bad input is located."""
from __future__ import annotations

import math

import pytest

import cococonv
from cococonv import DataError, Report
from cococonv.model import Bbox, Caption, Ellipse, Label, Mask, Points, Polygon, Polyline
from cococonv import masks as M
from cococonv_plugins.label_studio import brush

from .label_studio_tasks import H, W, result, task, write


def load(path, **options):
    report = Report(quiet=True, on_error=options.pop("on_error", "fail"))
    return cococonv.load(str(path), "label_studio", report=report, **options), report


def only(ds):
    (item,) = list(ds)
    return item


def test_rectangle_polygon_keypoint_ellipse_in_pixels(tmp_path):
    path = write(tmp_path, [task(
        result("rectanglelabels", {"x": 10, "y": 20, "width": 30, "height": 40,
                                   "rotation": 0, "rectanglelabels": ["cat"]}, "a"),
        result("polygonlabels", {"points": [[0, 0], [50, 0], [50, 50]],
                                 "polygonlabels": ["dog"]}, "b"),
        result("keypointlabels", {"x": 50, "y": 50, "width": 1, "keypointlabels": ["nose"]},
               "c"),
        result("ellipselabels", {"x": 50, "y": 50, "radiusX": 10, "radiusY": 20,
                                 "rotation": 30, "ellipselabels": ["cat"]}, "d"))])
    ds, _ = load(path)
    item = only(ds)
    box, poly, point, ellipse = item.annotations
    assert isinstance(box, Bbox) and box.bounds() == [20, 20, 60, 40]
    assert "rotation" not in box.attributes and box.attributes["annotator"] == 3
    assert isinstance(poly, Polygon) and poly.points == [0, 0, 100, 0, 100, 50]
    assert isinstance(point, Points) and point.points == [100, 50] and point.visibility == [2]
    assert isinstance(ellipse, Ellipse) and (ellipse.cx, ellipse.cy, ellipse.rx, ellipse.ry) \
        == (100, 50, 20, 20) and ellipse.attributes["rotation"] == 30
    assert [ds.categories.name_of(a.label) for a in item.annotations] == \
        ["cat", "dog", "nose", "cat"]
    assert item.image.size == (H, W)
    assert item.id == "cat" and item.image.name == "cat.jpg"  # upload prefix cut


def test_rotation_about_the_top_left_corner_becomes_rotation_about_the_centre(tmp_path):
    path = write(tmp_path, [task(result("rectanglelabels", {
        "x": 50, "y": 50, "width": 10, "height": 20, "rotation": 90,
        "rectanglelabels": ["cat"]}))])
    box = only(load(path)[0]).annotations[0]
    # corner (100, 50) stays; a 20x20 px box turned 90 deg clockwise lies left of it
    corners = cococonv.geometry.box_corners(box)
    assert [round(v, 6) for v in corners[:2]] == [100, 50]
    assert box.attributes["rotation"] == 90 and (box.w, box.h) == (20, 20)
    assert math.isclose(box.x + box.w / 2, 90) and math.isclose(box.y + box.h / 2, 60)


def test_open_polygon_is_a_polyline(tmp_path):
    path = write(tmp_path, [task(result("polygonlabels", {
        "points": [[0, 0], [10, 10], [20, 0]], "closed": False, "polygonlabels": ["road"]}))])
    assert isinstance(only(load(path)[0]).annotations[0], Polyline)


def test_brush_rle_decoded_and_format_rle(tmp_path):
    mask = [[(x + y) % 3 == 0 for x in range(W)] for y in range(H)]
    import numpy as np
    rle = brush.encode(np.array(mask))
    path = write(tmp_path, [task(result("brushlabels", {"format": "rle", "rle": rle,
                                                        "brushlabels": ["sky"]}))])
    ann = only(load(path)[0]).annotations[0]
    assert isinstance(ann, Mask)
    assert M.decode(ann.rle).astype(bool).tolist() == mask


def test_tool_results_pair_with_labels_and_attributes_by_id(tmp_path):
    path = write(tmp_path, [task(
        result("rectangle", {"x": 0, "y": 0, "width": 10, "height": 10}, "a"),
        result("labels", {"x": 0, "y": 0, "width": 10, "height": 10, "labels": ["car"]}, "a",
               from_name="tag"),
        result("choices", {"choices": ["parked"]}, "a", from_name="parked"),
        result("choices", {"choices": ["red", "blue"]}, "a", from_name="colour"),
        result("textarea", {"text": ["note"]}, "a", from_name="comment"),
        result("number", {"number": 4}, "a", from_name="doors"),
        result("polygon", {"points": [[0, 0], [5, 0], [5, 5]]}, "b"),
        result("choices", {"choices": ["indoor"]}, "c", from_name="scene"),
        result("textarea", {"text": ["a car", "red"]}, "d", from_name="caption"))])
    item = only(load(path)[0])
    box, poly, tag, *captions = item.annotations
    assert box.label is not None and box.attributes == {
        "parked": True, "colour": "red, blue", "comment": "note", "doors": 4, "annotator": 3}
    assert isinstance(poly, Polygon) and poly.label is None
    assert isinstance(tag, Label)
    assert [c.caption for c in captions] == ["a car", "red"] and \
        all(isinstance(c, Caption) for c in captions)


def test_several_annotators_kept_apart_cancelled_skipped_predictions_on_request(tmp_path):
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "rectanglelabels": ["cat"]}
    path = write(tmp_path, [task(annotations=[
        {"completed_by": 1, "result": [result("rectanglelabels", box)]},
        {"completed_by": {"id": 2, "email": "b@x.org"}, "result": [
            result("rectanglelabels", box)]},
        {"completed_by": 4, "was_cancelled": True, "result": [result("rectanglelabels", box)]},
    ], predictions=[{"model_version": "yolo", "score": 0.75,
                     "result": [result("rectanglelabels", box)]}])])
    ds, report = load(path)
    assert [a.attributes["annotator"] for a in only(ds).annotations] == [1, "b@x.org"]
    lost = {what: n for (what, _), n in report.losses.items()}
    assert lost == {"annotations": 1, "predictions": 1}
    ds, _ = load(path, predictions=True)
    anns = only(ds).annotations
    assert anns[-1].attributes == {"annotator": "yolo", "score": 0.75}


def test_parent_id_groups_and_relations_attribute(tmp_path):
    path = write(tmp_path, [task(
        result("rectanglelabels", {"x": 0, "y": 0, "width": 50, "height": 50,
                                   "rectanglelabels": ["person"]}, "p"),
        result("keypointlabels", {"x": 5, "y": 5, "keypointlabels": ["nose"]}, "k",
               parentID="p"),
        result("rectanglelabels", {"x": 60, "y": 0, "width": 10, "height": 10,
                                   "rectanglelabels": ["ball"]}, "b"),
        {"type": "relation", "from_id": "p", "to_id": "b", "direction": "right",
         "labels": ["holds"]})])
    person, nose, ball = only(load(path)[0]).annotations
    assert person.group and person.group == nose.group and ball.group == 0
    assert person.attributes["relations"] == '[{"to":"b","labels":["holds"]}]'


def test_label_config_fixes_order_and_aliases(tmp_path):
    (tmp_path / "config.xml").write_text(
        '<View><Image name="img" value="$photo"/><RectangleLabels name="l" toName="img">'
        '<Label value="zebra"/><Label value="ant" alias="A"/></RectangleLabels></View>')
    path = write(tmp_path, [{"data": {"photo": "p.jpg"}, "annotations": [{"result": [
        result("rectanglelabels", {"x": 0, "y": 0, "width": 1, "height": 1,
                                   "rectanglelabels": ["A"]})]}]}])
    ds, _ = load(tmp_path)
    assert [c.name for c in ds.categories.labels] == ["zebra", "ant"]
    assert only(ds).annotations[0].label == 1 and only(ds).image.name == "p.jpg"
    ds, _ = load(path, config=str(tmp_path / "config.xml"))
    assert [c.name for c in ds.categories.labels] == ["zebra", "ant"]


def test_image_urls_map_inside_the_input_only(tmp_path):
    from PIL import Image as PILImage
    (tmp_path / "images").mkdir(parents=True)
    PILImage.new("RGB", (40, 30)).save(tmp_path / "images" / "b.png")
    no_size = {"id": "r", "type": "rectanglelabels", "from_name": "l", "to_name": "image",
               "value": {"x": 0, "y": 0, "width": 50, "height": 50,
                         "rectanglelabels": ["x"]}}
    urls = ["/data/local-files/?d=images%2Fb.png", "s3://bucket/data/images/b.png",
            "https://example.org/x/images/b.png", "../../../images/b.png"]
    tasks = [dict(task(no_size, image=u), id=k) for k, u in enumerate(urls)]
    ds, _ = load(write(tmp_path, tasks))
    for item in ds:
        assert item.image.path == str(tmp_path / "images" / "b.png")
        assert item.annotations[0].bounds() == [0, 0, 20, 15]  # size from the header


def test_missing_size_without_image_is_reported_not_guessed(tmp_path):
    no_size = {"id": "r", "type": "rectanglelabels", "value": {
        "x": 0, "y": 0, "width": 5, "height": 5, "rectanglelabels": ["x"]}}
    path = write(tmp_path, [task(no_size, image="/data/upload/1/gone.jpg")])
    with pytest.raises(DataError, match=r"export.json: \[0\].annotations\[0\]: no original"):
        load(path)
    ds, report = load(path, on_error="skip")
    assert len(ds) == 0 and len(report.skipped) == 1


BOX = {"x": 0, "y": 0, "width": 5, "height": 5, "rectanglelabels": ["x"]}


@pytest.mark.parametrize("bad,message", [
    ({"id": "r", "type": "rectanglelabels"}, r"result\[1\]: missing its 'value'"),
    (result("polygonlabels", {"points": [[1, 2], [3], [4, 5]], "polygonlabels": []}, "r2"),
     r"result\[1\]\.value\.points: point 1 is \[3\], not an \[x, y\] pair"),
    (result("rectanglelabels", dict(BOX, x="10%"), "r2"), r"result\[1\]\.value\.x: must be a number"),
    (result("vectorlabels", {}, "r2"), r"result\[1\]\.type: unknown result type 'vectorlabels'"),
    (result("brushlabels", {"format": "rle", "rle": [0, 0, 0, 9, 0, 0, 0],
                            "brushlabels": []}, "r2"), r"result\[1\]\.value\.rle: the brush RLE"),
    ({"type": "relation", "from_id": "r1", "to_id": "zz"}, r"result\[1\]: a relation"),
])
def test_bad_results_name_file_and_place(tmp_path, bad, message):
    path = write(tmp_path, [task(result("rectanglelabels", BOX, "r1"), bad)])
    with pytest.raises(DataError, match=r"export.json: \[0\]\.annotations\[0\]\." + message):
        load(path)
    ds, report = load(path, on_error="skip")
    assert len(report.skipped) == 1 and len(ds) == 0


def test_one_task_object_and_several_files_as_subsets(tmp_path):
    write(tmp_path / "one", task(result("rectanglelabels", BOX)))
    assert len(load(tmp_path / "one")[0]) == 1
    write(tmp_path / "two", [task(result("rectanglelabels", BOX))], "train.json")
    write(tmp_path / "two", [task(result("rectanglelabels", BOX))], "val.json")
    assert load(tmp_path / "two")[0].subsets == ["train", "val"]


def test_detect_claims_tasks_not_coco_or_other_json(tmp_path):
    write(tmp_path / "ls", [task(result("rectanglelabels", BOX))])
    write(tmp_path / "coco", {"images": [], "annotations": [], "categories": []})
    write(tmp_path / "other", {"data": [1, 2], "name": "x"})
    write(tmp_path / "labelme", {"version": "5", "shapes": [], "imagePath": "a.jpg"})
    assert cococonv.detect(str(tmp_path / "ls"))[0][0] == "label_studio"
    for name in ("coco", "other", "labelme"):
        assert "label_studio" not in [n for n, _ in cococonv.detect(str(tmp_path / name))]


def test_a_json_min_record_among_json_tasks_is_refused(tmp_path):
    # A whole JSON-MIN export is read (test_label_studio_json_min.py); one file of both is not.
    path = write(tmp_path, [task(result("rectanglelabels", BOX)),
                            {"image": "a.jpg", "id": 1, "annotator": "a@b.c",
                             "annotation_id": 2, "label": [dict(BOX, original_width=9,
                                                                original_height=9)]}])
    with pytest.raises(DataError, match=r"\[1\]: a JSON-MIN record among the tasks"):
        load(path)


def test_coordinates_far_outside_the_image_are_refused(tmp_path):
    path = write(tmp_path, [task(result("rectanglelabels", dict(BOX, x=1e8)))])
    with pytest.raises(DataError, match=r"result\[0\]\.value: x = .* too far outside"):
        load(path)


def test_records_without_their_author_are_kept_apart(tmp_path):
    box = result("rectanglelabels", BOX)
    path = write(tmp_path, [task(annotations=[{"id": 5, "result": [box]},
                                              {"id": 6, "result": [box]}])])
    anns = only(load(path)[0]).annotations
    assert [a.attributes["annotator"] for a in anns] == ["annotation 5", "annotation 6"]


def test_real_exports_read(tmp_path):
    from pathlib import Path
    data = Path(__file__).parents[1] / "data" / "label_studio"
    report = Report(quiet=True)
    kp = cococonv.load(str(data / "yolo_keypoints"), "label_studio", report=report)
    person, = [a for a in only(kp).annotations if isinstance(a, Bbox)]
    points = [a for a in only(kp).annotations if isinstance(a, Points)]
    assert len(points) == 3 and {p.group for p in points} == {person.group} != {0}
    assert kp.categories.labels[0].name == "nose"  # the config's order
    obb = cococonv.load(str(data / "yolo_obb"), "label_studio", report=report)
    assert sum(len(i.annotations) for i in obb) == 25
    assert [c.name for c in obb.categories.labels] == ["butterfly", "Butterfly"]
    assert any("not in the labeling config" in w for w in report.warnings)
