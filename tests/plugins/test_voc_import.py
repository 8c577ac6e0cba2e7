"""VOC importer: values land in the model typed and shifted as the options say; bad input
gives one located error."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

import cococonv
from cococonv import masks
from cococonv.errors import DataError, UnsafeInputError
from cococonv.model import Bbox, Label, Mask
from cococonv.report import Report
from tests.builders import OBJECT, png, voc_xml, write_voc

def only_item(dataset):
    (item,) = list(dataset)
    return item


def test_voc_import_subtracts_one_from_one_based_boxes_and_types_flags(tmp_path):
    dataset = cococonv.load(str(write_voc(tmp_path, {"a": voc_xml()})), "voc")
    item = only_item(dataset)
    (box,) = item.annotations
    assert isinstance(box, Bbox) and dataset.categories.labels[box.label].name == "cat"
    assert (box.x, box.y, box.w, box.h) == (10, 20, 20.5, 20)
    assert type(box.x) is int and type(box.w) is float
    assert box.attributes == {"pose": "Left", "truncated": True, "difficult": False}
    assert item.subset == "default" and item.image.size == (50, 60)
    assert item.image.name == "a.jpg" and item.image.path is None


def test_voc_import_zero_based_mode_keeps_values(tmp_path):
    dataset = cococonv.load(str(write_voc(tmp_path, {"a": voc_xml()})), "voc",
                            coordinate_mode="zero-based")
    box = only_item(dataset).annotations[0]
    assert (box.x, box.y, box.w, box.h) == (11, 21, 20.5, 20)


def test_voc_import_types_custom_attributes_and_keeps_unknown_tags(tmp_path):
    obj = ("<object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax>"
           "<ymax>2</ymax></bndbox><attributes>"
           "<attribute><name>moving</name><value>true</value></attribute>"
           "<attribute><name>speed</name><value>2.5</value></attribute>"
           "<attribute><name>count</name><value>3</value></attribute>"
           "<attribute><name>color</name><value>red</value></attribute>"
           "</attributes><tool>x</tool></object>")
    xml = voc_xml(obj, extra="<owner><name>me</name></owner>")
    dataset = cococonv.load(str(write_voc(tmp_path, {"a": xml})), "voc")
    item = only_item(dataset)
    box = item.annotations[0]
    assert box.attributes == {"moving": True, "speed": 2.5, "count": 3, "color": "red"}
    assert box.extra["voc"]["unknown"] == ["<tool>x</tool>"]
    assert "<owner><name>me</name></owner>" in item.extra["voc"]["children"]


def test_voc_import_reads_subsets_classes_and_skips_union_lists(tmp_path):
    lists = {"Main/train.txt": "a\n", "Main/val.txt": "# comment\n\nb\n",
             "Main/trainval.txt": "a\nb\n", "Main/cat_train.txt": "a  1\n",
             "Main/cat_val.txt": "b  0\n", "Main/dog_train.txt": "a -1\n"}
    root = write_voc(tmp_path, {"a": voc_xml(), "b": voc_xml("")}, lists)
    dataset = cococonv.load(str(root), "voc")
    assert [(i.subset, i.id) for i in dataset] == [("train", "a"), ("val", "b")]
    labels_a = [a for a in dataset.get("train", "a").annotations if isinstance(a, Label)]
    labels_b = [a for a in dataset.get("val", "b").annotations if isinstance(a, Label)]
    assert [dataset.categories.labels[a.label].name for a in labels_a] == ["cat"]
    assert labels_b[0].attributes == {"difficult": True}
    assert dataset.meta["voc"]["union_lists"] == {"Main": {"trainval": ["train", "val"]}}


def test_voc_import_unknown_class_becomes_label_with_one_warning(tmp_path, capsys):
    obj = OBJECT.replace("cat", "gizmo")
    masks_dir = {"SegmentationClass/a.png": png(np.zeros((50, 60)))}
    root = write_voc(tmp_path, {"a": voc_xml(obj + obj)}, files=masks_dir)
    report = Report()
    dataset = cococonv.load(str(root), "voc", report=report)
    names = [label.name for label in dataset.categories.labels]
    assert names[:2] == ["background", "aeroplane"] and names[-1] == "gizmo"
    assert len(report.warnings) == 1 and "gizmo" in report.warnings[0]


def test_voc_import_masks_group_with_matching_object_and_keep_void(tmp_path):
    classes = np.zeros((50, 60), np.uint8)
    instances = np.zeros((50, 60), np.uint8)
    classes[20:40, 10:30] = 8  # cat
    instances[20:40, 10:30] = 1
    classes[0:5, 0:5] = 15  # person, instance 2 but object 2 does not exist
    instances[0:5, 0:5] = 2
    classes[45:, :] = 255
    instances[45:, :] = 255
    files = {"SegmentationClass/a.png": png(classes), "SegmentationObject/a.png": png(instances)}
    dataset = cococonv.load(str(write_voc(tmp_path, {"a": voc_xml()}, files=files)), "voc")
    item = only_item(dataset)
    box, cat_mask, person_mask = item.annotations
    assert isinstance(cat_mask, Mask) and cat_mask.group == box.group == 1
    assert person_mask.group == 0
    assert dataset.categories.labels[person_mask.label].name == "person"
    assert np.array_equal(masks.decode(cat_mask.rle), (classes == 8).astype(np.uint8))
    assert np.array_equal(masks.decode(item.ignore.semantic),
                          (classes == 255).astype(np.uint8))


def test_voc_import_reads_rgb_masks_through_labelmap_colours(tmp_path):
    rgb = np.zeros((50, 60, 3), np.uint8)
    rgb[10:20, 10:20] = (1, 2, 3)
    files = {"SegmentationClass/a.png": png(rgb, palette=False),
             "labelmap.txt": b"background:0,0,0::\nwidget:1,2,3::\n"}
    dataset = cococonv.load(str(write_voc(tmp_path, {"a": voc_xml("")}, files=files)), "voc")
    (mask,) = only_item(dataset).annotations
    assert dataset.categories.labels[mask.label].name == "widget"
    assert masks.area(mask.rle) == 100
    assert dataset.categories.colormap[1] == (1, 2, 3)


def test_voc_import_reads_a_zip_with_a_wrapping_folder(tmp_path):
    root = write_voc(tmp_path / "VOC2012", {"a": voc_xml()}, {"Main/train.txt": "a\n"})
    archive = tmp_path / "voc.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(tmp_path).as_posix())
    assert cococonv.detect(str(archive))[0] == ("voc", 30)
    item = only_item(cococonv.load(str(archive)))
    assert item.subset == "train" and len(item.annotations) == 1


def test_voc_detect_ranks_general_voc_first_and_ignores_cvat_xml(tmp_path):
    write_voc(tmp_path / "voc", {"a": voc_xml()})
    assert cococonv.detect(str(tmp_path / "voc"))[0] == ("voc", 30)
    cvat = tmp_path / "cvat"
    cvat.mkdir()
    (cvat / "annotations.xml").write_text("<annotations><version>1.1</version></annotations>")
    assert all(not name.startswith("voc") for name, _ in cococonv.detect(str(cvat)))


def _size(text):
    return lambda xml: xml.replace("<width>60</width>", f"<width>{text}</width>")


ERRORS = [
    pytest.param(lambda xml: xml.replace("<ymin>21</ymin>", "<ymin>21</ymax>"), DataError,
                 "Annotations/a.xml: line 3: not valid XML (Opening and ending tag mismatch: "
                 "ymin line 3 and ymax)", id="broken-xml"),
    pytest.param(lambda xml: xml.replace("<xmin>11</xmin>", "<xmin>abc</xmin>"), DataError,
                 "Annotations/a.xml: line 3: <xmin> must be a number, got 'abc'",
                 id="bad-coordinate"),
    pytest.param(lambda xml: xml.replace("<truncated>1</truncated>", "<truncated>2</truncated>"),
                 DataError, "Annotations/a.xml: line 2: <truncated> must be 0 or 1, got '2'",
                 id="bad-flag"),
    pytest.param(lambda xml: xml.replace("<name>cat</name>", ""), DataError,
                 "Annotations/a.xml: line 2: <object> has no <name>", id="no-name"),
    pytest.param(lambda xml: xml.replace("<xmax>31.5</xmax>", "<xmax>1</xmax>"), DataError,
                 "Annotations/a.xml: line 3: box (11, 21, 1, 41) has xmax < xmin or ymax < ymin",
                 id="inverted-box"),
    pytest.param(lambda xml: '<!DOCTYPE a [<!ENTITY x "y">]>\n' + xml, UnsafeInputError,
                 "Annotations/a.xml: line 1: the XML declares entities; refusing to read it",
                 id="entity"),
    pytest.param(lambda xml: xml.replace("annotation>", "annotations>"), DataError,
                 "Annotations/a.xml: line 1: the root element is <annotations>, expected "
                 "<annotation>", id="wrong-root"),
]


@pytest.mark.parametrize("mutation, error, expected", ERRORS)
def test_voc_import_errors_name_file_and_line(tmp_path, mutation, error, expected):
    xml = voc_xml().replace("<object>", "\n<object>").replace("<bndbox>", "\n<bndbox>")
    root = write_voc(tmp_path, {"a": mutation(xml)})
    with pytest.raises(error) as caught:
        cococonv.load(str(root), "voc")
    assert str(caught.value) == expected


MASK_ERRORS = [
    pytest.param({"SegmentationClass/a.png": "colour"},
                 "SegmentationClass/a.png: colour (9, 9, 9) is not in the label map",
                 id="unknown-colour"),
    pytest.param({"SegmentationClass/a.png": "index"},
                 "SegmentationClass/a.png: class index 40 is not in the label map (21 labels, "
                 "0-20)", id="unknown-index"),
    pytest.param({"SegmentationClass/a.png": "small"},
                 "SegmentationClass/a.png: mask is 6x5 but the image <size> is 60x50 "
                 "(width x height)", id="size-mismatch"),
]


@pytest.mark.parametrize("files, expected", MASK_ERRORS)
def test_voc_import_mask_errors_are_one_line(tmp_path, files, expected):
    arrays = {"colour": png(np.full((50, 60, 3), 9), palette=False),
              "index": png(np.full((50, 60), 40)), "small": png(np.zeros((5, 6))),
              "zeros": png(np.zeros((50, 60)))}
    base = {"SegmentationClass/a.png": png(np.zeros((50, 60)))}
    base.update({rel: arrays[v] if isinstance(v, str) else v for rel, v in files.items()})
    root = write_voc(tmp_path, {"a": voc_xml()}, files=base)
    with pytest.raises(DataError) as caught:
        cococonv.load(str(root), "voc")
    assert str(caught.value) == expected


def test_voc_import_reads_a_mask_whose_image_is_missing(tmp_path):
    """Fixed: "no image for this mask" refused cococonv's own VOC output of a source whose
    images were partly missing; the mask is the item's annotation all the same."""
    mask = np.zeros((50, 60))
    mask[:5, :6] = 1
    root = write_voc(tmp_path, {"a": voc_xml()},
                     files={"JPEGImages/b.jpg": b"", "SegmentationClass/a.png": png(mask)})
    report = Report()
    dataset = cococonv.load(str(root), "voc", report=report)
    item = dataset.get("default", "a")
    (found,) = [a for a in item.annotations if isinstance(a, Mask)]
    assert masks.area(found.rle) == 30
    assert report.warnings == ["1 mask(s) have no image in JPEGImages/; read with the mask's "
                               "size"]


