"""segment_anything (SA-1B): reading per-image JSON files item by item, writing them, and
converting to and from COCO."""
from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

import cococonv
from cococonv import masks
from cococonv.model import Dataset, Mask
from cococonv.report import Report

from .sa_files import annotation, block_rle, doc, sa_set, write

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"


def _report() -> Report:
    return Report(quiet=True)


def test_a_file_reads_as_one_item_of_rle_masks_with_the_sam_fields_in_the_namespace(
        tmp_path):
    write(tmp_path, {"sa_7.json": doc(image_id=7, name="sa_7.jpg", annotations=[
        annotation(3, extra_key="kept"), annotation(4, predicted_iou=0.5)])})
    dataset = cococonv.load(str(tmp_path), "segment_anything")
    assert isinstance(dataset, Dataset)
    [item] = list(dataset)
    assert (item.id, item.subset, item.image_id, item.image.size) == \
        ("sa_7", "default", 7, (12, 16))
    assert item.image.path == str(tmp_path / "sa_7.jpg")
    first, second = item.annotations
    assert type(first) is Mask and first.id == 3
    assert first.rle == block_rle(12, 16, 2, 3, 4, 5)
    assert (first.declared_bbox, first.declared_area) == ([3.0, 2.0, 5.0, 4.0], 20)
    assert first.extra["segment_anything"] == {
        "predicted_iou": 0.91, "point_coords": [[5.25, 3.5]],
        "crop_box": [0.0, 0.0, 16.0, 12.0], "stability_score": 0.97,
        "keys": {"extra_key": "kept"}}
    assert second.extra["segment_anything"]["predicted_iou"] == 0.5
    assert [label.name for label in dataset.categories.labels] == ["object"]
    assert first.label == 0
    unlabelled = cococonv.load(str(tmp_path), "segment_anything", label="")
    assert not unlabelled.categories.labels
    assert next(iter(unlabelled)).annotations[0].label is None


def test_datumaros_empty_prompt_point_and_crop_box_read_as_given(tmp_path):
    write(tmp_path, {"a.json": doc(name="a.jpg", annotations=[
        annotation(1, point_coords=[[]], crop_box=[])])})
    [item] = list(cococonv.load(str(tmp_path), "segment_anything"))
    own = item.annotations[0].extra["segment_anything"]
    assert (own["point_coords"], own["crop_box"]) == ([[]], [])


def test_split_folders_are_subsets_and_sa1b_tar_folders_stay_one_subset(tmp_path):
    write(tmp_path / "splits", {"train/a.json": doc(name="a.jpg"),
                                "val/sub/b.json": doc(name="b.jpg")})
    items = list(cococonv.load(str(tmp_path / "splits"), "segment_anything"))
    assert [(i.subset, i.id, i.image.name) for i in items] == \
        [("train", "a", "a.jpg"), ("val", "sub/b", "sub/b.jpg")]
    write(tmp_path / "tars", {"sa_000000/sa_1.json": doc(name="sa_1.jpg"),
                              "sa_000001/sa_2.json": doc(name="sa_2.jpg")})
    items = list(cococonv.load(str(tmp_path / "tars"), "segment_anything"))
    assert [(i.subset, i.id) for i in items] == [("default", "sa_000000/sa_1"),
                                                  ("default", "sa_000001/sa_2")]
    assert all(item.image.path for item in items)


def test_detection_claims_sa_files_and_only_them(tmp_path):
    sa_set(tmp_path / "sa")
    assert cococonv.detect(str(tmp_path / "sa"))[0][0] == "segment_anything"
    coco = FIXTURES / "datumaro" / "coco_dataset" / "coco_instances"
    if coco.is_dir():
        assert "segment_anything" not in dict(cococonv.detect(str(coco)))


def _counting_opens(monkeypatch) -> list[str]:
    from cococonv.sources import DirTree

    opened: list[str] = []
    real = DirTree.open

    def spy(self, rel):
        opened.append(rel)
        return real(self, rel)

    monkeypatch.setattr(DirTree, "open", spy)
    return opened


def test_items_are_a_generator_reading_each_file_when_its_item_is_produced(
        tmp_path, monkeypatch):
    sa_set(tmp_path, count=30)
    source = cococonv.load(str(tmp_path), "segment_anything", stream=True)
    assert not isinstance(source, (Dataset, list, tuple))
    opened = _counting_opens(monkeypatch)
    walk = iter(source)
    assert opened == []
    next(walk)
    next(walk)
    assert opened == ["sa_1.json", "sa_10.json"]  # path order
    assert len(list(walk)) == 28 and len(opened) == 30
    assert [item.id for item in source][:2] == ["sa_1", "sa_10"]  # walkable again


