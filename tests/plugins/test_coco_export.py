"""COCO exporter: task selection, ids (kept or --reindex), computed boxes and areas, options.

Boxes and areas that cococonv computes (the source had none) are cross-checked with pycocotools
called directly, not with cococonv.masks.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as pycoco_mask

import cococonv
from cococonv.model import Bbox, Caption, Dataset, Image, Item, Points
from cococonv.report import Report

from ..builders import assert_same_json, coco_ann, coco_doc, coco_image, files_under, write_coco


def read_json(path: Path):
    return json.loads(Path(path).read_bytes())


def export(tmp_path: Path, docs: dict[str, dict], **output_options) -> Path:
    """Write ``docs`` as a COCO folder, convert it coco -> coco and return the output folder."""
    source = write_coco(tmp_path / "in", docs)
    out = tmp_path / "out"
    cococonv.convert(str(source), str(out), output_format="coco", output_options=output_options)
    return out


def written_annotation(tmp_path: Path, ann: dict, image: dict | None = None,
                       name: str = "instances_val", **top) -> dict:
    doc = coco_doc(images=[image or coco_image()], annotations=[ann], **top)
    out = export(tmp_path, {name: doc})
    (record,) = read_json(out / "annotations" / f"{name}.json")["annotations"]
    return record


def without(record: dict, *keys: str) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


# -- tasks --------------------------------------------------------------------------------------

def test_coco_export_with_tasks_writes_only_those_tasks_unchanged(fixtures_root, tmp_path):
    source = fixtures_root / "datumaro/coco_dataset/coco"
    out = tmp_path / "out"
    report = cococonv.convert(str(source), str(out), output_format="coco",
                              output_options={"tasks": ["instances", "stuff"]})
    assert files_under(out) == ["annotations/instances_train.json",
                                "annotations/instances_val.json",
                                "annotations/stuff_train.json", "annotations/stuff_val.json"]
    for name in files_under(out):
        # Objects of the tasks left out (keypoints, panoptic segments) must not move into the
        # instances files: they are reported as lost instead.
        assert_same_json(read_json(source / name), read_json(out / name), name)
    lost = {what for what, _why in report.losses}
    assert {"captions annotations", "labels annotations"} <= lost


def test_coco_export_with_an_unknown_task_is_an_option_error(tmp_path):
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc()})
    with pytest.raises(cococonv.OptionError, match="nope"):
        cococonv.convert(str(source), str(tmp_path / "out"), output_format="coco",
                         output_options={"tasks": ["nope"]})
    assert not (tmp_path / "out").exists()


def test_coco_export_of_a_model_dataset_writes_one_file_per_task_it_needs(tmp_path):
    dataset = Dataset()
    dataset.categories.add("dog")
    dataset.categories.add("cat", id=7)
    dataset.add(Item("x", "train", Image("x.jpg", (8, 10)), [
        Bbox(label=0, x=1, y=2, w=3, h=4),
        Points(label=1, points=[1, 2, 3, 4], visibility=[2, 0]),
        Caption(caption="hi")]))
    cococonv.save(dataset, "coco", str(tmp_path / "out"))
    assert files_under(tmp_path / "out") == ["annotations/captions_train.json",
                                             "annotations/instances_train.json",
                                             "annotations/person_keypoints_train.json"]
    instances = read_json(tmp_path / "out/annotations/instances_train.json")
    # A label without an id gets the next free one; a label with an id keeps it.
    assert [(c["id"], c["name"]) for c in instances["categories"]] == [(8, "dog"), (7, "cat")]
    assert instances["images"] == [{"id": 1, "width": 10, "height": 8, "file_name": "x.jpg"}]
    (box,) = instances["annotations"]
    assert box["bbox"] == [1, 2, 3, 4] and box["area"] == 12 and box["segmentation"] == []
    (points,) = read_json(tmp_path / "out/annotations/person_keypoints_train.json")["annotations"]
    assert points["keypoints"] == [1, 2, 2, 3, 4, 0] and points["num_keypoints"] == 1


# -- ids ----------------------------------------------------------------------------------------

def sparse_docs() -> dict[str, dict]:
    categories = [{"id": 4, "name": "c", "supercategory": ""},
                  {"id": 0, "name": "a", "supercategory": ""}]
    train = coco_doc(
        images=[coco_image(id=30, file_name="z.jpg"), coco_image(id=2, file_name="b.jpg"),
                coco_image(id=17, file_name="m.jpg")],
        annotations=[coco_ann(id=90, image_id=30, category_id=0),
                     coco_ann(id=5, image_id=30, category_id=4),
                     coco_ann(id=0, image_id=2, category_id=4),
                     coco_ann(id=41, image_id=17, category_id=0)],
        categories=categories)
    val = coco_doc(images=[coco_image(id=900, file_name="v.jpg")],
                   annotations=[coco_ann(id=12, image_id=900, category_id=4)],
                   categories=categories)
    return {"instances_train": train, "instances_val": val}


def test_coco_export_keeps_source_ids_and_image_order_by_default(tmp_path):
    out = export(tmp_path, sparse_docs())
    train = read_json(out / "annotations/instances_train.json")
    assert [i["id"] for i in train["images"]] == [30, 2, 17]
    assert [i["file_name"] for i in train["images"]] == ["z.jpg", "b.jpg", "m.jpg"]
    assert [c["id"] for c in train["categories"]] == [4, 0]
    assert [(a["id"], a["image_id"], a["category_id"]) for a in train["annotations"]] == [
        (90, 30, 0), (5, 30, 4), (0, 2, 4), (41, 17, 0)]


def test_coco_export_reindex_numbers_ids_from_one_in_input_order(tmp_path):
    out = export(tmp_path, sparse_docs(), reindex=True)
    train = read_json(out / "annotations/instances_train.json")
    val = read_json(out / "annotations/instances_val.json")
    assert [(i["id"], i["file_name"]) for i in train["images"]] == [
        (1, "z.jpg"), (2, "b.jpg"), (3, "m.jpg")]
    assert [(i["id"], i["file_name"]) for i in val["images"]] == [(1, "v.jpg")]  # per subset
    # categories in declaration order: c (4) -> 1, a (0) -> 2; references follow.
    assert [(c["id"], c["name"]) for c in train["categories"]] == [(1, "c"), (2, "a")]
    assert [(a["id"], a["image_id"], a["category_id"]) for a in train["annotations"]] == [
        (1, 1, 2), (2, 1, 1), (3, 2, 1), (4, 3, 2)]
    assert [(a["id"], a["image_id"], a["category_id"]) for a in val["annotations"]] == [(1, 1, 1)]


def test_coco_export_reindex_gives_one_image_the_same_id_in_every_task_file(fixtures_root,
                                                                           tmp_path):
    out = tmp_path / "out"
    cococonv.convert(str(fixtures_root / "datumaro/coco_dataset/coco"), str(out),
                     output_format="coco", output_options={"reindex": True})
    label_ids = {"a": 1, "b": 2, "c": 3}
    for name in files_under(out):
        if not name.endswith(".json"):
            continue
        doc = read_json(out / name)
        assert [i["id"] for i in doc["images"]] == [1], name
        ids = [a["id"] for a in doc.get("annotations", []) if "id" in a]
        assert ids == list(range(1, len(ids) + 1)), name
        # a, b, c are labels 1, 2, 3 in every file that declares them.
        assert all(c["id"] == label_ids[c["name"]] for c in doc["categories"]), name


def test_coco_export_keeps_string_image_ids_and_category_id_zero(tmp_path):
    doc = coco_doc(images=[coco_image(id="img:7")],
                   categories=[{"id": 0, "name": "bg", "supercategory": ""}],
                   annotations=[coco_ann(image_id="img:7", category_id=0)])
    out = export(tmp_path, {"instances_val": doc})
    assert_same_json(doc, read_json(out / "annotations/instances_val.json"))


# -- computed bbox and area, cross-checked with pycocotools -----------------------------------------

def pycoco_polygon_area(rings: list[list[float]], height: int, width: int) -> int:
    return int(pycoco_mask.area(pycoco_mask.merge(pycoco_mask.frPyObjects(rings, height, width))))


def test_coco_export_computes_polygon_area_as_pycocotools_rasterises_it(tmp_path):
    ring = [1.5, 1.25, 8.75, 2.0, 6.2, 7.9, 0.4, 6.0]
    record = written_annotation(tmp_path, without(coco_ann(segmentation=[ring]), "bbox", "area"),
                                coco_image(width=10, height=8))
    assert record["area"] == pycoco_polygon_area([ring], 8, 10)
    assert record["bbox"] == [0.4, 1.25, 8.75 - 0.4, 7.9 - 1.25]  # tight around the points


def test_coco_export_computes_the_area_of_several_rings_as_their_union(tmp_path):
    rings = [[0, 0, 6, 0, 6, 6, 0, 6], [3, 3, 9, 3, 9, 7, 3, 7]]  # overlapping squares
    record = written_annotation(tmp_path, without(coco_ann(segmentation=rings), "bbox", "area"),
                                coco_image(width=10, height=8))
    assert record["area"] == pycoco_polygon_area(rings, 8, 10)
    assert record["bbox"] == [0, 0, 9, 7]
    assert record["segmentation"] == rings


def test_coco_export_computes_crowd_rle_area_and_bbox_with_pycocotools(tmp_path):
    rle = {"size": [8, 10], "counts": [11, 3, 5, 4, 4, 5, 48]}
    record = written_annotation(
        tmp_path, without(coco_ann(segmentation=rle, iscrowd=1), "bbox", "area"),
        coco_image(width=10, height=8))
    compressed = pycoco_mask.frPyObjects(rle, 8, 10)
    assert record["area"] == int(pycoco_mask.area(compressed))
    assert record["bbox"] == [float(v) for v in pycoco_mask.toBbox(compressed)]
    assert record["segmentation"] == rle  # still uncompressed, as given


def test_coco_export_computes_compressed_rle_area_and_bbox_with_pycocotools(tmp_path):
    array = np.zeros((8, 10), dtype=np.uint8)
    array[1:6, 2:9] = 1
    array[3, 4] = 0
    encoded = pycoco_mask.encode(np.asfortranarray(array))
    rle = {"size": [8, 10], "counts": encoded["counts"].decode("ascii")}
    record = written_annotation(tmp_path, without(coco_ann(segmentation=rle), "bbox", "area"),
                                coco_image(width=10, height=8))
    assert record["area"] == int(pycoco_mask.area(encoded)) == 34
    assert record["bbox"] == [float(v) for v in pycoco_mask.toBbox(encoded)]
    assert record["segmentation"] == rle


def test_coco_export_computes_box_area_from_the_box(tmp_path):
    record = written_annotation(tmp_path, without(coco_ann(segmentation=[], bbox=[1.5, 2, 3.25, 4]),
                                                  "area"))
    assert record["area"] == 3.25 * 4 and record["bbox"] == [1.5, 2, 3.25, 4]


def test_coco_export_computes_polygon_area_exactly_when_the_image_size_is_unknown(tmp_path):
    record = written_annotation(
        tmp_path, without(coco_ann(segmentation=[[0, 0, 4, 0, 0, 3]]), "bbox", "area"),
        {"id": 1, "file_name": "a.jpg"})
    assert record["area"] == 6.0 and record["bbox"] == [0, 0, 4, 3]


def test_coco_export_computes_keypoint_bbox_and_count_from_visible_points(tmp_path):
    ann = without(coco_ann(segmentation=[], keypoints=[2, 3, 2, 9, 9, 0, 6, 1, 1]), "bbox", "area")
    record = written_annotation(
        tmp_path, ann, name="person_keypoints_val",
        categories=[{"id": 1, "name": "p", "supercategory": "", "keypoints": ["a", "b", "c"],
                     "skeleton": []}])
    assert record["keypoints"] == [2, 3, 2, 9, 9, 0, 6, 1, 1]  # v=0 point keeps its x/y
    assert record["bbox"] == [2, 1, 4, 2] and record["num_keypoints"] == 2


def test_coco_export_never_recomputes_a_declared_num_keypoints_or_empty_bbox(tmp_path):
    ann = coco_ann(segmentation=[], bbox=[0, 0, 0, 0], area=0, keypoints=[2, 3, 2, 0, 0, 0],
                   num_keypoints=0)
    record = written_annotation(
        tmp_path, ann, name="person_keypoints_val",
        categories=[{"id": 1, "name": "p", "supercategory": "", "keypoints": ["a", "b"],
                     "skeleton": [[1, 2]]}])
    assert_same_json(ann, record)


# -- options ------------------------------------------------------------------------------------

def test_coco_export_segmentation_mode_mask_writes_pycocotools_rle(tmp_path):
    rings = [[1, 1, 8, 1, 8, 6, 1, 6], [2, 6.5, 5, 6.5, 3, 7.5]]
    record = written_annotation(tmp_path, coco_ann(segmentation=rings, area=40.0),
                                coco_image(width=10, height=8))
    assert record["segmentation"] == rings  # guess (the default) keeps polygons
    out = export(tmp_path / "mask", {"instances_val": coco_doc(
        images=[coco_image(width=10, height=8)],
        annotations=[coco_ann(segmentation=rings, area=40.0)])}, segmentation_mode="mask")
    (record,) = read_json(out / "annotations/instances_val.json")["annotations"]
    expected = pycoco_mask.merge(pycoco_mask.frPyObjects(rings, 8, 10))
    assert record["segmentation"] == {"size": [8, 10], "counts": expected["counts"].decode("ascii")}
    assert record["area"] == 40.0  # the declared area is kept


def test_coco_export_without_attributes_drops_them_and_counts_them(tmp_path):
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(annotations=[
        coco_ann(id=1, attributes={"occluded": True}), coco_ann(id=2)])})
    report = cococonv.convert(str(source), str(tmp_path / "out"), output_format="coco",
                              output_options={"allow_attributes": False})
    anns = read_json(tmp_path / "out/annotations/instances_val.json")["annotations"]
    assert all("attributes" not in a for a in anns)
    assert report.losses == {("annotation attributes", "--no-allow-attributes"): 1}


def test_coco_export_save_images_copies_the_bytes(fixtures_root, tmp_path):
    source = fixtures_root / "datumaro/coco_dataset/coco_instances"
    out = tmp_path / "out"
    cococonv.convert(str(source), str(out), output_format="coco",
                     output_options={"save_images": True})
    assert files_under(out) == ["annotations/instances_train.json",
                                "annotations/instances_val.json",
                                "images/train/a.jpg", "images/val/b.jpg"]
    for name in ("images/train/a.jpg", "images/val/b.jpg"):
        assert (out / name).read_bytes() == (source / name).read_bytes()


def test_coco_export_save_images_reports_missing_media(fixtures_root, tmp_path):
    report = cococonv.convert(str(fixtures_root / "sahi/coco_utils/terrain_all_coco.json"),
                              str(tmp_path / "out"), output_format="coco",
                              output_options={"save_images": True})
    assert files_under(tmp_path / "out") == ["annotations/instances_default.json",
                                             "images/default/terrain1.jpg"]
    assert report.losses == {("images", "not present in the input"): 2}


def test_coco_export_indent_writes_the_same_json_pretty_printed(tmp_path):
    docs = {"instances_val": coco_doc()}
    plain = read_json(export(tmp_path / "plain", docs) / "annotations/instances_val.json")
    out = export(tmp_path / "pretty", docs, indent=True)
    text = (out / "annotations/instances_val.json").read_text()
    assert "\n  " in text and json.loads(text) == plain


def test_coco_export_options_are_checked_before_reading_the_input(tmp_path):
    with pytest.raises(cococonv.OptionError, match="reindexx"):
        cococonv.convert(str(tmp_path / "does-not-exist"), str(tmp_path / "out"),
                         output_format="coco", output_options={"reindexx": True})


def test_coco_export_report_is_empty_for_a_lossless_round_trip(fixtures_root, tmp_path):
    report = Report()
    cococonv.convert(str(fixtures_root / "datumaro/coco_dataset/coco"), str(tmp_path / "out"),
                     output_format="coco", report=report)
    assert not report.has_losses and report.table() == ""


def test_coco_export_jobs_give_the_same_bytes_and_report(tmp_path):
    """--jobs 2 forks workers for the records, panoptic PNGs and masks: same files, same
    report in the same order, with polygons, masks, keypoints, captions and panoptic."""
    from cococonv import masks
    from cococonv.engine import CHUNK
    from cococonv.model import Categories, LabelCategory, Mask, Polygon

    height, width = 24, 32
    categories = Categories([LabelCategory(name) for name in ("cat", "dog", "person")])
    items = []
    for k in range(4 * CHUNK + 50):
        shift = float(k % 7)
        anns = [Polygon(id=None if k % 5 == 0 else k * 10, label=k % 2,
                        points=[1 + shift, 1, 9 + shift, 1, 9 + shift, 8, 1 + shift, 8],
                        z_order=k % 3, attributes={"note": f"n{k % 4}"} if k % 2 else {}),
                Bbox(label=1, x=2, y=3, w=5 + k % 4, h=6, group=1),
                Bbox(label=1, x=12, y=3, w=5, h=6, group=1),
                Points(label=2, points=[3.0, 4.0, 5.0, 6.0], visibility=[2, k % 3]),
                Caption(caption=f"caption {k}")]
        if k % 9 == 0:
            anns.append(Mask(label=0, attributes={"is_crowd": k % 2 == 0},
                             rle=masks.encode(np.eye(height, width, dtype=np.uint8))))
        subset = "train" if k % 3 else "val"
        items.append(Item(f"img{k:03d}", subset, Image(f"img{k:03d}.jpg", (height, width)),
                          anns, attributes={"id": k + 1}))
    data = Dataset(categories, items)
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        report = cococonv.save(data, "coco", str(out), report=Report(quiet=True), jobs=jobs,
                               tasks=["instances", "person_keypoints", "captions",
                                      "panoptic"], crop_covered=True)
        files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                 if p.is_file()}
        results[jobs] = (files, list(report.losses.items()),
                         list(report.approximations.items()), list(report.warnings))
    assert results[1] == results[2]
    files = results[1][0]
    assert len([f for f in files if f.startswith("annotations/panoptic_")
                and f.endswith(".png")]) == len(items)
    captions = json.loads(files["annotations/captions_train.json"])
    assert len(captions["annotations"]) == len([i for i in items if i.subset == "train"])


@pytest.mark.parametrize("in_memory", [False, True])
def test_coco_json_parts_give_the_bytes_of_one_dumps_call_per_512_records(tmp_path, in_memory):
    """A value msgspec refuses (a None key) sends its batch of 512 through the stdlib, as
    the one-pass writer's batches did: floats there read 1e+16, elsewhere 1e16. A part
    kept in memory (an in-memory source's) gives the same bytes as a part file."""
    from cococonv.fileio import dumps_json
    from cococonv_plugins.coco.json_parts import (PartWriter, encode_after_ids, join_with_ids,
                                                  write_json)

    records = [{"id": k, "image_id": k, "v": 1e16} for k in range(1300)]
    records[700]["odd"] = {None: 1}
    expected_list = b",".join(dumps_json(records[k:k + 512])[1:-1]
                              for k in range(0, len(records), 512))
    part = PartWriter(None if in_memory else str(tmp_path / "p.part"))
    for k in range(0, len(records), 100):  # one item = 100 records
        batch = [dict(r) for r in records[k:k + 100]]
        tails, plains = encode_after_ids(batch)
        ids = [b'{"id":%d' % (k + j) for j in range(len(tails))]
        part.add(join_with_ids(ids, tails), len(tails), plains)
    part.close()
    out = tmp_path / "a" / "x.json"
    write_json(str(out), {"info": {}}, [("annotations", part)], {"categories": []})
    assert out.read_bytes() == b'{"info":{},"annotations":[' + expected_list + b'],"categories":[]}'
    assert b"1e+16" in expected_list and b"1e16" in expected_list
    assert (tmp_path / "p.part").exists() is not in_memory
    part.discard()
    assert not (tmp_path / "p.part").exists()
