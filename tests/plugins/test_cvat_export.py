"""CVAT exporter: same-format round trips keep the XML's meaning; other sources map and report."""
from __future__ import annotations

import json

import numpy as np
import pytest
from lxml import etree

import cococonv
from cococonv import Report
from cococonv import masks as M
from cococonv.model import (Bbox, Caption, Categories, Dataset, Image, Item, KeypointSchema,
                            Label, Mask, Points, Polygon)

from ..builders import coco_ann, coco_doc, write_coco
from .test_cvat_import import cvat_xml

ROUND_TRIP = [
    "datumaro/cvat_dataset/for_images/export_task",
    "datumaro/cvat_dataset/for_images/export_project",
    "cvat-ai-datumaro/cvat_dataset/for_images",
    "2label/cvat1.1",
    "docling-eval/cvat_pdfs_dataset_e2e",
]
_NUMERIC = {"xtl", "ytl", "xbr", "ybr", "cx", "cy", "rx", "ry", "rotation", "z_order",
            "occluded", "outside", "group_id", "left", "top", "width", "height", "id"}
_DEFAULTS = {"occluded": 0.0, "z_order": 0.0}


def _shape(elem) -> tuple:
    attrs = dict(elem.attrib)
    for key, default in _DEFAULTS.items():
        if elem.tag not in ("tag", "image"):
            attrs.setdefault(key, default)
    norm = {}
    for key, value in attrs.items():
        if key in _NUMERIC:
            norm[key] = float(value)
        elif key == "points" and value:
            norm[key] = tuple(float(v) for v in value.replace(";", ",").split(","))
        elif key == "rle":
            norm[key] = tuple(int(v) for v in value.split(","))
        else:
            norm[key] = value
    children = tuple(_shape(child) for child in elem if child.tag != "attribute")
    attributes = tuple((c.get("name"), (c.text or "").strip()) for c in elem
                       if c.tag == "attribute")
    return elem.tag, tuple(sorted(norm.items())), attributes, children


def _meta(elem) -> tuple:
    children = [c for c in elem if isinstance(c.tag, str)]
    if not children:
        return elem.tag, (elem.text or "").strip()
    return elem.tag, tuple(_meta(c) for c in children)


def semantics(path) -> dict:
    """What a CVAT XML says, with CVAT's defaults filled and numbers compared as numbers."""
    root = etree.parse(str(path)).getroot()
    return {
        "version": root.findtext("version"),
        "meta": _meta(root.find("meta")),
        "images": [_shape(image) for image in root.iter("image")],
    }


def _xml_of(folder):
    (found,) = [p for p in folder.iterdir() if p.suffix == ".xml"]
    return found


@pytest.mark.parametrize("rel", ROUND_TRIP)
def test_cvat_round_trip_keeps_the_xml_meaning(fixtures_root, tmp_path, rel):
    report = Report(quiet=True)
    cococonv.convert(str(fixtures_root / rel), str(tmp_path / "out"), output_format="cvat",
                     report=report)
    assert not report.has_losses, report.table()
    before = semantics(_xml_of(fixtures_root / rel))
    after = semantics(tmp_path / "out" / "annotations.xml")
    assert after["version"] == before["version"]
    assert after["meta"] == before["meta"]
    assert after["images"] == before["images"]


def test_cvat_round_trip_is_stable_for_video_exports(fixtures_root, tmp_path):
    first = cococonv.load(str(fixtures_root / "cvat-ai-datumaro/cvat_dataset/for_video"))
    cococonv.save(first, "cvat", str(tmp_path / "a"))
    again = cococonv.load(str(tmp_path / "a"))
    cococonv.save(again, "cvat", str(tmp_path / "b"))
    assert semantics(tmp_path / "a" / "annotations.xml") == \
        semantics(tmp_path / "b" / "annotations.xml")
    assert [(i.id, i.attributes["frame"]) for i in again] == [
        ("frame_000010", 10), ("frame_000013", 13), ("frame_000016", 16)]
    skeleton = [a for a in again.get("default", "frame_000013").annotations if a.label == 3][0]
    assert skeleton.visibility == [2, 2, 0, 2] and skeleton.attributes["track_id"] == 3


