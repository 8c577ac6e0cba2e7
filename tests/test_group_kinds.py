"""Groups holding every combination of kinds and labels, through every pair of built-in
formats: the shapes that come out are the shapes that went in, minus the merges and drops
the report lists, plus the boxes it says the target added. And the VOC layout parts of the
issue-17 reproduction (a person with head, two hands, two feet) survive voc -> coco -> voc."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

import cococonv
from cococonv import masks
from cococonv.geometry import points_bbox
from cococonv.model import (Bbox, Categories, Dataset, Ellipse, Image, Item, Mask, Points,
                            Polygon, Polyline)
from cococonv.report import Report

FORMATS = ("coco", "voc", "cvat")
SHAPES = (Bbox, Polygon, Mask, Points, Ellipse, Polyline)
HEIGHT, WIDTH = 300, 400

# Report entries (what) that change how many shapes there are, and by how much per count.
# Every other entry must be listed in NO_SHAPE_CHANGE: a new entry fails the test until it
# is classified, so a conversion cannot start merging shapes without the report saying so.
SHAPE_CHANGE = {
    ("lost", "keypoints"): -1,
    ("lost", "polylines"): -1,
    ("lost", "unlabelled shapes"): -1,
    ("lost", "layout part labels outside an object that has them"): -1,
    ("lost", "objects with no pixel left in the masks"): -1,
    ("approximated", "boxes joined with the shape or keypoints they bound"): -1,
    ("approximated", "masks and polygons joined with another outline of their object"): -1,
    ("approximated", "masks and polygons without a box"): +1,
    ("approximated", "crowd regions"): -1,  # VOC paints them void: an image region, no shape
}
NO_SHAPE_CHANGE = {
    ("lost", "label colours"), ("lost", "label supercategories"), ("lost", "z_order values"), ("lost", "image attributes"),
    ("lost", "keypoint visibility"), ("lost", "annotation ids"),
    ("lost", "image ids and fields"),
    ("approximated", "ellipses"), ("approximated", "polygons"), ("approximated", "rotated boxes"),
    ("lost", "images' VOC void (255) regions"), ("lost", "VOC void (255) regions"),
    ("approximated", "COCO records of one category and group_id"),  # rings kept, one record
    ("approximated", "iscrowd values given as text or bool"),
    ("approximated", "masks in uncompressed (list-count) RLE"),
    ("lost", "image labels without a class"), ("approximated", "image labels without a class"),
}
#: Entries named per source field (cococonv.foreign_fields), and COCO's line per other
#: format naming its fields: fields, never shapes.
FIELD_ENTRIES = ("annotation fields of other formats: ", "annotations' cvat fields (",
                 "annotations' voc fields (", "image fields of other formats: ")


# -- the dataset -------------------------------------------------------------------------------
class Cells:
    """Hands out disjoint 10x10 cells, so no two area shapes overlap (VOC paints them)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> tuple[int, int]:
        x, y = 10 * (self.next % (WIDTH // 10)), 10 * (self.next // (WIDTH // 10))
        self.next += 1
        return x, y


def make_shape(kind: str, label: int, group: int, cells: Cells):
    x, y = cells.take()
    if kind == "box":
        return Bbox(label=label, group=group, x=x + 1, y=y + 1, w=8, h=8)
    if kind == "polygon":
        return Polygon(label=label, group=group,
                       points=[x + 1, y + 1, x + 9, y + 1, x + 9, y + 9, x + 1, y + 9])
    if kind == "mask":
        pixels = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
        pixels[y + 2:y + 8, x + 2:x + 8] = 1
        return Mask(label=label, group=group, rle=masks.encode(pixels))
    if kind == "points":
        return Points(label=label, group=group, points=[x + 2, y + 2, x + 6, y + 7],
                      visibility=[2, 2])
    if kind == "rotated":  # a CVAT rotated box
        return Bbox(label=label, group=group, x=x + 2, y=y + 2, w=6, h=6,
                    attributes={"rotation": 30.0})
    if kind == "ellipse":
        return Ellipse(label=label, group=group, cx=x + 5, cy=y + 5, rx=3, ry=3)
    return Polyline(label=label, group=group, points=[x + 1, y + 1, x + 8, y + 8])


def group_recipes() -> list[list[tuple[str, str]]]:
    """(kind, label name) lists: every pair of kinds with one label and with two, then the
    ambiguous triples docs/formats/coco.md decides, the VOC layout person, other kinds."""
    kinds = ("box", "polygon", "mask", "points")
    recipes = []
    for first, second in itertools.combinations_with_replacement(kinds, 2):
        recipes.append([(first, "person"), (second, "person")])
        recipes.append([(first, "person"), (second, "head")])
        recipes.append([(second, "head"), (first, "person")])
    recipes += [
        [("box", "person"), ("box", "person"), ("polygon", "person")],
        [("box", "person"), ("polygon", "person"), ("polygon", "person")],
        [("box", "person"), ("box", "person"), ("points", "person"), ("points", "person")],
        [("box", "person"), ("mask", "person"), ("points", "person"), ("box", "head")],
        [("box", "person"), ("box", "head"), ("box", "hand"), ("box", "hand"),
         ("box", "foot"), ("box", "foot")],
        [("ellipse", "person"), ("box", "person")],
        [("polyline", "person"), ("box", "person")],
        [("polyline", "person"), ("polygon", "head")],
        [("ellipse", "person"), ("polygon", "person")],
        [("ellipse", "person"), ("mask", "person")],
        [("rotated", "person"), ("polygon", "person")],
        [("rotated", "person"), ("box", "head")],
        [("polyline", "person"), ("polyline", "person")],
    ]
    return recipes


def grouped_dataset() -> Dataset:
    categories = Categories()
    for name in ("person", "head", "hand", "foot"):
        categories.add(name)
    cells = Cells()
    annotations = []
    for group, recipe in enumerate(group_recipes(), 1):
        for kind, name in recipe:
            annotations.append(make_shape(kind, categories.find(name), group, cells))
    for kind in ("box", "polygon", "mask", "points", "ellipse", "polyline"):
        annotations.append(make_shape(kind, categories.find("person"), 0, cells))
        annotations.append(make_shape(kind, None, 0, cells))  # unlabelled
    crowd = make_shape("mask", categories.find("person"), 0, cells)
    crowd.attributes["is_crowd"] = True
    # A polygon under the crowd region: VOC paints the region over it, leaving it no pixel.
    x, y = cell_of(crowd)[0] * 10, cell_of(crowd)[1] * 10
    annotations += [Polygon(label=categories.find("head"), points=[x + 3, y + 3, x + 6, y + 3,
                                                                     x + 6, y + 6]), crowd]
    item = Item("a", "train", Image("a.jpg", size=(HEIGHT, WIDTH)), annotations)
    return Dataset(categories, [item])


# -- counting ---------------------------------------------------------------------------------
def shape_count(dataset: Dataset) -> int:
    return sum(1 for item in dataset for ann in item.annotations if type(ann) in SHAPES)


def reported_change(report: Report) -> int:
    entries = [("lost", what, count) for (what, _why), count in report.losses.items()]
    entries += [("approximated", what, count)
                for (what, _how), count in report.approximations.items()]
    change = 0
    for status, what, count in entries:
        key = (status, what)
        if key in SHAPE_CHANGE:
            change += SHAPE_CHANGE[key] * count
        elif not what.startswith(FIELD_ENTRIES):
            assert key in NO_SHAPE_CHANGE, f"unclassified report entry {key} ({count})"
    assert not report.skipped
    return change


def quiet() -> Report:
    return Report(quiet=True)


def saved(tmp_path: Path, fmt: str) -> tuple[Path, Report]:
    report = quiet()
    path = tmp_path / f"src-{fmt}"
    cococonv.save(grouped_dataset(), fmt, str(path), report=report)
    return path, report


@pytest.mark.parametrize("fmt", FORMATS)
def test_saving_grouped_kinds_counts_every_merged_or_dropped_shape(tmp_path, fmt):
    path, report = saved(tmp_path, fmt)
    before = shape_count(grouped_dataset())
    after = shape_count(cococonv.load(str(path), fmt, report=quiet()))
    assert after == before + reported_change(report)


@pytest.mark.parametrize(("fmt_in", "fmt_out"), list(itertools.product(FORMATS, FORMATS)))
def test_converting_grouped_kinds_counts_every_merged_or_dropped_shape(tmp_path, fmt_in,
                                                                       fmt_out):
    source, _ = saved(tmp_path, fmt_in)
    shapes_in = shape_count(cococonv.load(str(source), fmt_in, report=quiet()))
    report = cococonv.convert(str(source), str(tmp_path / "out"), input_format=fmt_in,
                              output_format=fmt_out, report=quiet())
    shapes_out = shape_count(cococonv.load(str(tmp_path / "out"), fmt_out, report=quiet()))
    assert shapes_in > 20
    assert shapes_out == shapes_in + reported_change(report)


FIXTURES = [
    pytest.param("datumaro/voc_dataset/voc_dataset1", "voc", id="datumaro-voc"),
    pytest.param("2label/voc1.1", "voc", id="cvat-voc"),
    pytest.param("datumaro/cvat_dataset/for_images/export_task", "cvat", id="datumaro-cvat"),
    pytest.param("cvat-ai-datumaro/cvat_dataset/for_images", "cvat", id="cvat-skeletons"),
    pytest.param("datumaro/coco_dataset/coco_instances", "coco", id="datumaro-coco"),
    pytest.param("label-studio-sdk/test_import_coco", "coco", id="label-studio-coco"),
    pytest.param("mmpose/coco", "coco", id="mmpose-keypoints"),
    pytest.param("labelme/instance_segmentation/data_dataset_coco", "coco", id="labelme-coco"),
]


@pytest.mark.parametrize("fmt_out", FORMATS)
@pytest.mark.parametrize(("rel", "fmt_in"), FIXTURES)
def test_converting_fixtures_counts_every_merged_or_dropped_shape(fixtures_root, tmp_path, rel,
                                                                  fmt_in, fmt_out):
    source = fixtures_root / rel
    shapes_in = shape_count(cococonv.load(str(source), fmt_in, report=quiet()))
    report = cococonv.convert(str(source), str(tmp_path / "out"), input_format=fmt_in,
                              output_format=fmt_out, report=quiet())
    shapes_out = shape_count(cococonv.load(str(tmp_path / "out"), fmt_out, report=quiet()))
    assert shapes_in and shapes_out == shapes_in + reported_change(report)


def test_coco_keeps_two_boxes_of_one_group_and_label_as_linked_records(tmp_path):
    path, report = saved(tmp_path, "coco")
    records = json.loads((path / "annotations/instances_train.json").read_text())["annotations"]
    by_group: dict[int, list[dict]] = {}
    for record in records:
        link = record.get("attributes", {}).get("group_id")
        if link is not None:
            by_group.setdefault(link, []).append(record)
    # The VOC-like person: six boxes, six records, one link.
    person = [g for g in by_group.values() if len(g) == 6]
    assert len(person) == 1 and all(r["segmentation"] == [] for r in person[0])
    assert report.losses.get(("group links between objects (e.g. VOC layout parts)",
                              "--no-allow-attributes")) is None


# -- issue 17: the VOC layout reproduction, through the CLI ---------------------------------------
PERSON_XML = """<annotation><filename>a.jpg</filename>
<size><width>100</width><height>100</height><depth>3</depth></size>
<object><name>person</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>90</xmax><ymax>90</ymax></bndbox>
<part><name>head</name><bndbox><xmin>40</xmin><ymin>10</ymin><xmax>60</xmax><ymax>30</ymax></bndbox></part>
<part><name>hand</name><bndbox><xmin>10</xmin><ymin>40</ymin><xmax>20</xmax><ymax>50</ymax></bndbox></part>
<part><name>hand</name><bndbox><xmin>80</xmin><ymin>40</ymin><xmax>90</xmax><ymax>50</ymax></bndbox></part>
<part><name>foot</name><bndbox><xmin>30</xmin><ymin>80</ymin><xmax>40</xmax><ymax>90</ymax></bndbox></part>
<part><name>foot</name><bndbox><xmin>60</xmin><ymin>80</ymin><xmax>70</xmax><ymax>90</ymax></bndbox></part>
</object></annotation>
"""


def layout_parts(root: Path) -> list[tuple]:
    found = []
    for obj in etree.parse(str(root / "Annotations/a.xml")).getroot().iter("object"):
        for part in obj.iter("part"):
            box = part.find("bndbox")
            found.append((obj.findtext("name"), part.findtext("name"),
                          *(float(box.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax"))))
    return sorted(found)


def test_voc_layout_person_gives_six_coco_records_and_comes_back_with_its_five_parts(
        runner, cli, tmp_path):
    source = tmp_path / "voc"
    (source / "Annotations").mkdir(parents=True)
    (source / "ImageSets/Layout").mkdir(parents=True)
    (source / "Annotations/a.xml").write_text(PERSON_XML)
    (source / "ImageSets/Layout/train.txt").write_text("a\n")
    result = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "coco"), "-q"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "coco/annotations/instances_train.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    records = doc["annotations"]
    assert sorted(names[r["category_id"]] for r in records) == \
        ["foot", "foot", "hand", "hand", "head", "person"]
    assert len({r["attributes"]["group_id"] for r in records}) == 1

    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(tmp_path / "coco"),
                                 "-f", "voc", "-o", str(tmp_path / "back"), "--json"])
    assert result.exit_code == 0, result.stderr
    assert layout_parts(tmp_path / "back") == layout_parts(source)
    assert len(layout_parts(source)) == 5
    objects = list(etree.parse(str(tmp_path / "back/Annotations/a.xml")).getroot()
                   .iter("object"))
    assert [o.findtext("name") for o in objects] == ["person"]
    assert [objects[0].findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == \
        ["10", "10", "90", "90"]
    assert (tmp_path / "back/ImageSets/Layout/train.txt").read_text().split() == ["a"]
    report = json.loads(result.stdout)
    assert not [e for e in report["lost"] if "part" in e["what"] or "group" in e["what"]]


def test_coco_import_reads_the_group_link_back_into_one_group(tmp_path):
    from .builders import coco_ann, coco_doc, write_coco

    anns = [coco_ann(id=1, segmentation=[], bbox=[1, 1, 4, 4], attributes={"group_id": 7}),
            coco_ann(id=2, segmentation=[], bbox=[2, 2, 2, 2], attributes={"group_id": 7}),
            coco_ann(id=3, attributes={"group_id": "seven"})]
    write_coco(tmp_path / "c", {"instances_train": coco_doc(annotations=anns)})
    (item,) = cococonv.load(str(tmp_path / "c"), "coco", report=quiet())
    first, second, third = item.annotations
    assert first.group == second.group == 7 and first.attributes == {"is_crowd": False}
    assert third.attributes["group_id"] == "seven"  # not an integer: an ordinary attribute
    cococonv.save(cococonv.load(str(tmp_path / "c"), "coco", report=quiet()), "coco",
                  str(tmp_path / "again"), report=quiet())
    again = json.loads((tmp_path / "again/annotations/instances_train.json").read_text())
    assert [r.get("attributes") for r in again["annotations"]] == \
        [{"group_id": 7}, {"group_id": 7}, {"group_id": "seven"}]


def test_coco_without_attributes_counts_the_group_links_it_cannot_write(tmp_path):
    report = quiet()
    cococonv.save(grouped_dataset(), "coco", str(tmp_path / "c"), report=report,
                  allow_attributes=False)
    records = [r for task in ("instances", "person_keypoints") for r in json.loads(
        (tmp_path / f"c/annotations/{task}_train.json").read_text())["annotations"]]
    assert not [r for r in records if "attributes" in r]
    lost = report.losses[("group links between objects (e.g. VOC layout parts)",
                          "--no-allow-attributes")]
    assert lost == len(records_linked(tmp_path))


def records_linked(tmp_path: Path) -> list[dict]:
    cococonv.save(grouped_dataset(), "coco", str(tmp_path / "linked"), report=quiet())
    return [r for task in ("instances", "person_keypoints") for r in json.loads(
        (tmp_path / f"linked/annotations/{task}_train.json").read_text())["annotations"]
        if "group_id" in r.get("attributes", {})]


# -- groups survive where the target can hold them ------------------------------------------------
def cell_of(ann) -> tuple[int, int]:
    """The 10x10 cell a shape was drawn in (Cells gives each shape its own)."""
    kind = type(ann)
    if kind is Bbox:
        x, y = ann.x, ann.y
    elif kind is Mask:
        x, y = masks.bbox(ann.rle)[:2]
    elif kind is Ellipse:
        x, y = ann.cx - ann.rx, ann.cy - ann.ry
    else:
        x, y = min(ann.points[0::2]), min(ann.points[1::2])
    return int(x) // 10, int(y) // 10


def groups_by_cell(dataset: Dataset) -> tuple[dict[tuple[int, int], int], set]:
    """(cell -> its shape's group for grouped shapes, cells of every shape)."""
    (item,) = dataset
    shapes = [ann for ann in item.annotations if type(ann) in SHAPES]
    return {cell_of(a): a.group for a in shapes if a.group}, {cell_of(a) for a in shapes}


@pytest.mark.parametrize(("fmt_in", "fmt_out"), [("coco", "coco"), ("coco", "cvat"),
                                                 ("cvat", "coco"), ("cvat", "cvat")])
def test_groups_split_into_several_records_come_back_as_one_group(tmp_path, fmt_in, fmt_out):
    source, _ = saved(tmp_path, fmt_in)
    before, _ = groups_by_cell(grouped_dataset())
    cococonv.convert(str(source), str(tmp_path / "out"), input_format=fmt_in,
                     output_format=fmt_out, report=quiet())
    after, alive = groups_by_cell(cococonv.load(str(tmp_path / "out"), fmt_out, report=quiet()))
    # Shapes merged into another (a box become a bbox) are gone; the grouped shapes left of
    # each group are still one group, and no group joins shapes of two.
    cells_of: dict[int, list] = {}
    for cell, group in before.items():
        if cell in alive:
            cells_of.setdefault(group, []).append(cell)
    checked = 0
    for group, cells in cells_of.items():
        if len(cells) > 1:
            assert len({after.get(cell) for cell in cells}) == 1 and after.get(cells[0]), cells
            checked += 1
    assert checked > 20
    assert len({after[cells[0]] for cells in cells_of.values() if len(cells) > 1}) == checked


def test_crop_covered_crops_the_outline_not_the_box_joined_with_it(tmp_path):
    categories = Categories()
    categories.add("person")
    triangle = Polygon(label=0, group=1, points=[0, 0, 10, 0, 0, 10])
    box = Bbox(label=0, group=1, x=0, y=0, w=10, h=10)
    above = Polygon(label=0, points=[5, 0, 20, 0, 20, 20, 5, 20])
    dataset = Dataset(categories, [Item("a", image=Image("a.jpg", size=(20, 20)),
                                        annotations=[box, triangle, above])])
    cococonv.save(dataset, "coco", str(tmp_path / "c"), report=quiet(), crop_covered=True)
    first = json.loads((tmp_path / "c/annotations/instances_default.json").read_text())[
        "annotations"][0]
    expected = masks.decode(masks.polygons_to_rle([triangle.points], 20, 20)).astype(bool)
    expected &= ~masks.decode(masks.polygons_to_rle([above.points], 20, 20)).astype(bool)
    assert np.array_equal(masks.decode(first["segmentation"]).astype(bool), expected)
    assert first["area"] == expected.sum() and first["bbox"] == masks.bbox(
        masks.encode(expected.astype(np.uint8)))


def test_panoptic_paints_the_outline_not_the_box_joined_with_it(tmp_path):
    categories = Categories()
    categories.add("person")
    triangle = Polygon(label=0, group=1, points=[0, 0, 10, 0, 0, 10])
    box = Bbox(label=0, group=1, x=0, y=0, w=10, h=10)
    dataset = Dataset(categories, [Item("a", image=Image("a.jpg", size=(20, 20)),
                                        annotations=[box, triangle])])
    cococonv.save(dataset, "coco_panoptic", str(tmp_path / "p"), report=quiet())
    (record,) = json.loads((tmp_path / "p/annotations/panoptic_default.json").read_text())[
        "annotations"]
    (segment,) = record["segments_info"]
    assert segment["area"] == masks.area(masks.polygons_to_rle([triangle.points], 20, 20))


def test_coco_to_coco_gives_back_the_records_of_every_group_split(tmp_path):
    source, _ = saved(tmp_path, "coco")
    cococonv.convert(str(source), str(tmp_path / "again"), input_format="coco",
                     output_format="coco", report=quiet())
    for task in ("instances", "person_keypoints"):
        rel = f"annotations/{task}_train.json"
        before = json.loads((source / rel).read_text())["annotations"]
        after = json.loads((tmp_path / "again" / rel).read_text())["annotations"]
        assert sorted(map(json.dumps, after)) == sorted(map(json.dumps, before)), task


def test_coco_import_of_two_linked_outlines_of_one_category_joins_them_with_a_new_bbox(
        tmp_path):
    from .builders import coco_ann, coco_doc, write_coco

    anns = [coco_ann(id=1, attributes={"group_id": 3}),
            coco_ann(id=2, segmentation=[[6, 6, 9, 6, 9, 8]], attributes={"group_id": 3})]
    write_coco(tmp_path / "c", {"instances_train": coco_doc(annotations=anns)})
    report = cococonv.convert(str(tmp_path / "c"), str(tmp_path / "o"), input_format="coco",
                              output_format="coco", report=quiet())
    (record,) = json.loads((tmp_path / "o/annotations/instances_train.json").read_text())[
        "annotations"]
    rings = record["segmentation"]
    assert len(rings) == 2
    assert record["bbox"] == points_bbox(rings[0] + rings[1])  # not record 1's own box
    assert report.approximations[("COCO records of one category and group_id",
                                  "joined into one object with all their outlines")] == 1
