"""Other plugins' namespaces that hold source data (``Plugin.source_fields``): every
exporter of another format names each such field it loses; bookkeeping-only namespaces
(what a plugin keeps only to write its own format back) still give no line."""
from __future__ import annotations

import pickle
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import cococonv
from cococonv import foreign_fields as FF
from cococonv.model import Bbox, Categories, Dataset, Image, Item, Polygon
from cococonv.plugin import Importer
from cococonv.registry import GROUP, Registry
from cococonv.report import Report

from .plugins import labelme_files as LM
from .plugins import sa_files as SA

LOSERS = ["voc", "cvat", "label_studio", "png_masks", "yolo", "labelme"]
SAM = ("predicted_iou", "point_coords", "crop_box", "stability_score")
ANN = "annotation fields of other formats: "


def lost(report: Report) -> dict[str, int]:
    return {what: count for (what, _why), count in report.losses.items()}


def convert(source: Path, input_format: str, out: Path, output_format: str) -> Report:
    report = Report(quiet=True)
    cococonv.convert(str(source), str(out), input_format=input_format,
                     output_format=output_format, report=report, jobs=1)
    return report


@pytest.fixture(scope="module")
def sam(tmp_path_factory) -> Path:
    """One SA-1B file: two masks with SAM's fields, one with a key SA-1B does not define."""
    root = tmp_path_factory.mktemp("sam")
    doc = SA.doc(annotations=[SA.annotation(1, tool="v2"), SA.annotation(2)])
    return SA.write(root, {"sa_1.json": doc})


@pytest.mark.parametrize("fmt", LOSERS)
def test_sam_fields_are_reported_by_name_by_every_other_exporter(sam, tmp_path, fmt):
    counts = lost(convert(sam, "segment_anything", tmp_path / "out", fmt))
    assert {name: counts.get(f"{ANN}segment_anything.{name}") for name in SAM} == \
        dict.fromkeys(SAM, 2)
    assert counts[f"{ANN}segment_anything.tool"] == 1  # a key SA-1B does not define
    assert f"{ANN}segment_anything" not in counts  # fields, not the namespace


def test_sam_fields_are_kept_by_sam_and_named_by_coco(sam, tmp_path):
    assert not [w for w in lost(convert(sam, "segment_anything", tmp_path / "sa",
                                        "segment_anything")) if "fields" in w]
    coco = lost(convert(sam, "segment_anything", tmp_path / "coco", "coco"))
    (line,) = [what for what in coco if what.startswith("annotations' segment_anything")]
    assert all(name in line for name in SAM) and coco[line] == 2


def _bookkept() -> Dataset:
    """What CVAT and LabelMe importers keep only to write their format back."""
    categories = Categories()
    categories.add("cat")
    anns = [Bbox(label=0, x=1, y=1, w=4, h=4, extra={"cvat": {"source": "manual"}}),
            Polygon(label=0, points=[1, 1, 8, 1, 8, 6],
                    extra={"labelme": {"shape_type": "polygon", "attributes_key": True}})]
    item = Item("a", image=Image("a.jpg", size=(20, 30)), annotations=anns,
                extra={"labelme": {"version": "5.5.0"}})
    return Dataset(categories, [item])


@pytest.mark.parametrize("fmt", LOSERS)
def test_a_bookkeeping_namespace_gives_no_line(tmp_path, fmt):
    report = Report(quiet=True)
    cococonv.save(_bookkept(), fmt, str(tmp_path / "out"), report=report, jobs=1)
    assert not [what for what in lost(report)
                if "fields" in what or "labelme" in what or "cvat" in what]