def test_cvat_mask_round_trip_writes_the_same_runs(tmp_path):
    body = ('<mask label="car" occluded="0" rle="1, 4, 1" left="2" top="1" width="3" '
            'height="2" z_order="0"/>')
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.xml").write_text(cvat_xml(body))
    cococonv.convert(str(tmp_path / "in"), str(tmp_path / "out"), output_format="cvat")
    (mask,) = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot().iter("mask")
    assert (mask.get("rle"), mask.get("left"), mask.get("top"), mask.get("width"),
            mask.get("height")) == ("1, 4, 1", "2", "1", "3", "2")


def _coco_dataset() -> Dataset:
    cats = Categories()
    cats.add("person", id=1)
    cats.add("crowd", id=2)
    cats.keypoints[0] = KeypointSchema(["nose", "eye", "ear"], [[1, 2], [2, 3]])
    array = np.zeros((6, 8), dtype=np.uint8)
    array[2:5, 3:6] = 1
    array[3, 4] = 0  # a hole
    crowd = M.encode_uncompressed(array)
    item = Item("a", "train", Image("a.jpg", (6, 8)), [
        Points(id=7, label=0, group=1, points=[1, 2, 3, 4, 5, 6], visibility=[2, 1, 0]),
        Bbox(id=7, label=0, group=1, x=0.5, y=1, w=5.25, h=4),
        Mask(id=8, label=1, rle=crowd, attributes={"is_crowd": True}),
        Caption(id=9, caption="two things"),
        Label(label=1, attributes={"score": 0.75, "seen": True, "note": "x"}),
    ], {"id": 12})
    return Dataset(cats, [item])


def test_cvat_export_from_coco_like_model_maps_every_kind(tmp_path):
    dataset = _coco_dataset()
    report = cococonv.save(dataset, "cvat", str(tmp_path / "out"), report=Report(quiet=True))
    assert sorted(report.losses.items()) == [
        (("annotation ids", "CVAT for images has no annotation ids"), 3),
        (("captions", "CVAT has no captions"), 1),
        (("image ids and fields", "CVAT numbers images by frame and keeps no other image "
                                  "fields (e.g. COCO image id, license)"), 1)]
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()
    labels = [(lab.findtext("name"), lab.findtext("type"), lab.findtext("parent"))
              for lab in root.iter("label")]
    assert labels == [("person", "skeleton", None), ("nose", "points", "person"),
                      ("eye", "points", "person"), ("ear", "points", "person"),
                      ("crowd", None, None)]
    declared = [(a.findtext("name"), a.findtext("input_type"))
                for a in root.find("meta/task/labels").iter("attribute")]
    assert declared == [("is_crowd", "checkbox"), ("score", "number"), ("seen", "checkbox"),
                        ("note", "text")]
    (image,) = root.iter("image")
    assert dict(image.attrib) == {"id": "0", "name": "a.jpg", "width": "8", "height": "6"}
    assert root.findtext("meta/task/subset") == "train"  # one subset: said once, in the meta
    assert [child.tag for child in image] == ["skeleton", "box", "mask", "tag"]
    nodes = [(p.get("label"), p.get("points"), p.get("occluded"), p.get("outside"))
             for p in image.find("skeleton")]
    assert nodes == [("nose", "1,2", "0", "0"), ("eye", "3,4", "1", "0"),
                     ("ear", "5,6", "0", "1")]
    assert image.find("skeleton").get("group_id") == image.find("box").get("group_id") == "1"
    box = image.find("box")
    assert (box.get("xtl"), box.get("ytl"), box.get("xbr"), box.get("ybr")) == \
        ("0.5", "1", "5.75", "5")
    assert [(a.get("name"), a.text) for a in image.find("tag")] == [
        ("score", "0.75"), ("seen", "true"), ("note", "x")]
    # the crowd mask comes back with the same pixels, hole included
    again = cococonv.load(str(tmp_path / "out"))
    mask = next(a for a in again.get("train", "a").annotations if isinstance(a, Mask))
    assert (M.decode(mask.rle) == M.decode(dataset.get("train", "a").annotations[2].rle)).all()
    assert mask.attributes.get("is_crowd") is True
    skeleton = next(a for a in again.get("train", "a").annotations if isinstance(a, Points))
    assert skeleton.visibility == [2, 1, 0]
    assert again.categories.keypoints[0].skeleton == [[1, 2], [2, 3]]
    tag = next(a for a in again.get("train", "a").annotations if isinstance(a, Label))
    assert tag.attributes == {"score": 0.75, "seen": True, "note": "x"}


