"""What several formats share is a typed model field, and each one flows between formats.

Per field: the importer that has it fills the model (VOC: ``Item.ignore``; COCO:
``Item.image_id``, ``declared_bbox``/``declared_area``), and the other exporters act on the
model field alone — they write it, or report it lost — while an old-style private key of
another format (``extra["voc"]["void_class"]``, a top-level ``extra["bbox"]``) is ignored.
Dataset meta names labels by object, so ``remap_labels`` needs to know no format.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.model import (Categories, Dataset, IgnoreRegions, Image, Item, LabelCategory,
                            Polygon)

from .builders import coco_ann, coco_doc, coco_image, png, voc_xml, write_coco, write_voc

VOID_COCO = "images' VOC void (255) regions"
VOID_CVAT = "VOC void (255) regions"
IDS_CVAT = "image ids and fields"
IDS_VOC = "image attributes"


def _lost(report, what: str) -> int:
    return sum(count for (name, _), count in report.losses.items() if name == what)


def _void_rle(height: int = 50, width: int = 60) -> dict:
    void = np.zeros((height, width), np.uint8)
    void[45:, :] = 1
    return masks.encode(void)


def _voc_with_void(tmp_path):
    classes = np.zeros((50, 60), np.uint8)
    instances = np.zeros((50, 60), np.uint8)
    classes[20:40, 10:30] = 8  # cat
    instances[20:40, 10:30] = 1
    classes[45:, :] = 255
    instances[45:, :] = 255
    files = {"SegmentationClass/a.png": png(classes), "SegmentationObject/a.png": png(instances)}
    return write_voc(tmp_path / "voc", {"a": voc_xml()}, files=files)


def _save(dataset: Dataset, fmt: str, out) -> cococonv.report.Report:
    return cococonv.save(dataset, fmt, str(out), jobs=1)


def _one_item_dataset(item: Item) -> Dataset:
    categories = Categories()
    categories.add("cat")
    return Dataset(categories, [item])


def _polygon_item(**item_fields) -> Item:
    polygon = Polygon(id=1, label=0, points=[10.0, 10.0, 20.0, 10.0, 20.0, 20.0])
    return Item("a", image=Image("a.jpg", size=(50, 60)), annotations=[polygon], **item_fields)


# -- ignore regions -------------------------------------------------------------------------

def test_the_voc_importer_puts_void_in_item_ignore_not_in_its_extras(tmp_path):
    item, = cococonv.load(str(_voc_with_void(tmp_path)), "voc")
    assert isinstance(item.ignore, IgnoreRegions)
    assert masks.decode(item.ignore.semantic)[45:].all()
    assert masks.decode(item.ignore.instance)[45:].all()
    assert not {"void_class", "void_object"} & set(item.extra["voc"])


def test_void_flows_voc_to_coco_and_cvat_as_a_loss(tmp_path):
    source = str(_voc_with_void(tmp_path))
    coco = cococonv.convert(source, str(tmp_path / "coco"), input_format="voc",
                            output_format="coco", jobs=1)
    cvat = cococonv.convert(source, str(tmp_path / "cvat"), input_format="voc",
                            output_format="cvat", jobs=1)
    assert _lost(coco, VOID_COCO) == 1
    assert _lost(cvat, VOID_CVAT) == 1


def test_exporters_read_ignore_from_the_model_only(tmp_path):
    """The model field is painted by VOC and lost by COCO/CVAT; VOC's old private key on
    an item (what another plugin once read) means nothing to any exporter."""
    typed = _one_item_dataset(_polygon_item(ignore=IgnoreRegions(semantic=_void_rle())))
    voc = _save(typed, "voc", tmp_path / "voc")
    classes = np.array(PILImage.open(tmp_path / "voc" / "SegmentationClass" / "a.png"))
    assert (classes[45:] == 255).all() and (classes[:45] != 255).all()
    assert _lost(voc, VOID_COCO) == _lost(voc, VOID_CVAT) == 0
    assert _lost(_save(typed, "coco", tmp_path / "coco"), VOID_COCO) == 1
    assert _lost(_save(typed, "cvat", tmp_path / "cvat"), VOID_CVAT) == 1

    private = _one_item_dataset(_polygon_item(extra={"voc": {"void_class": _void_rle()}}))
    assert _lost(_save(private, "coco", tmp_path / "coco2"), VOID_COCO) == 0
    assert _lost(_save(private, "cvat", tmp_path / "cvat2"), VOID_CVAT) == 0


def test_coco_crowd_stays_an_annotation_not_an_ignore_region(tmp_path):
    crowd = coco_ann(iscrowd=1, segmentation={"size": [8, 10], "counts": [10, 20, 50]})
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(annotations=[crowd])})
    item, = cococonv.load(str(source), "coco")
    assert item.ignore is None
    assert item.annotations[0].attributes["is_crowd"] is True


# -- the source's own image id --------------------------------------------------------------

def test_the_coco_image_id_is_item_image_id_and_flows_to_coco_voc_cvat(tmp_path):
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(
        images=[coco_image(id=42, license=3)], annotations=[coco_ann(image_id=42)])})
    item, = cococonv.load(str(source), "coco")
    assert item.image_id == 42 and "id" not in item.attributes
    args = {"input_format": "coco", "jobs": 1}
    cococonv.convert(str(source), str(tmp_path / "coco"), output_format="coco", **args)
    doc = json.loads((tmp_path / "coco" / "annotations" / "instances_val.json").read_text())
    assert [image["id"] for image in doc["images"]] == [42]
    voc = cococonv.convert(str(source), str(tmp_path / "voc"), output_format="voc", **args)
    cvat = cococonv.convert(str(source), str(tmp_path / "cvat"), output_format="cvat", **args)
    assert _lost(voc, IDS_VOC) == 1
    assert _lost(cvat, IDS_CVAT) == 1


def test_a_model_image_id_is_written_by_coco_and_counted_by_the_others(tmp_path):
    typed = _one_item_dataset(_polygon_item(image_id=7))
    _save(typed, "coco", tmp_path / "coco")
    doc = json.loads((tmp_path / "coco" / "annotations" / "instances_default.json").read_text())
    assert doc["images"][0]["id"] == 7 and doc["annotations"][0]["image_id"] == 7
    assert _lost(_save(typed, "voc", tmp_path / "voc"), IDS_VOC) == 1
    assert _lost(_save(typed, "cvat", tmp_path / "cvat"), IDS_CVAT) == 1
    plain = _one_item_dataset(_polygon_item())
    assert _lost(_save(plain, "voc", tmp_path / "voc2"), IDS_VOC) == 0
    assert _lost(_save(plain, "cvat", tmp_path / "cvat2"), IDS_CVAT) == 0


def test_voc_items_have_no_image_id_and_coco_numbers_them(tmp_path):
    item, = cococonv.load(str(_voc_with_void(tmp_path)), "voc")
    assert item.image_id is None
    cococonv.convert(str(tmp_path / "voc"), str(tmp_path / "coco"), input_format="voc",
                     output_format="coco", jobs=1)
    doc = json.loads((tmp_path / "coco" / "annotations" / "instances_default.json").read_text())
    assert [image["id"] for image in doc["images"]] == [1]


# -- the declared box and area ----------------------------------------------------------------

def _coco_declaring(tmp_path, bbox: list, area: float):
    ann = coco_ann(segmentation=[[2.0, 2.0, 6.0, 2.0, 6.0, 5.0]], bbox=bbox, area=area)
    return write_coco(tmp_path / "in", {"instances_val": coco_doc(annotations=[ann])})


def test_the_declared_box_flows_coco_to_voc_as_the_bndbox(tmp_path):
    source = _coco_declaring(tmp_path, [1.0, 1.0, 7.0, 6.0], 99.0)
    dataset = cococonv.load(str(source), "coco")
    polygon, = next(iter(dataset)).annotations
    assert (polygon.declared_bbox, polygon.declared_area) == ([1.0, 1.0, 7.0, 6.0], 99.0)
    assert "bbox" not in polygon.extra and "area" not in polygon.extra
    cococonv.convert(str(source), str(tmp_path / "voc"), input_format="coco",
                     output_format="voc", jobs=1)
    box = ET.parse(tmp_path / "voc" / "Annotations" / "a.xml").find("object/bndbox")
    assert [box.findtext(t) for t in ("xmin", "ymin", "xmax", "ymax")] == \
        ["2.0", "2.0", "9.0", "8.0"]  # the declared box, 1-based (polygon: 3, 3, 7, 6)


def test_the_declared_box_and_area_are_written_back_by_coco_and_unused_by_cvat(tmp_path):
    source = _coco_declaring(tmp_path, [1.0, 1.0, 7.0, 6.0], 99.0)
    cococonv.convert(str(source), str(tmp_path / "coco"), input_format="coco",
                     output_format="coco", jobs=1)
    record, = json.loads((tmp_path / "coco" / "annotations" / "instances_val.json")
                         .read_text())["annotations"]
    assert (record["bbox"], record["area"]) == ([1.0, 1.0, 7.0, 6.0], 99.0)
    cococonv.convert(str(source), str(tmp_path / "cvat"), input_format="coco",
                     output_format="cvat", jobs=1)
    text = (tmp_path / "cvat" / "annotations.xml").read_text()
    assert 'points="2,2;6,2;6,5"' in text and "99" not in text


def test_a_top_level_bbox_extra_is_not_read_by_voc_the_model_field_is(tmp_path):
    private = _one_item_dataset(_polygon_item())
    private_polygon = next(iter(private)).annotations[0]
    private_polygon.extra = {"bbox": [0.0, 0.0, 40.0, 40.0]}
    _save(private, "voc", tmp_path / "private")
    typed = _one_item_dataset(_polygon_item())
    next(iter(typed)).annotations[0].declared_bbox = [0.0, 0.0, 40.0, 40.0]
    _save(typed, "voc", tmp_path / "typed")

    def xmax(out) -> str:
        return ET.parse(out / "Annotations" / "a.xml").findtext("object/bndbox/xmax")

    assert xmax(tmp_path / "private") == "21.0"  # the polygon's bounds, 1-based
    assert xmax(tmp_path / "typed") == "41.0"


def test_a_geometry_change_forgets_the_declared_box_and_area():
    polygon = Polygon(points=[0, 0, 1, 0, 1, 1], declared_bbox=[0, 0, 9, 9], declared_area=3)
    polygon.geometry_changed()
    assert polygon.declared_bbox is None and polygon.declared_area is None


def test_voc_boxes_declare_nothing_and_coco_measures_them(tmp_path):
    item, = cococonv.load(str(_voc_with_void(tmp_path)), "voc")
    assert all(a.declared_bbox is None and a.declared_area is None for a in item.annotations)


# -- meta names labels by object --------------------------------------------------------------

def _coco_two_files(tmp_path):
    categories = [{"id": 1, "name": "cat", "supercategory": "", "color": "red"},
                  {"id": 2, "name": "dog", "supercategory": "", "color": "blue"}]
    doc = coco_doc(categories=categories, info={"description": "kept"},
                   annotations=[coco_ann(), coco_ann(id=2, category_id=2)])
    return write_coco(tmp_path / "in", {"instances_val": doc})


def _categories_out(tmp_path, transforms) -> tuple[list, dict]:
    cococonv.convert(str(_coco_two_files(tmp_path)), str(tmp_path / "out"),
                     input_format="coco", output_format="coco", transforms=transforms,
                     jobs=1)
    doc = json.loads((tmp_path / "out" / "annotations" / "instances_val.json").read_text())
    return doc["categories"], doc["info"]


def test_a_rename_keeps_the_coco_file_meta_and_follows_the_label(tmp_path):
    categories, info = _categories_out(tmp_path, [("remap_labels", {"mapping": ["dog:hound"]})])
    assert [(c["id"], c["name"], c["color"]) for c in categories] == \
        [(1, "cat", "red"), (2, "hound", "blue")]
    assert info == {"description": "kept"}


def test_a_drop_keeps_the_meta_of_the_labels_left(tmp_path):
    categories, info = _categories_out(tmp_path, [("remap_labels", {"mapping": ["cat:"]})])
    assert [(c["id"], c["name"], c["color"]) for c in categories] == [(2, "dog", "blue")]
    assert info == {"description": "kept"}


def test_labels_that_share_a_name_keep_their_own_meta(tmp_path):
    """COCO labels may share a name (two ids): meta follows the objects, not the names, also
    when --keep-original-category-ids moves the labels to other indices."""
    categories = [{"id": 5, "name": "cat", "supercategory": "", "color": "blue"},
                  {"id": 1, "name": "cat", "supercategory": "", "color": "red"}]
    doc = coco_doc(categories=categories, annotations=[coco_ann(), coco_ann(id=2, category_id=5)])
    source = write_coco(tmp_path / "in", {"instances_val": doc})
    for keep in (False, True):
        dataset = cococonv.load(str(source), "coco", keep_original_category_ids=keep)
        assert [label.id for label in dataset.categories.labels] == ([5, 1] if not keep else
                                                                     [0, 1, 2, 3, 4, 5])
        _save(dataset, "coco", tmp_path / f"out{keep}")
        out = json.loads((tmp_path / f"out{keep}" / "annotations" / "instances_val.json")
                         .read_text())
        assert [(c["id"], c["name"], c["color"]) for c in out["categories"]] == \
            [(5, "cat", "blue"), (1, "cat", "red")]


def test_categories_resolve_label_objects_by_identity():
    first, second = LabelCategory("cat", id=1), LabelCategory("cat", id=5)
    categories = Categories([second, first])
    assert categories.resolve([first, second, LabelCategory("cat", id=1)]) == [1, 0, None]