@pytest.mark.parametrize("fmt", ["voc", "yolo", "label_studio", "cvat"])
def test_labelme_unknown_shape_keys_are_named_lost(tmp_path, fmt):
    shapes = [LM.shape(reviewer="ann"), LM.shape(points=[[2, 2], [9, 2], [9, 7]])]
    source = LM.write(tmp_path / "lm", {"a.json": LM.doc(shapes)})
    counts = lost(convert(source, "labelme", tmp_path / "out", fmt))
    assert counts[f"{ANN}labelme.reviewer"] == 1
    assert not [w for w in counts if w.startswith(ANN) and w != f"{ANN}labelme.reviewer"]


def test_outline_then_settle_judges_as_dropped_fields_does():
    namespaces = FF.Namespaces({"sam", "cvat"}, {"sam": ("iou", "keys.*")})
    extra = {"sam": {"iou": 0.9, "crop": [], "keys": {"tool": 1}}, "cvat": {"source": "x"},
             "track_id": 3, "note": {"a": 1}, "bbox": [0, 0, 1, 1], "voc": {"pose": "Left"}}
    direct = FF.dropped_fields(extra, "voc", lambda: namespaces)
    assert direct == ["sam.iou", "sam.tool", "track_id", "note"]
    settled: dict[str, int] = {}
    FF.settle(dict.fromkeys(FF.outline(extra, "voc"), 1), lambda: namespaces, settled)
    assert sorted(settled) == sorted(direct)


def test_namespaces_keep_their_source_fields_through_subtraction_and_pickling():
    namespaces = FF.Namespaces({"sam", "coco"}, {"sam": ("iou",), "gone": ("x",)})
    assert namespaces.source == {"sam": ("iou",)}  # only namespaces some plugin declares
    for kept in (namespaces - {"coco"}, pickle.loads(pickle.dumps(namespaces))):
        assert kept.source == {"sam": ("iou",)} and "sam" in kept


class _ThirdParty(Importer):
    """A format installed by another package, whose namespace holds a model's scores."""

    name = "thirdparty"
    namespace = "thirdparty"
    source_fields = ("confidence",)


class _EntryPoint:
    name, value, dist = "thirdparty", "tests.test_source_fields:_EntryPoint.load", None

    def load(self):
        return (_ThirdParty,)


def test_a_third_party_plugins_source_fields_come_from_the_registry(tmp_path):
    categories = Categories()
    categories.add("cat")
    box = Bbox(label=0, x=1, y=1, w=4, h=4,
               extra={"thirdparty": {"confidence": 0.5, "row": 7}})
    dataset = Dataset(categories, [Item("a", image=Image("a.jpg", size=(20, 30)),
                                        annotations=[box])])
    registry = Registry([EntryPoint("voc", "cococonv_plugins.voc:PLUGINS", GROUP),
                         _EntryPoint()])
    report = Report(quiet=True)
    cococonv.save(dataset, "voc", str(tmp_path / "out"), report=report, registry=registry,
                  jobs=1)
    assert [w for w in lost(report) if w.startswith(ANN)] == [f"{ANN}thirdparty.confidence"]


def _item_with(attributes: dict, extra: dict) -> Dataset:
    categories = Categories()
    categories.add("cat")
    item = Item("a", image=Image("a.jpg", size=(20, 30)), attributes=attributes, extra=extra,
                annotations=[Bbox(label=0, x=1, y=1, w=4, h=4)])
    return Dataset(categories, [item])


def test_coco_reports_image_attributes_and_image_source_fields(tmp_path):
    """Label Studio's image-level controls (item attributes) and SA-1B's unknown image
    keys have no place in a COCO image record; CVAT's frame number (the image's place in
    its task, which the image order keeps) and LabelMe's version are no loss."""
    report = Report(quiet=True)
    dataset = _item_with({"quality": 4, "frame": 2},
                         {"segment_anything": {"image_keys": {"camera": "x"}},
                          "labelme": {"version": "5.5.0"}})
    cococonv.save(dataset, "coco", str(tmp_path / "out"), report=report, jobs=1)
    assert {w: c for w, c in lost(report).items() if w.startswith("image")} == {
        "image attributes": 1, "image fields of other formats: segment_anything.camera": 1}
    quiet = Report(quiet=True)
    cococonv.save(_item_with({"frame": 2}, {"labelme": {"version": "5.5.0"}}), "coco",
                  str(tmp_path / "again"), report=quiet, jobs=1)
    assert not quiet.losses