def test_cvat_export_without_undeclared_attributes_drops_and_counts(tmp_path):
    report = cococonv.save(_coco_dataset(), "cvat", str(tmp_path / "out"),
                           allow_undeclared_attributes=False, report=Report(quiet=True))
    assert report.losses[("undeclared attributes", "--no-allow-undeclared-attributes")] == 4
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()
    assert list(root.iter("attribute")) == []


def test_cvat_export_reindex_numbers_frames_from_zero(fixtures_root, tmp_path):
    dataset = cococonv.load(str(fixtures_root / "datumaro/cvat_dataset/for_images/"
                                                "export_project"))
    cococonv.save(dataset, "cvat", str(tmp_path / "kept"))
    cococonv.save(dataset, "cvat", str(tmp_path / "new"), reindex=True)
    ids = [i.get("id") for i in etree.parse(str(tmp_path / "kept/annotations.xml")).iter("image")]
    assert ids == ["0", "1"] * 3
    ids = [i.get("id") for i in etree.parse(str(tmp_path / "new/annotations.xml")).iter("image")]
    assert ids == [str(n) for n in range(6)]


def test_cvat_export_saves_images_per_subset_byte_for_byte(fixtures_root, tmp_path):
    src = fixtures_root / "datumaro/cvat_dataset/for_images/export_project"
    cococonv.convert(str(src), str(tmp_path / "out"), output_format="cvat",
                     output_options={"save_images": True})
    for subset in ("Test", "Train", "Validation"):
        assert (tmp_path / "out/images" / subset / "img1.jpg").read_bytes() == \
            (src / "images" / subset / "img1.jpg").read_bytes()
    again = cococonv.load(str(tmp_path / "out"))
    assert again.get("Train", "img0").image.path.endswith("images/Train/img0.jpg")