def test_voc_import_on_error_skip_drops_only_the_bad_file(tmp_path):
    root = write_voc(tmp_path, {"a": voc_xml(), "b": "<annotation>"})
    report = Report("skip")
    dataset = cococonv.load(str(root), "voc", report=report)
    assert [item.id for item in dataset] == ["a"] and len(report.skipped) == 1


def test_voc_cli_error_is_one_line_without_traceback(tmp_path, runner, cli):
    root = write_voc(tmp_path / "in", {"a": voc_xml().replace("</annotation>", "")})
    result = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(root), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: Annotations/a.xml: line 1: not valid XML (Premature end of data in tag "
        "annotation line 1)"]
    assert result.stdout == ""


@pytest.mark.parametrize("name, line", [(b"ca\x00t", "line 3: label 'ca\\x00t' holds U+0000"),
                                        (b"ca\xfft", "line 3: not UTF-8 text")])
def test_a_label_map_name_xml_cannot_hold_is_refused_where_it_is_read(tmp_path, runner, cli,
                                                                      name, line):
    """Conformance-kit finding: such a name was read as a label (NUL kept, bad bytes as
    U+FFFD) and only the exporter refused it, naming no file."""
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    (tmp_path / "ImageSets" / "Main" / "cat_train.txt").write_text("a 1\n")
    (tmp_path / "labelmap.txt").write_bytes(b"# label:color_rgb:parts:actions\n"
                                            b"background:0,0,0::\n" + name + b":1,2,3::\n")
    result = runner.invoke(cli, ["info", "-if", "voc_classification", "-i", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: labelmap.txt: {line}" + (
        ", a character XML 1.0 cannot hold (docs/limits.md)" if "U+" in line else "")]