def _group_of_two(box_attributes: dict) -> Dataset:
    """A LabelMe-like object: an outline with a description and a flag, grouped with its
    box, which has attributes of its own."""
    categories = Categories()
    categories.add("cat")
    outline = Polygon(label=0, group=3, points=[1, 1, 8, 1, 8, 6],
                      attributes={"description": "a tabby", "sleeping": False})
    box = Bbox(label=0, group=3, x=1, y=1, w=7, h=5, attributes=box_attributes)
    return Dataset(categories, [Item("a", image=Image("a.jpg", size=(20, 30)),
                                     annotations=[box, outline])])


def test_voc_writes_the_attributes_of_every_shape_of_one_object(tmp_path):
    report = Report(quiet=True)
    cococonv.save(_group_of_two({"sleeping": True}), "voc", str(tmp_path / "voc"),
                  report=report, jobs=1)
    xml = (tmp_path / "voc/Annotations/a.xml").read_text()
    assert xml.count("<object>") == 1 and "<value>a tabby</value>" in xml
    assert "<value>true</value>" in xml  # the box's sleeping: the first shape's wins
    from cococonv.joined import CLASH_WHY
    assert report.losses[("object attributes", CLASH_WHY)] == 1  # the outline's False


def test_coco_writes_the_attributes_of_every_shape_of_one_record(tmp_path):
    import json

    report = Report(quiet=True)
    cococonv.save(_group_of_two({"occluded": True}), "coco", str(tmp_path / "coco"),
                  report=report, jobs=1)
    doc = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    (record,) = doc["annotations"]
    assert record["attributes"] == {"occluded": True, "description": "a tabby",
                                    "sleeping": False}
    assert not [what for what in lost(report) if "attributes" in what]


@pytest.mark.parametrize("fmt, lines", [
    ("yolo", {"image attributes": 1,
              "image fields of other formats: segment_anything.camera": 1}),
    ("png_masks", {"image ids and fields": 1}),
    ("label_studio", {"image fields of other formats: segment_anything.camera": 1}),
])
def test_image_attributes_and_image_source_fields_are_reported(tmp_path, fmt, lines):
    report = Report(quiet=True)
    dataset = _item_with({"quality": 4}, {"segment_anything": {"image_keys": {"camera": "x"}}})
    cococonv.save(dataset, fmt, str(tmp_path / "out"), report=report, jobs=1)
    assert {w: c for w, c in lost(report).items() if w.startswith("image")} == lines
    quiet = Report(quiet=True)
    cococonv.save(_item_with({}, {"segment_anything": {"keys": {}}}), fmt,
                  str(tmp_path / "again"), report=quiet, jobs=1)
    assert not [w for w in lost(quiet) if w.startswith("image")]


class _Counted(_EntryPoint):
    loads = 0

    def load(self):
        type(self).loads += 1
        return super().load()


def test_coco_to_coco_judges_its_image_records_without_loading_every_plugin(tmp_path):
    """COCO keeps an image's unknown keys under extra["coco_image"]: no namespace, and no
    reason to load the other plugins (numpy among their imports) to learn so."""
    from .builders import coco_doc, write_coco

    source = write_coco(tmp_path / "in", {"instances_default": coco_doc()})
    registry = Registry([EntryPoint("coco", "cococonv_plugins.coco:PLUGINS", GROUP),
                         _Counted()])
    _Counted.loads = 0
    cococonv.convert(str(source), str(tmp_path / "out"), input_format="coco",
                     output_format="coco", report=Report(quiet=True), registry=registry,
                     jobs=1)
    assert _Counted.loads == 0