def test_cvat_export_image_ext_renames_and_reencodes(fixtures_root, tmp_path):
    src = fixtures_root / "datumaro/cvat_dataset/for_images/export_task"
    cococonv.convert(str(src), str(tmp_path / "out"), output_format="cvat",
                     output_options={"save_images": True, "image_ext": "png"})
    names = [i.get("name") for i in etree.parse(str(tmp_path / "out/annotations.xml"))
             .iter("image")]
    assert names == ["img0.png", "img1.png"]
    assert (tmp_path / "out/images/img0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cvat_export_to_a_single_xml_file(fixtures_root, tmp_path, runner, cli):
    src = fixtures_root / "2label/cvat1.1"
    result = runner.invoke(cli, ["convert", "-i", str(src), "-f", "cvat", "-o",
                                 str(tmp_path / "task.xml")])
    assert result.exit_code == 0, result.stderr
    assert semantics(tmp_path / "task.xml")["images"] == \
        semantics(src / "annotations.xml")["images"]


def test_cvat_to_coco_reports_ellipses_and_polylines(fixtures_root, tmp_path, runner, cli):
    result = runner.invoke(cli, ["convert", "-if", "cvat", "-i",
                                 str(fixtures_root / "2label/cvat1.1"), "-f", "coco", "-o",
                                 str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"what": "polylines", "why": "COCO has no open lines", "count": 2} in report["lost"]
    assert {"what": "ellipses", "how": "written as 64-point polygons", "count": 2} in \
        report["approximated"]
    doc = json.loads((tmp_path / "out/annotations/instances_Test.json").read_text())
    assert len(doc["images"]) == 4 and len(doc["annotations"]) == 23


def test_coco_keypoints_to_cvat_become_skeletons(tmp_path):
    doc = coco_doc(
        categories=[{"id": 1, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]}],
        annotations=[coco_ann(keypoints=[5, 6, 0, 7.5, 8, 2], num_keypoints=1)])
    write_coco(tmp_path / "in", {"person_keypoints_train": doc})
    cococonv.convert(str(tmp_path / "in"), str(tmp_path / "out"), output_format="cvat")
    dataset = cococonv.load(str(tmp_path / "out"))
    assert dataset.categories.keypoints[0].names == ["a", "b"]
    assert dataset.categories.keypoints[0].skeleton == [[1, 2]]
    kinds = [type(a) for a in dataset.get("train", "a").annotations]
    assert kinds == [Points, Polygon]
    points = dataset.get("train", "a").annotations[0]
    assert points.points == [5, 6, 7.5, 8] and points.visibility == [0, 2]


def _jobs_dataset(image_dir) -> Dataset:
    """Every shape kind CVAT writes, losses and approximations, clashing frames, several
    subsets, images on disk and an item XML cannot hold, over enough items to fork."""
    from cococonv.engine import CHUNK
    from cococonv.model import Ellipse, LabelCategory, Polyline

    from ..builders import png

    cats = Categories([LabelCategory("car"), LabelCategory("person")])
    cats.keypoints[1] = KeypointSchema(["nose", "eye", "ear"], [[1, 2], [2, 3]])
    image_dir.mkdir()
    items = []
    for k in range(2 * CHUNK + 172):
        anns = [Bbox(label=0, x=k % 7, y=1, w=3.5, h=4, z_order=k % 3, id=k,
                     attributes={"rotation": 15.0 * (k % 4), "speed": k % 5,
                                 "parked": k % 2 == 0}),
                Polygon(label=0, points=[0, 0, 4, 0, 4, 3 + k % 2], group=k % 4),
                Polyline(label=1, points=[1, 1, 2, 2.25]),
                Ellipse(label=0, cx=5, cy=5, rx=2, ry=1 + k % 3),
                Points(label=1, points=[1, 2, 3, 4] if k % 5 else [1, 2, 3, 4, 5, 6, 7, 8],
                       visibility=[2, 1] if k % 5 else [2, 2, 0, 2])]
        if k % 9 == 0:
            anns.append(Mask(label=0, rle=M.encode(np.eye(8, 10, dtype=np.uint8))))
        if k % 10 == 0:
            anns += [Caption(caption="a car"), Label(label=1, attributes={"mood": "calm"})]
        if k == 150:
            anns.append(Label(label=0, attributes={"note": "bad\x01value"}))
        image = Image(f"img{k:03d}.jpg", (8, 10))
        if k % 17 == 0:
            path = image_dir / f"img{k:03d}.png"
            path.write_bytes(png(np.full((8, 10), k % 200), palette=False))
            image = Image(f"img{k:03d}.png", (8, 10), path=str(path))
        frame = k // 2 if k % 6 else k  # clashes: new frames are numbered past the largest
        items.append(Item(f"img{k:03d}", "train" if k % 3 else "val", image, anns,
                          {"frame": frame}))
    return Dataset(cats, items)


@pytest.mark.parametrize("options", [{}, {"save_images": True, "reindex": True},
                                     {"allow_undeclared_attributes": False}])
def test_cvat_export_jobs_give_the_same_bytes_and_report(tmp_path, options):
    """--jobs 2 forks workers for the <image> pieces: the same bytes, and the same report
    entries in the same order, as one process."""
    data = _jobs_dataset(tmp_path / "src")
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        report = cococonv.save(data, "cvat", str(out), report=Report("skip", quiet=True),
                               jobs=jobs, **options)
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                 if p.is_file()}
        results[jobs] = (files, list(report.losses.items()),
                         list(report.approximations.items()), report.skipped,
                         report.warnings)
    assert results[1] == results[2]
    files, losses, approximations, skipped, _warnings = results[1]
    dropped = options.get("allow_undeclared_attributes", True)  # off: dropped as undeclared
    assert files["annotations.xml"].count(b"<image ") == len(data) - dropped
    assert len(skipped) == dropped and all("'img150'" in line for line in skipped)
    assert {what for (what, _why), _n in losses} >= {"captions", "annotation ids"}
    assert approximations
    assert len([f for f in files if f.startswith("images/")]) == \
        (len(range(0, len(data), 17)) if options.get("save_images") else 0)