def _tiny_set(root: Path, count: int) -> Path:
    """``count`` files of ~3 KB each (a long unknown key, kept as it is), no images."""
    files = {f"f/{n:05d}.json": doc(image_id=n, name=f"{n:05d}.jpg", annotations=[
        annotation(n, note="x" * 3000)]) for n in range(count)}
    return write(root, files, images=False)


def test_two_thousand_files_convert_in_the_memory_of_one(tmp_path):
    root = _tiny_set(tmp_path / "in", 2000)
    warm = _tiny_set(tmp_path / "warm", 3)  # imports and caches, outside the measure
    cococonv.convert(str(warm), str(tmp_path / "warm-out"), output_format="segment_anything",
                     jobs=1, report=_report())
    tracemalloc.start()
    try:
        cococonv.convert(str(root), str(tmp_path / "out"), input_format="segment_anything",
                         output_format="segment_anything", jobs=1, report=_report())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the 2,000 items hold ~11 MiB once parsed (measured as a Dataset); one ~6 KiB
    assert peak < 2 << 20, peak
    assert len(list((tmp_path / "out" / "f").iterdir())) == 2000


def test_sa_to_sa_keeps_every_field_and_copies_images_beside(tmp_path):
    source = write(tmp_path / "in", {
        "train/sa_1.json": {**doc(annotations=[annotation(5, note="x")]), "top": 1},
        "train/sa_2.json": doc(image_id=2, name="sa_2.jpg", license=3)})
    report = cococonv.convert(str(source), str(tmp_path / "out"), output_format=
                              "segment_anything", output_options={"save_images": True},
                              jobs=1, report=_report())
    assert not report.has_losses, report.table()
    for rel in ("train/sa_1.json", "train/sa_2.json"):
        assert json.loads((tmp_path / "out" / rel).read_text()) == \
            json.loads((source / rel).read_text())
    assert (tmp_path / "out" / "train" / "sa_2.jpg").read_bytes() == \
        (source / "train" / "sa_2.jpg").read_bytes()


def test_sa_to_coco_writes_masks_as_rle_with_the_declared_box_and_area(tmp_path):
    sa_set(tmp_path / "sa", count=2)
    report = cococonv.convert(str(tmp_path / "sa"), str(tmp_path / "coco"),
                              output_format="coco", jobs=1, report=_report())
    coco = json.loads((tmp_path / "coco" / "annotations" /
                       "instances_default.json").read_text())
    assert coco["categories"] == [{"id": 1, "name": "object", "supercategory": ""}]
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in coco["images"]] == \
        [(1, "sa_1.jpg", 16, 12), (2, "sa_2.jpg", 16, 12)]
    first = coco["annotations"][0]
    assert first["id"] == 11 and first["iscrowd"] == 0
    assert first["segmentation"] == block_rle(12, 16, 2, 3, 4, 5)
    assert (first["bbox"], first["area"]) == ([3.0, 2.0, 5.0, 4.0], 20)
    assert report.losses[("annotations' segment_anything fields (crop_box, point_coords, "
                          "predicted_iou, stability_score)", "COCO has no place for them (a "
                          "segment_anything export writes them back)")] == 2


def test_coco_to_sa_rasterises_polygons_and_round_trips_back_to_coco(tmp_path):
    coco = FIXTURES / "datumaro" / "coco_dataset" / "coco_instances"
    if not coco.is_dir():
        pytest.skip("../shared/fixtures is absent")
    report = cococonv.convert(str(coco), str(tmp_path / "sa"), input_format="coco",
                              output_format="segment_anything", jobs=1, report=_report())
    approximated = {what for what, _how in report.approximations}
    assert "polygons" in approximated
    lost = {what for what, _why in report.losses}
    assert "labels on masks" in lost and "annotation attributes" in lost
    back = cococonv.load(str(tmp_path / "sa"), "segment_anything")
    original = cococonv.load(str(coco), "coco")
    for item in original:
        written = json.loads((tmp_path / "sa" / item.subset /
                              f"{item.id}.json").read_text())
        assert written["image"]["image_id"] == item.image_id
        shaped = [a for a in item.annotations if a.kind in ("polygon", "mask")]
        assert len(written["annotations"]) == len({id(a.extra) for a in shaped})
        for record in written["annotations"]:
            masks.check_rle(record["segmentation"], item.image.size[0], item.image.size[1])
    cococonv.convert(str(tmp_path / "sa"), str(tmp_path / "coco"), output_format="coco",
                     jobs=1, report=_report())
    again = cococonv.load(str(tmp_path / "coco"), "coco")
    assert [(i.subset, i.id) for i in again] == [(i.subset, i.id) for i in back]
    for mine, theirs in zip(back, again):
        assert [a.rle for a in mine.annotations] == [a.rle for a in theirs.annotations]
        assert [a.declared_bbox for a in mine.annotations] == \
            [a.declared_bbox for a in theirs.annotations]


