"""VOC exporter: boxes to XML, shapes painted into PNGs, losses reported."""
from __future__ import annotations

import numpy as np
import pytest
from lxml import etree
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.model import (Bbox, Caption, Categories, Dataset, Ellipse, Image, Item, Label,
                            LabelCategory, Mask, Points, Polygon, Polyline)
from cococonv.report import Report

H, W = 40, 50
SQUARE = [5.0, 5.0, 25.0, 5.0, 25.0, 25.0, 5.0, 25.0]
OVERLAP = [15.0, 15.0, 35.0, 15.0, 35.0, 35.0, 15.0, 35.0]


def dataset(*annotations, labels=("cat", "dog"), size=(H, W)) -> Dataset:
    categories = Categories([LabelCategory(name) for name in labels])
    item = Item("a", "train", Image("a.jpg", size), list(annotations))
    return Dataset(categories, [item])


def export(tmp_path, data, fmt="voc", **options):
    report = cococonv.save(data, fmt, str(tmp_path / "out"), report=Report(quiet=True),
                           **options)
    return tmp_path / "out", report


def read_png(path):
    return np.asarray(PILImage.open(path))


def objects(root):
    xml = etree.parse(str(root / "Annotations" / "a.xml")).getroot()
    found = []
    for obj in xml.iter("object"):
        box = obj.find("bndbox")
        found.append((obj.findtext("name"),
                      [box.findtext(t) for t in ("xmin", "ymin", "xmax", "ymax")]))
    return found


def test_voc_export_paints_polygons_in_z_order_and_checks_against_pycocotools(tmp_path):
    top = Polygon(label=1, points=OVERLAP, z_order=1)
    bottom = Polygon(label=0, points=SQUARE)
    root, report = export(tmp_path, dataset(top, bottom))
    classes = read_png(root / "SegmentationClass" / "a.png")
    instances = read_png(root / "SegmentationObject" / "a.png")
    cat = masks.decode(masks.polygons_to_rle([SQUARE], H, W)).astype(bool)
    dog = masks.decode(masks.polygons_to_rle([OVERLAP], H, W)).astype(bool)
    expected = np.zeros((H, W), np.uint8)
    expected[cat] = 1  # background is inserted at index 0
    expected[dog] = 2  # higher z_order on top
    assert np.array_equal(classes, expected)
    # instance N is the N-th XML object, whose box comes from its polygon (+1: 1-based)
    assert objects(root) == [("dog", ["16.0", "16.0", "36.0", "36.0"]),
                             ("cat", ["6.0", "6.0", "26.0", "26.0"])]
    assert set(np.unique(instances[dog])) == {1} and set(np.unique(instances[cat & ~dog])) == {2}
    # beside masks every colour is spelled out and void declared, as Datumaro needs
    assert (root / "labelmap.txt").read_text().splitlines()[1:] == [
        "background:0,0,0::", "cat:128,0,0::", "dog:0,128,0::", "ignored:224,224,192::"]
    assert ("polygons", "rasterized into the masks") in report.approximations


def test_voc_export_masks_ellipses_and_crowd_void(tmp_path):
    rle = masks.encode(np.pad(np.ones((4, 4), np.uint8), ((0, H - 4), (0, W - 4))))
    crowd = Mask(label=0, rle=masks.polygons_to_rle([OVERLAP], H, W),
                 attributes={"is_crowd": True})
    ellipse = Ellipse(label=1, cx=40, cy=30, rx=5, ry=3)
    root, report = export(tmp_path, dataset(Mask(label=0, rle=rle), crowd, ellipse))
    classes = read_png(root / "SegmentationClass" / "a.png")
    assert np.array_equal(classes[:4, :4], np.ones((4, 4)))
    assert (classes[masks.decode(crowd.rle).astype(bool)] == 255).all()
    from cococonv.geometry import rasterize
    painted = masks.decode(rasterize([ellipse], H, W)).astype(bool)
    assert (classes[painted] == 2).all()
    assert [name for name, _ in objects(root)] == ["cat", "dog"]  # crowd: no XML object
    assert report.approximations[("ellipses", "rasterized into the masks")] == 1
    assert report.approximations[("crowd regions", "painted as void (255) in the masks")] == 1


def test_voc_export_reports_what_voc_cannot_hold(tmp_path):
    data = dataset(Bbox(label=0, x=1, y=1, w=2, h=2),
                   Points(label=0, points=[1, 1], visibility=[2]),
                   Caption(caption="hi"), Polyline(label=1, points=[0, 0, 5, 5]))
    _, report = export(tmp_path, data)
    assert report.losses == {("keypoints", "VOC has no keypoints"): 1,
                             ("captions", "VOC has no captions"): 1,
                             ("polylines", "VOC has no open lines"): 1}


