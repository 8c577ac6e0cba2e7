"""label_studio exporter: tasks Label Studio imports (percent, sizes, control names, ids,
brush RLE), a labeling config that declares them, annotators and predictions apart, and
a report line for everything Label Studio cannot hold."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

import cococonv
from cococonv import Report
from cococonv import masks as M
from cococonv.model import (Bbox, Caption, Categories, Dataset, Ellipse, Image, Item,
                            KeypointSchema, Label, Mask, Points, Polygon, Polyline)
from cococonv_plugins.label_studio import brush

DATA = Path(__file__).parents[1] / "data" / "label_studio"


def save(ds, out, **options):
    return cococonv.save(ds, "label_studio", str(out), report=Report(quiet=True), **options)


def dataset() -> Dataset:
    cats = Categories()
    car, person = cats.add("car"), cats.add("person", parent="human")
    cats.keypoints[person] = KeypointSchema(["a", "b", "c"], [[1, 2]])
    mask = np.zeros((50, 100), dtype=np.uint8)
    mask[10:20, 30:45] = 1
    anns = [
        Bbox(label=car, x=10, y=5, w=20, h=10, attributes={
            "rotation": 30.0, "occluded": True, "parked": False, "doors": 4, "color": "red",
            "annotator": 1}),
        Polygon(label=person, points=[0, 0, 50, 0, 50, 25], group=3),
        Polyline(label=car, points=[0, 0, 10, 10, 20, 0], group=3),
        Points(label=person, points=[1, 2, 3, 4, 5, 6], visibility=[2, 1, 0]),
        Ellipse(label=car, cx=50, cy=25, rx=10, ry=5, attributes={"annotator": 2}),
        Mask(label=car, rle=M.encode(mask), attributes={"is_crowd": True}),
        Label(label=person), Caption(caption="a car"),
    ]
    return Dataset(cats, [Item("a", image=Image("pics/a.jpg", (50, 100)), annotations=anns,
                               attributes={"id": 12})])


def test_tasks_in_percent_with_sizes_types_and_ids(tmp_path):
    report = save(dataset(), tmp_path / "out")
    (task,) = json.loads((tmp_path / "out" / "default.json").read_text())
    assert task["data"] == {"image": "pics/a.jpg"} and task["meta"] == {"id": 12}
    by_who = {r.get("completed_by"): r["result"] for r in task["annotations"]}
    assert set(by_who) == {1, 2, None}
    box = by_who[1][0]
    assert box["type"] == "rectanglelabels" and box["from_name"] == "rect_labels"
    assert box["to_name"] == "image" and (box["original_width"], box["original_height"]) \
        == (100, 50)
    v = box["value"]
    # the top-left corner the box turns about: centre (20, 10) minus the turned half sizes
    a = math.radians(30)
    assert math.isclose(v["x"], 20 - 10 * math.cos(a) + 5 * math.sin(a))
    assert math.isclose(v["y"] * 0.5, 10 - 10 * math.sin(a) - 5 * math.cos(a))
    assert (v["width"], v["height"], v["rotation"]) == (20, 20, 30)
    attrs = {r["from_name"]: r["value"] for r in by_who[1][1:] if r["id"] == box["id"]}
    assert attrs == {"occluded": {"choices": ["occluded"]}, "doors": {"number": 4},
                     "color": {"text": ["red"]}}  # parked=False unsaid
    rest = by_who[None]
    kinds = [r["type"] for r in rest]
    assert kinds.count("keypointlabels") == 2  # the v=0 point is not written
    poly, line = [r for r in rest if r["type"] == "polygonlabels"]
    assert poly["value"]["points"][1] == [50, 0] and line["value"]["closed"] is False
    assert line["parentID"] == poly["id"]  # one group
    regions = [r for r in rest if r["type"].endswith("labels") and r["type"] != "labels"]
    assert len({r["id"] for r in regions}) == len(regions) == 5
    brush_result = next(r for r in rest if r["type"] == "brushlabels")
    decoded = brush.decode(brush_result["value"]["rle"], 50, 100)
    assert decoded.sum() == 150 and decoded[10:20, 30:45].all()
    assert {"type": "choices", "value": {"choices": ["person"]}}.items() <= next(
        r for r in rest if r.get("from_name") == "image_tags").items()
    lost = {what for what, _why in report.losses}
    approx = {what for what, _how in report.approximations}
    assert {"keypoint skeletons", "keypoints", "label supercategories"} <= lost
    assert {"keypoints", "polylines"} <= approx


def test_labeling_config_declares_every_control_used(tmp_path):
    save(dataset(), tmp_path / "out")
    root = etree.fromstring((tmp_path / "out" / "labeling_config.xml").read_bytes())
    names = {e.get("name"): e.tag for e in root}
    assert names["image"] == "Image" and root[0].get("value") == "$image"
    for name, tag in [("rect_labels", "RectangleLabels"), ("polygon_labels", "PolygonLabels"),
                      ("keypoint_labels", "KeyPointLabels"), ("ellipse_labels", "EllipseLabels"),
                      ("brush_labels", "BrushLabels"), ("image_tags", "Choices"),
                      ("caption", "TextArea"), ("doors", "Number"), ("color", "TextArea"),
                      ("occluded", "Choices"), ("is_crowd", "Choices")]:
        assert names[name] == tag
    assert [e.get("value") for e in root.find("RectangleLabels")] == ["car", "person"]
    assert root.find("Choices[@name='occluded']").get("perRegion") == "true"


def test_label_studio_round_trip_keeps_every_value_of_real_exports(tmp_path):
    for folder in ("coco_export", "yolo_obb", "yolo_keypoints", "yolo_polygons"):
        src = DATA / folder
        ds = cococonv.load(str(src), "label_studio", report=Report(quiet=True))
        save(ds, tmp_path / folder)
        (source,) = src.glob("*.json")
        before = json.loads(source.read_text())
        after = json.loads((tmp_path / folder / "default.json").read_text())
        assert len(before) == len(after)
        for old, new in zip(before, after):
            assert {k: v for k, v in old.items() if k != "annotations"} == \
                {k: v for k, v in new.items() if k != "annotations"}
            for a, b in zip(old["annotations"], new["annotations"]):
                assert {k: v for k, v in a.items() if k != "result"} == \
                    {k: v for k, v in b.items() if k != "result"}
                assert _results(a["result"]) == _results(b["result"]), folder


def _results(results):
    """Results by id (relations as a set), numbers rounded to 9 places."""
    def norm(value):
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items() if k != "closed"}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value
    regions = {(r["id"], r["type"]): norm(r) for r in results if r["type"] != "relation"}
    relations = {json.dumps(r, sort_keys=True) for r in results if r["type"] == "relation"}
    return regions, relations


def test_predictions_written_back_as_predictions(tmp_path):
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "rectanglelabels": ["cat"]}
    result = {"id": "p1", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
              "original_width": 10, "original_height": 10, "value": box}
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.json").write_text(json.dumps([{"data": {"image": "a.jpg"}, "annotations": [],
                                             "predictions": [{"model_version": "m", "score": 0.5,
                                                              "result": [result]}]}]))
    ds = cococonv.load(str(src), "label_studio", predictions=True, report=Report(quiet=True))
    save(ds, tmp_path / "out")
    (task,) = json.loads((tmp_path / "out" / "default.json").read_text())
    assert task["annotations"] == []
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "m" and prediction["score"] == 0.5
    assert prediction["result"][0]["score"] == 0.5
    assert prediction["result"][0]["value"]["rectanglelabels"] == ["cat"]


def test_item_without_size_reports_its_shapes(tmp_path):
    cats = Categories()
    cats.add("car")
    ds = Dataset(cats, [Item("a", image=Image("a.jpg"), annotations=[
        Bbox(label=0, x=1, y=1, w=2, h=2), Label(label=0)])])
    report = save(ds, tmp_path / "out")
    assert report.losses[("annotations", "no image size to turn pixels into percent")] == 1
    (task,) = json.loads((tmp_path / "out" / "default.json").read_text())
    assert [r["type"] for r in task["annotations"][0]["result"]] == ["choices"]


def test_image_prefix_for_local_file_storage(tmp_path):
    save(dataset(), tmp_path / "out", image_prefix="/data/local-files/?d=")
    (task,) = json.loads((tmp_path / "out" / "default.json").read_text())
    assert task["data"]["image"] == "/data/local-files/?d=pics/a.jpg"


def test_label_studio_to_coco_to_cvat_carries_shapes_and_reports_the_rest(tmp_path):
    from click.testing import CliRunner
    from cococonv.cli import cli

    src, coco, out = tmp_path / "ls", tmp_path / "coco", tmp_path / "cvat"
    save(dataset(), src)
    run = CliRunner().invoke(cli, ["convert", "-i", str(src), "-f", "coco", "-o", str(coco)])
    assert run.exit_code == 0, run.output
    for line in ("polylines", "rotated boxes", "ellipses", "annotations' label_studio fields ("):
        assert line in run.stderr
    run = CliRunner().invoke(cli, ["convert", "-i", str(coco), "-f", "cvat", "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "captions" in run.stderr
    image = etree.fromstring((out / "annotations.xml").read_bytes()).find("image")
    # COCO turned the rotated box and the ellipse into polygons and lost the polyline;
    # the mask, keypoints, polygon, image label and attributes reach CVAT
    assert sorted(e.tag for e in image) == ["mask", "points", "polygon", "polygon",
                                            "polygon", "tag"]
    names = {a.get("name") for e in image for a in e.findall("attribute")}
    assert {"annotator", "doors", "color", "is_crowd"} <= names


def test_example_round_trip_keeps_records_raw_records_and_controls(tmp_path):
    src = Path(__file__).parents[2] / "examples" / "label_studio_small"
    for predictions in (True, False):
        out = tmp_path / f"out{predictions}"
        ds = cococonv.load(str(src), "label_studio", predictions=predictions,
                           report=Report(quiet=True))
        save(ds, out)
        before = json.loads((src / "project-1-export.json").read_text())
        after = json.loads((out / "default.json").read_text())
        street, park = before
        assert _merged(after[0]) == _merged(street)  # cancelled record, prediction kept
        # a polygon tool paired with a labels result is written as one polygonlabels
        (tree,) = [r for r in after[1]["annotations"][0]["result"] if r["id"] == "tree"]
        assert tree["type"] == "polygonlabels" and tree["value"]["polygonlabels"] == ["tree"]
        config = (out / "labeling_config.xml").read_text()
        for control in ('name="label"', 'name="scene"', 'name="caption"', 'name="parked"',
                        'name="colour"', 'name="brush"', 'name="points"', 'name="sun"'):
            assert control in config


def _merged(task):
    """``task`` with its results as ``_results`` compares them."""
    import copy
    task = copy.deepcopy(task)
    for record in task["annotations"] + task["predictions"]:
        record["result"] = _results(record["result"])
    return task


def test_rotated_boxes_and_ellipses_come_back(tmp_path):
    from cococonv.comparison import compare

    cats = Categories()
    cats.add("car")
    anns = [Bbox(label=0, x=5 + k, y=7, w=12, h=4 + k, attributes={"rotation": 37.0 * k})
            for k in range(1, 9)]
    anns += [Ellipse(label=0, cx=30, cy=20, rx=6, ry=3, attributes={"rotation": 200.0})]
    ds = Dataset(cats, [Item("a", image=Image("a.jpg", (48, 64)), annotations=anns)])
    save(ds, tmp_path / "out")
    back = cococonv.load(str(tmp_path / "out"), "label_studio", report=Report(quiet=True))
    assert compare(ds, back) == {}