def test_what_sa_cannot_hold_is_reported(tmp_path):
    from cococonv.model import Bbox, Categories, Image, Item, Points, Polygon

    cats = Categories()
    cats.add("car")
    item = Item(id="a", image=Image("a.jpg", size=(10, 10)), annotations=[
        Bbox(label=0, x=1, y=1, w=3, h=3),
        Points(label=0, points=[1, 1], visibility=[2]),
        Polygon(label=0, group=1, points=[1, 1, 5, 1, 5, 5]),
        Polygon(label=0, group=1, points=[6, 6, 9, 6, 9, 9], attributes={"occluded": True}),
        Bbox(label=0, group=1, x=1, y=1, w=8, h=8)])
    report = cococonv.save(Dataset(cats, [item]), "segment_anything", str(tmp_path / "out"),
                           jobs=1, report=_report())
    written = json.loads((tmp_path / "out" / "a.json").read_text())
    [record] = written["annotations"]
    assert record["id"] == 1 and record["bbox"] == [1, 1, 8, 8]  # the group's box
    assert record["area"] == masks.area(record["segmentation"])
    lost = {what: count for (what, _why), count in report.losses.items()}
    assert lost["boxes without a mask or polygon"] == 1 and lost["keypoints"] == 1
    assert lost["labels on masks"] == 1 and lost["annotation attributes"] == 1
    assert lost["labels"] == 1
    approximated = {what: n for (what, _how), n in report.approximations.items()}
    assert approximated == {"polygons": 2, "objects of several masks or polygons": 1}


def test_coco_fields_sa_cannot_hold_are_reported_by_name(tmp_path):
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], "area": 9,
           "iscrowd": 0, "segmentation": [[1, 1, 4, 1, 4, 4]], "foo": 3}
    doc_ = {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
            "categories": [{"id": 1, "name": "car"}], "annotations": [ann]}
    (tmp_path / "in" / "annotations").mkdir(parents=True)
    (tmp_path / "in" / "annotations" / "instances_default.json").write_text(json.dumps(doc_))
    report = cococonv.convert(str(tmp_path / "in"), str(tmp_path / "out"),
                              output_format="segment_anything", input_format="coco",
                              report=_report())
    assert report.losses[("annotation fields of other formats: foo",
                          "SA-1B annotations hold only their own keys")] == 1


def test_empty_keypoint_schemas_are_not_reported_as_lost_skeletons(tmp_path):
    from cococonv.model import Categories, Image, Item, KeypointSchema

    cats = Categories()
    for name in ("car", "person"):
        cats.add(name)
    cats.keypoints[0] = KeypointSchema()  # COCO's "keypoints": [] of a person_keypoints file
    cats.keypoints[1] = KeypointSchema(["nose", "eye"], [[1, 2]])
    report = cococonv.save(Dataset(cats, [Item(id="a", image=Image("a.jpg", size=(4, 4)))]),
                           "segment_anything", str(tmp_path / "out"), jobs=1,
                           report=_report())
    assert report.losses[("keypoint skeletons", "SA-1B has no keypoints")] == 1


def test_the_run_says_how_many_items_and_annotations_it_wrote(runner, cli, tmp_path):
    sa_set(tmp_path / "in", 3)
    for fmt in ("coco", "segment_anything"):
        done = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", fmt,
                                   "-o", str(tmp_path / fmt), "-j", "1"])
        assert done.exit_code == 0, done.output
        assert done.stderr.splitlines()[-1].startswith("wrote 3 items, 3 annotations, "), \
            done.stderr