def test_voc_export_writes_attributes_typed_and_drops_them_on_request(tmp_path):
    box = Bbox(label=0, x=0, y=0, w=1, h=1,
               attributes={"difficult": True, "score": 0.5, "moving": False, "n": 3})
    root, _ = export(tmp_path, dataset(box))
    obj = etree.parse(str(root / "Annotations" / "a.xml")).getroot().find("object")
    assert obj.findtext("difficult") == "1" and obj.findtext("truncated") == "0"
    values = {a.findtext("name"): a.findtext("value") for a in obj.iter("attribute")}
    assert values == {"score": "0.5", "moving": "false", "n": "3"}
    back = cococonv.load(str(root), "voc").get("train", "a").annotations[0]
    assert back.attributes == {"difficult": True, "truncated": False, "score": 0.5,
                               "moving": False, "n": 3}
    _, report = export(tmp_path / "again", dataset(box), allow_attributes=False)
    assert report.losses[("object attributes", "--no-allow-attributes")] == 3


@pytest.mark.parametrize("mode, expected", [("one-based", ["2.5", "3", "6.5", "7"]),
                                            ("zero-based", ["1.5", "2", "5.5", "6"])])
def test_voc_export_coordinate_modes(tmp_path, mode, expected):
    root, _ = export(tmp_path, dataset(Bbox(label=0, x=1.5, y=2, w=4.0, h=4)),
                     coordinate_mode=mode)
    assert objects(root) == [("cat", expected)]
    back = cococonv.load(str(root), "voc", coordinate_mode=mode).get("train", "a")
    box = back.annotations[0]
    assert (box.x, box.y, box.w, box.h) == (1.5, 2, 4.0, 4)


def test_voc_export_label_map_voc_reports_foreign_labels(tmp_path):
    data = dataset(Bbox(label=0, x=0, y=0, w=1, h=1), Bbox(label=1, x=0, y=0, w=1, h=1),
                   labels=("cat", "gizmo"))
    root, report = export(tmp_path, data, label_map="voc")
    assert not (root / "labelmap.txt").exists()
    assert [name for name, _ in objects(root)] == ["cat"]
    assert report.losses == {("annotations of labels not in the label map (gizmo)",
                              "--label-map voc"): 1}


def test_voc_export_label_map_file_sets_indices_and_colours(tmp_path):
    labelmap = tmp_path / "map.txt"
    labelmap.write_text("background:0,0,0::\ndog:10,20,30::\ncat:40,50,60::\n")
    data = dataset(Polygon(label=0, points=SQUARE))
    root, _ = export(tmp_path, data, label_map=str(labelmap))
    image = PILImage.open(root / "SegmentationClass" / "a.png")
    assert image.getpalette()[6:9] == [40, 50, 60]
    assert set(np.unique(np.asarray(image))) == {0, 2}


def test_voc_export_grayscale_without_colormap_and_tasks_option(tmp_path):
    data = dataset(Polygon(label=0, points=SQUARE), Label(label=1))
    root, _ = export(tmp_path, data, apply_colormap=False)
    assert PILImage.open(root / "SegmentationClass" / "a.png").mode == "L"
    assert (root / "ImageSets" / "Main" / "dog_train.txt").read_text() == "a  1\n"
    assert (root / "ImageSets" / "Main" / "cat_train.txt").read_text() == "a -1\n"
    root, report = export(tmp_path / "det", data, tasks="detection")
    assert not (root / "SegmentationClass").exists()
    assert report.losses[("image labels", "classification is not written")] == 1
    assert objects(root) == [("cat", ["6.0", "6.0", "26.0", "26.0"])]


def test_voc_segmentation_exporter_keep_empty_writes_every_item(tmp_path):
    data = dataset(Polygon(label=0, points=SQUARE))
    data.add(Item("b", "train", Image("b.jpg", (H, W)), []))
    root, _ = export(tmp_path, data, "voc_segmentation")
    assert (root / "ImageSets" / "Segmentation" / "train.txt").read_text() == "a\n"
    assert not (root / "Annotations").exists()
    root, _ = export(tmp_path / "keep", data, "voc_segmentation", keep_empty=True)
    assert (root / "ImageSets" / "Segmentation" / "train.txt").read_text() == "a\nb\n"
    assert not read_png(root / "SegmentationClass" / "b.png").any()


def test_voc_export_saves_images_byte_for_byte(tmp_path, fixtures_root):
    source = fixtures_root / "datumaro/voc_dataset/voc_dataset1"
    data = cococonv.load(str(source), "voc", report=Report(quiet=True))
    root, _ = export(tmp_path, data, save_images=True)
    assert (root / "JPEGImages/2007_000001.jpg").read_bytes() == \
        (source / "JPEGImages/2007_000001.jpg").read_bytes()