def test_an_rgb_mask_pixel_of_a_colour_two_labels_share_is_refused(tmp_path):
    """F34: ``cat`` and ``dog`` both 128,0,0 in labelmap.txt: an RGB mask pixel of that colour
    has no one label; it was read as whichever came first."""
    rgb = np.zeros((50, 60, 3))
    rgb[:5, :6] = (128, 0, 0)
    labelmap = "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:128,0,0::\ndog:128,0,0::\n"
    root = write_voc(tmp_path, {"a": voc_xml()},
                     files={"SegmentationClass/a.png": png(rgb, palette=False),
                            "labelmap.txt": labelmap.encode()})
    with pytest.raises(DataError) as caught:
        cococonv.load(str(root), "voc")
    assert str(caught.value) == ("SegmentationClass/a.png: colour (128, 0, 0) belongs to several "
                                 "labels of the label map, so its pixels have no one label")


def test_image_level_tags_voc_does_not_read_are_reported_where_a_target_drops_them(tmp_path):
    """<folder>, <source>, <owner> (or any other tag beside <object>) are written back by
    voc; voc -> coco dropped them without a line. An empty one holds nothing to lose."""
    src = write_voc(tmp_path / "in", {
        "a": voc_xml(extra="<source><database>mine</database></source><owner>me</owner>"),
        "b": voc_xml(filename="b.jpg").replace("<folder>VOC</folder>", "<folder/>")})
    report = cococonv.convert(str(src), str(tmp_path / "coco"), input_format="voc",
                              output_format="coco")
    lost = {what: count for (what, _why), count in report.losses.items()}
    assert lost["image fields of other formats: voc.unknown_tags"] == 1
    cococonv.convert(str(src), str(tmp_path / "voc"), input_format="voc", output_format="voc")
    written = (tmp_path / "voc" / "Annotations" / "a.xml").read_text()
    assert "<database>mine</database>" in written and "<owner>me</owner>" in written