def test_coco_to_voc_cli_round_trip(tmp_path, runner, cli, fixtures_root):
    coco = fixtures_root / "datumaro/coco_dataset/coco_instances"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(coco), "-f", "voc",
                                 "-o", str(tmp_path / "voc"), "--", "--coordinate-mode",
                                 "zero-based"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    back = cococonv.load(str(tmp_path / "voc"), "voc", coordinate_mode="zero-based")
    coco_data = cococonv.load(str(coco), "coco")
    assert len(back) == len(coco_data)
    coco_boxes = sorted(tuple(a.bounds() if isinstance(a, Bbox) else a.declared_bbox)
                        for i in coco_data for a in i.annotations
                        if not a.attributes.get("is_crowd"))
    voc_boxes = sorted((a.x, a.y, a.w, a.h) for i in back for a in i.annotations
                       if isinstance(a, Bbox))
    assert voc_boxes == coco_boxes


def test_voc_formats_lists_options(runner, cli):
    result = runner.invoke(cli, ["formats", "voc"])
    assert result.exit_code == 0
    for flag in ("--save-images", "--apply-colormap", "--label-map", "--keep-empty",
                 "--tasks", "--coordinate-mode", "--allow-attributes", "--image-ext",
                 "--save-dataset-meta"):
        assert flag in result.stdout


def test_voc_export_jobs_give_the_same_files_and_report(tmp_path):
    """--jobs 2 forks workers for the PNGs and XML: same bytes, same report, same order,
    with masks, layout parts, actions and class labels in play."""
    from cococonv.engine import CHUNK

    categories = Categories([LabelCategory(name) for name in ("cat", "dog", "person",
                                                               "head")])
    meta = {"voc": {"labelmap": [{"name": "person", "parts": ["head"],
                                  "actions": ["jumping", "running"]}]}}
    items = []
    for k in range(2 * CHUNK + 80):
        shift = float(k % 9)
        anns = [Polygon(label=k % 2, points=[v + shift for v in SQUARE], z_order=k % 3),
                Polygon(label=(k + 1) % 2, points=OVERLAP),
                Bbox(label=0, x=1, y=2, w=3 + k % 5, h=4),
                Bbox(label=2, x=2, y=3, w=20, h=30, group=1,
                     attributes={"jumping": k % 2 == 0, "running": k % 3 == 0,
                                 "color": f"c{k % 4}"}),
                Label(label=k % 3, attributes={"difficult": k % 4 == 0})]
        if k % 2:
            anns.append(Bbox(label=3, x=4, y=5, w=6.5, h=7, group=1))
        if k % 11 == 0:
            anns.append(Mask(label=1, attributes={"is_crowd": True},
                             rle=masks.encode(np.eye(H, W, dtype=np.uint8))))
        if k % 13 == 0:
            anns.append(Points(label=0, points=[1.0, 2.0]))
        subset = "train" if k % 3 else "val"
        items.append(Item(f"img{k:03d}", subset, Image(f"img{k:03d}.jpg", (H, W)), anns))
    data = Dataset(categories, items, meta)
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        report = cococonv.save(data, "voc", str(out), report=Report(quiet=True), jobs=jobs)
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                 if p.is_file()}
        results[jobs] = (files, list(report.losses.items()),
                         list(report.approximations.items()))
    assert results[1] == results[2]
    files = results[1][0]
    assert len([f for f in files if f.startswith("SegmentationClass/")]) == len(items)
    for written in ("ImageSets/Layout/train.txt", "ImageSets/Action/jumping_val.txt",
                    "ImageSets/Main/person_train.txt", "labelmap.txt"):
        assert written in files
    assert b"<part>" in files["Annotations/img001.xml"]
    assert b"<jumping>1</jumping>" in files["Annotations/img000.xml"]


def test_voc_export_counts_a_loss_once_when_the_xml_needs_lxml(tmp_path):
    """An object kept with raw XML sends the document through lxml; the decisions (and
    their counts) are made once, not once per serialisation."""
    rotated = Bbox(label=0, x=1, y=2, w=3, h=4, attributes={"color": "red",
                                                            "rotation": 10.0})
    raw = Bbox(label=0, x=1, y=2, w=3, h=4, extra={"voc": {"unknown": ["<extra>1</extra>"]}})
    root, report = export(tmp_path, dataset(rotated, raw), allow_attributes=False)
    assert report.losses[("object attributes", "--no-allow-attributes")] == 1
    assert report.approximations[("rotated boxes",
                                  "written as their axis-aligned bounds")] == 1
    assert b"    <extra>1</extra>\n  </object>" in (root / "Annotations" / "a.xml").read_bytes()
