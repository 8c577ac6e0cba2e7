"""coco -> coco keeps every field: each COCO fixture through the CLI, generated documents through the API.

Records are compared semantically and strictly (types count: 79.12 must not come back as
79.12000274658203, 6718 not as 6718.0, a compressed RLE string not as a list): per file the
top-level keys (info, licenses, unknown ones), the images and categories lists in order, and the
annotations of each image in order.

Intended differences, and only these, are applied to the source before comparing (see
``expected_document``):

- a results list (a bare JSON list) becomes a full COCO document: ``info: {}``,
  ``licenses: []``, one ``{"id": ...}`` image per image id used, one category per category id
  used, named by the record's ``category_name`` or else by the id;
- ``info``/``licenses`` missing from a source document are written as ``{}``/``[]``;
- object records (instances, person_keypoints, stuff) without ``iscrowd`` get 0 and the text
  ``"false"``/``"true"`` becomes 0/1; without ``segmentation`` they get ``[]``; a flat segmentation
  list (one ring not wrapped in a list) becomes a list holding that ring;
- a missing ``id``, ``area``, ``bbox`` (and ``num_keypoints`` of keypoints) is computed: here only
  its presence is checked, its value against pycocotools in tests/plugins/test_coco_export.py;
- a label name given as ``category_id`` (no categories declared) becomes a real category of
  that name, and the record refers to its id.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from pycocotools import mask as pycoco_mask

import cococonv
from cococonv.registry import default_registry

from .builders import (assert_same_json, coco_ann, coco_doc, coco_image, files_under,
                       json_differences, write_coco)

OBJECT_TASKS = ("instances", "person_keypoints", "stuff")
SAME_NAMES = "same"  # every annotations/*.json (or root *.json) file comes back under its name


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


# -- the comparison ---------------------------------------------------------------------------

def task_of(written_name: str) -> str:
    stem = Path(written_name).name
    for task in ("person_keypoints", "image_info", "instances", "captions", "labels",
                 "panoptic", "stuff"):
        if stem.startswith(task + "_"):
            return task
    raise AssertionError(f"written file {written_name} is not named <task>_<subset>.json")


def by_image(annotations: list[dict]) -> dict[Any, list[dict]]:
    groups: dict[Any, list[dict]] = {}
    for record in annotations:
        groups.setdefault(record.get("image_id"), []).append(record)
    return groups


def _is_object(record: dict) -> bool:
    return any(key in record for key in ("category_id", "segmentation", "bbox", "keypoints"))


def expected_annotation(record: dict, task: str, category_by_name: dict[str, Any],
                        declared_ids: set) -> dict:
    """The source record with the documented repairs (computed keys are filled later)."""
    expected = dict(record)
    cid = expected.get("category_id")
    if isinstance(cid, str) and cid not in declared_ids and cid in category_by_name:
        expected["category_id"] = category_by_name[cid]
    if task in OBJECT_TASKS and _is_object(record):
        crowd = expected.get("iscrowd", 0)
        if isinstance(crowd, str):
            crowd = 1 if crowd.strip().lower() in ("1", "true", "yes") else 0
        expected["iscrowd"] = crowd
        segmentation = expected.get("segmentation", [])
        if segmentation and all(type(v) in (int, float) for v in segmentation):
            segmentation = [segmentation]
        expected["segmentation"] = segmentation
    return expected


def computed_keys(record: dict, task: str) -> tuple[str, ...]:
    keys: tuple[str, ...] = () if task == "panoptic" else ("id",)
    if task in OBJECT_TASKS and _is_object(record):
        keys += ("area", "bbox")
        if task == "person_keypoints" and "keypoints" in record:
            keys += ("num_keypoints",)
    return keys


def expected_document(source: Any, written: dict, task: str) -> dict:
    """What cococonv must write for ``source`` (see the module docstring)."""
    results = isinstance(source, list)
    doc = {"annotations": source} if results else dict(source)
    had_annotations = "annotations" in doc
    annotations = doc.get("annotations", [])
    if results:
        doc["info"], doc["licenses"] = {}, []
        doc["images"] = [{"id": iid} for iid in dict.fromkeys(a["image_id"] for a in annotations)]
        names = {}
        for record in annotations:
            if "category_id" in record:
                names.setdefault(record["category_id"],
                                 record.get("category_name", str(record["category_id"])))
        doc["categories"] = [{"id": cid, "name": name, "supercategory": ""}
                             for cid, name in names.items()]
    doc.setdefault("info", {})
    doc.setdefault("licenses", [])
    declared_ids = {c["id"] for c in doc.get("categories", [])}
    category_by_name = {}
    if not doc.get("categories"):
        # Label names given as category_id: the written categories must be exactly those names.
        named = list(dict.fromkeys(a["category_id"] for a in annotations
                                   if isinstance(a.get("category_id"), str)))
        if named:
            written_by_name = {c["name"]: c["id"] for c in written.get("categories", [])}
            category_by_name = {name: written_by_name.get(name) for name in named}
            doc["categories"] = [{"id": category_by_name[n], "name": n, "supercategory": ""}
                                 for n in named]
    groups = {iid: [expected_annotation(r, task, category_by_name, declared_ids) for r in records]
              for iid, records in by_image(annotations).items()}
    written_groups = by_image(written.get("annotations", []))
    for iid, records in groups.items():
        for index, record in enumerate(records):
            written_records = written_groups.get(iid, [])
            if index >= len(written_records):
                break
            for key in computed_keys(record, task):
                if key not in record and key in written_records[index]:
                    record[key] = written_records[index][key]
    if had_annotations:
        doc["annotations"] = groups
    return doc


def assert_round_trip(source: Any, written: dict, task: str, name: str) -> None:
    expected = expected_document(source, written, task)
    actual = dict(written)
    if "annotations" in actual:
        actual["annotations"] = by_image(actual["annotations"])
    problems = json_differences(expected, actual, name)
    assert not problems, "\n".join(problems[:30]) + (
        f"\n... {len(problems)} differences in all" if len(problems) > 30 else "")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_bytes())


def convert(runner, cli, source: Path, out: Path, *options: str):
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out), *options])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert result.stdout == ""
    return result


# -- every fixture, through the CLI -----------------------------------------------------------

ROUND_TRIPS = [
    ("datumaro/coco_dataset/coco", SAME_NAMES),
    ("datumaro/coco_dataset/coco_instances", SAME_NAMES),
    ("datumaro/coco_dataset/coco_captions", SAME_NAMES),
    ("datumaro/coco_dataset/coco_image_info", SAME_NAMES),
    ("datumaro/coco_dataset/coco_labels", SAME_NAMES),
    ("datumaro/coco_dataset/coco_panoptic", SAME_NAMES),
    ("datumaro/coco_dataset/coco_person_keypoints", SAME_NAMES),
    ("datumaro/coco_dataset/coco_stuff", SAME_NAMES),
    ("datumaro/coco_dataset/coco_roboflow", {
        "train/_annotations.coco.json": "annotations/instances_train.json",
        "val/_annotations.coco.json": "annotations/instances_val.json"}),
    ("datumaro/coco_dataset/mmdet_coco", SAME_NAMES),
    ("datumaro/roboflow_dataset/coco", {
        "train/_annotations.coco.json": "annotations/instances_train.json",
        "val/_annotations.coco.json": "annotations/instances_val.json"}),
    ("cvat-ai-datumaro/coco_dataset/coco_person_keypoints", SAME_NAMES),
    ("cocoapi/results", SAME_NAMES),
    ("cocoapi/results/instances_val2014_fakebbox100_results.json", None),
    ("cocoapi/results/instances_val2014_fakesegm100_results.json", None),
    ("cocoapi/results/person_keypoints_val2014_fakekeypoints100_results.json", None),
    ("cocoapi/results/captions_val2014_fakecap_results.json", None),
    ("panopticapi/sample_data", {
        "panoptic_examples.json": "annotations/panoptic_examples.json",
        # panopticapi's "detection format" file has a panoptic name but holds instances.
        "panoptic_coco_detection_format.json": "annotations/instances_coco_detection_format.json"}),
    ("panopticapi/sample_data/panoptic_examples.json", None),
    ("panopticapi/sample_data/panoptic_coco_detection_format.json", None),
    ("panopticapi/sample_data/images_info_examples.json", None),
    ("mmpose/coco", {"test_coco.json": "annotations/person_keypoints_default.json"}),
    ("sahi/coco_evaluate/dataset.json", None),
    ("sahi/coco_evaluate/result.json", None),
    ("sahi/coco_utils/terrain1_coco.json", None),
    ("sahi/coco_utils/terrain_all_coco.json", None),
    ("label-studio-sdk/test_import_coco", {
        "coco_import_input.json": "annotations/instances_default.json"}),
    ("mmdetection/tests/data/coco_sample.json", None),
    ("mmdetection/tests/data/coco_wrong_format_sample.json", None),
    ("training_extensions/car_tree_bug", SAME_NAMES),
    ("training_extensions/car_tree_bug_keypoint", SAME_NAMES),
    ("labelme/instance_segmentation/data_dataset_coco", {
        "annotations.json": "annotations/instances_default.json"}),
    ("2label/coco1.0", SAME_NAMES),
    ("seed-examples/hasty_rle", SAME_NAMES),
    ("seed-examples/redbrick_dicom", SAME_NAMES),
    ("seed-examples/encord_keypoints", SAME_NAMES),
]


def file_pairs(source: Path, out: Path, mapping) -> list[tuple[Path, Path]]:
    written = [name for name in files_under(out) if name.endswith(".json")]
    if mapping is None:  # a single file in, a single annotation file out
        assert len(written) == 1, written
        return [(source, out / written[0])]
    if mapping == SAME_NAMES:
        inputs = [name for name in files_under(source) if name.endswith(".json")]
        mapping = {name: name if name.startswith("annotations/") else f"annotations/{name}"
                   for name in inputs}
    assert sorted(written) == sorted(mapping.values())
    return [(source / src, out / dst) for src, dst in mapping.items()]


@pytest.mark.parametrize("rel, mapping", ROUND_TRIPS, ids=[rel for rel, _ in ROUND_TRIPS])
def test_coco_round_trip_of_fixture_keeps_every_field(fixtures_root, tmp_path, runner, cli, rel,
                                                       mapping):
    source = fixtures_root / rel
    out = tmp_path / "out"
    convert(runner, cli, source, out)
    for src, dst in file_pairs(source, out, mapping):
        written = read_json(dst)
        assert_round_trip(read_json(src), written, task_of(dst.name), f"{rel}: {src.name}")


def segment_ids(png: Path) -> np.ndarray:
    rgb = np.asarray(PILImage.open(png).convert("RGB"), dtype=np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


@pytest.mark.parametrize("rel, pngs", [
    ("datumaro/coco_dataset/coco", {"annotations/panoptic_train/a.png": "annotations/panoptic_train/a.png",
                                    "annotations/panoptic_val/b.png": "annotations/panoptic_val/b.png"}),
    ("datumaro/coco_dataset/coco_panoptic", {
        "annotations/panoptic_train/a.png": "annotations/panoptic_train/a.png",
        "annotations/panoptic_val/b.png": "annotations/panoptic_val/b.png"}),
    ("panopticapi/sample_data/panoptic_examples.json", {
        "panoptic_examples/000000142238.png": "annotations/panoptic_examples/000000142238.png",
        "panoptic_examples/000000439180.png": "annotations/panoptic_examples/000000439180.png"}),
], ids=["datumaro-coco", "datumaro-coco_panoptic", "panopticapi"])
def test_coco_round_trip_rewrites_panoptic_pngs_with_the_same_segments(fixtures_root, tmp_path,
                                                                      runner, cli, rel, pngs):
    source = fixtures_root / rel
    out = tmp_path / "out"
    convert(runner, cli, source, out)
    base = source if source.is_dir() else source.parent
    for src, dst in pngs.items():
        before, after = segment_ids(base / src), segment_ids(out / dst)
        h, w = before.shape
        # datumaro's coco_panoptic train PNG is 5x5 for a 10x5 image: the segment is kept where it
        # was and the PNG padded to the image size with 0 (no segment).
        assert np.array_equal(after[:h, :w], before)
        assert not after[h:, :].any() and not after[:, w:].any()


# -- folders whose files meet in one output file ------------------------------------------------

def _duplicates(values: list) -> list:
    seen, twice = set(), []
    for value in values:
        if value in seen and value not in twice:
            twice.append(value)
        seen.add(value)
    return twice


@pytest.mark.parametrize("rel", ["sahi/coco_evaluate", "sahi/coco_utils", "mmdetection/tests/data"])
def test_coco_convert_of_a_folder_of_loose_files_writes_valid_coco(fixtures_root, tmp_path, runner,
                                                                   cli, rel):
    source = fixtures_root / rel
    out = tmp_path / "out"
    convert(runner, cli, source, out)
    inputs = [read_json(source / name) for name in files_under(source) if name.endswith(".json")]
    input_annotations = sum(len(doc if isinstance(doc, list) else doc["annotations"])
                            for doc in inputs)
    ids_were_unique = all(
        not _duplicates([a["id"] for a in doc["annotations"]]) for doc in inputs
        if isinstance(doc, dict))
    written = [read_json(out / name) for name in files_under(out) if name.endswith(".json")]
    assert sum(len(doc["annotations"]) for doc in written) == input_annotations
    for doc in written:
        image_ids = [image["id"] for image in doc["images"]]
        category_ids = [category["id"] for category in doc["categories"]]
        assert _duplicates(category_ids) == [], "two categories share an id"
        assert _duplicates(image_ids) == [], "two images share an id"
        assert {a["image_id"] for a in doc["annotations"]} <= set(image_ids)
        assert {a["category_id"] for a in doc["annotations"]} <= set(category_ids)
        if ids_were_unique:
            assert _duplicates([a["id"] for a in doc["annotations"]]) == [], \
                "annotation ids unique in every input file collide in the output"


# -- single behaviours, smallest input ----------------------------------------------------------

def round_trip(tmp_path: Path, doc: dict, name: str = "instances_val") -> dict:
    source = write_coco(tmp_path / "in", {name: doc})
    cococonv.convert(str(source), str(tmp_path / "out"), output_format="coco")
    return read_json(tmp_path / "out" / "annotations" / f"{name}.json")


def test_coco_round_trip_keeps_floats_exactly_and_ints_as_ints(tmp_path):
    doc = coco_doc(annotations=[coco_ann(bbox=[79.12, 0.1, 333.3333333333333, 2],
                                         area=6718, segmentation=[[0.3, 0.7, 79.12, 1, 5, 4.25]])])
    written = round_trip(tmp_path, doc)
    assert_same_json(doc["annotations"], written["annotations"])
    assert b"79.12000274658203" not in (tmp_path / "out/annotations/instances_val.json").read_bytes()


def test_coco_round_trip_keeps_compressed_rle_as_a_string(tmp_path):
    array = np.zeros((8, 10), dtype=np.uint8)
    array[2:5, 3:7] = 1
    counts = pycoco_mask.encode(np.asfortranarray(array))["counts"].decode("ascii")
    doc = coco_doc(annotations=[coco_ann(segmentation={"size": [8, 10], "counts": counts},
                                         area=12, bbox=[3.0, 2.0, 4.0, 3.0])])
    written = round_trip(tmp_path, doc)
    assert written["annotations"][0]["segmentation"] == {"size": [8, 10], "counts": counts}


def test_coco_round_trip_keeps_unknown_keys_everywhere(tmp_path):
    doc = coco_doc(images=[coco_image(license=3, x_tool={"v": [1, None]})],
                   categories=[{"id": 1, "name": "cat", "supercategory": "", "color": "#fff"}],
                   annotations=[coco_ann(track_id=7, note=None, attributes={"occluded": True})],
                   type="instances", x_meta=[1, 2.5, "x"])
    assert_same_json(doc, round_trip(tmp_path, doc))


def test_coco_round_trip_keeps_custom_attributes_named_like_coco_fields(tmp_path):
    # A tool's own attribute called "score" or "is_crowd" is data, not COCO's score/iscrowd.
    doc = coco_doc(annotations=[coco_ann(attributes={"score": "high", "is_crowd": "maybe"})])
    assert_same_json(doc, round_trip(tmp_path, doc))


def test_coco_round_trip_keeps_images_whose_names_differ_only_by_extension(tmp_path):
    doc = coco_doc(images=[coco_image(id=1, file_name="a.jpg"), coco_image(id=2, file_name="a.png")],
                   annotations=[coco_ann(id=1, image_id=1), coco_ann(id=2, image_id=2)])
    assert_same_json(doc, round_trip(tmp_path, doc))


def test_coco_round_trip_keeps_a_box_with_a_rotation_attribute_as_a_box(tmp_path):
    # CVAT's COCO export: a box with attributes.rotation and no segmentation. COCO -> COCO must not
    # turn it into a rotated polygon nor change its bbox.
    doc = coco_doc(annotations=[coco_ann(segmentation=[], bbox=[2.0, 2.0, 4.0, 2.0], area=8.0,
                                         attributes={"occluded": False, "rotation": 30.0})])
    assert_same_json(doc, round_trip(tmp_path, doc))


def test_coco_convert_of_a_box_with_a_text_rotation_attribute_is_not_an_internal_error(
        tmp_path, runner, cli):
    doc = coco_doc(annotations=[coco_ann(segmentation=[], bbox=[1.0, 1.0, 1.0, 1.0], area=1.0,
                                         attributes={"rotation": "left"})])
    source = write_coco(tmp_path / "in", {"instances_val": doc})
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert "internal error" not in result.stderr
    assert result.exit_code == 0
    assert_same_json(doc, read_json(tmp_path / "out/annotations/instances_val.json"))


def test_coco_round_trip_keeps_a_lone_image_dimension(tmp_path):
    doc = coco_doc(images=[{"id": 1, "file_name": "a.jpg", "width": 10}],
                   annotations=[coco_ann(segmentation=[], bbox=[1.0, 1.0, 2.0, 2.0], area=4.0)])
    assert_same_json(doc, round_trip(tmp_path, doc))


def test_coco_round_trip_keeps_keypoints_and_schema_exactly(tmp_path):
    doc = coco_doc(categories=[{"id": 0, "name": "person", "supercategory": "person",
                                "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3]]}],
                   annotations=[coco_ann(category_id=0, keypoints=[5, 6, 0, 7.5, 8.25, 1, 0, 0, 0],
                                         num_keypoints=0, segmentation=[], bbox=[0, 0, 0, 0],
                                         area=0)])
    assert_same_json(doc, round_trip(tmp_path, doc, "person_keypoints_train"))


# -- generated documents ------------------------------------------------------------------------

FINITE = st.floats(min_value=-1e4, max_value=1e5, allow_nan=False, allow_infinity=False)
# within the margin around the image that importers accept (cococonv.limits)
COORDINATE = st.one_of(st.floats(min_value=-500, max_value=500, allow_nan=False),
                       st.integers(-100, 500),
                       st.sampled_from([79.12, 0.1, 1e-7, 333.3333333333333]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), FINITE,
                   st.text(max_size=8))
JSON_VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
ATTRIBUTE_VALUE = st.one_of(st.booleans(), st.integers(-1000, 1000), FINITE, st.text(max_size=6))


@st.composite
def coco_documents(draw) -> dict:
    """COCO instances documents: sparse ids (0 included), float coordinates, multi-ring polygons,
    crowd masks as uncompressed RLE, compressed RLE, box-only objects, attributes and unknown keys
    at every level, each with its declared bbox/area."""
    n_images = draw(st.integers(1, 4))
    image_ids = draw(st.lists(st.one_of(st.integers(0, 10**9), st.text("abc0123:/", min_size=1,
                                                                        max_size=8)),
                              min_size=n_images, max_size=n_images, unique=True))
    stems = draw(st.lists(st.text("abcxyz_-0123", min_size=1, max_size=8), min_size=n_images,
                          max_size=n_images, unique=True))
    images = []
    for iid, stem in zip(image_ids, stems):
        record = {"id": iid,
                  "file_name": draw(st.sampled_from(["", "sub/", "a/b/"])) + stem
                  + draw(st.sampled_from([".jpg", ".png", ".JPG"])),
                  "width": draw(st.integers(1, 12)), "height": draw(st.integers(1, 12))}
        record.update(draw(st.dictionaries(st.sampled_from(["license", "flickr_url",
                                                            "date_captured", "x_note"]),
                                           JSON_VALUE, max_size=2)))
        images.append(record)
    n_categories = draw(st.integers(1, 4))
    category_ids = draw(st.lists(st.integers(0, 1000), min_size=n_categories,
                                 max_size=n_categories, unique=True))
    names = draw(st.lists(st.text("abcdefgh /", min_size=1, max_size=6), min_size=n_categories,
                          max_size=n_categories, unique=True))
    categories = []
    for cid, name in zip(category_ids, names):
        record = {"id": cid, "name": name, "supercategory": draw(st.text("xyz", max_size=3))}
        record.update(draw(st.dictionaries(st.sampled_from(["color", "x_origin"]), JSON_VALUE,
                                           max_size=1)))
        categories.append(record)
    n_annotations = draw(st.integers(0, 6))
    annotation_ids = draw(st.lists(st.integers(0, 10**9), min_size=n_annotations,
                                   max_size=n_annotations, unique=True))
    annotations = []
    for aid in annotation_ids:
        image = draw(st.sampled_from(images))
        h, w = image["height"], image["width"]
        record = {"id": aid, "image_id": image["id"],
                  "category_id": draw(st.sampled_from(category_ids))}
        kind = draw(st.sampled_from(["polygons", "crowd_rle", "compressed_rle", "box"]))
        if kind == "polygons":
            ring = st.lists(COORDINATE, min_size=3, max_size=6).map(lambda xs: xs + xs[::-1])
            record["segmentation"] = draw(st.lists(ring, min_size=1, max_size=3))
            record["iscrowd"] = 0
        elif kind == "crowd_rle":
            cuts = sorted(draw(st.lists(st.integers(0, h * w), max_size=6)))
            counts = [b - a for a, b in zip([0, *cuts], [*cuts, h * w])]
            record["segmentation"] = {"size": [h, w], "counts": counts}
            record["iscrowd"] = 1
        elif kind == "compressed_rle":
            bits = draw(st.lists(st.booleans(), min_size=h * w, max_size=h * w))
            array = np.asfortranarray(np.array(bits, dtype=np.uint8).reshape(h, w))
            counts = pycoco_mask.encode(array)["counts"].decode("ascii")
            record["segmentation"] = {"size": [h, w], "counts": counts}
            record["iscrowd"] = 0
        else:
            record["segmentation"] = []
            record["iscrowd"] = draw(st.sampled_from([0, 1]))
        record["area"] = draw(st.one_of(FINITE, st.integers(0, 10**6)))
        # a negative width or height is refused on import (tests/cli/test_redteam_f33_f35.py)
        size = COORDINATE.map(abs)
        record["bbox"] = list(draw(st.tuples(COORDINATE, COORDINATE, size, size)))
        if draw(st.booleans()):
            record["attributes"] = draw(st.dictionaries(
                st.sampled_from(["occluded", "track", "note", "keyframe"]), ATTRIBUTE_VALUE,
                max_size=3))
        if draw(st.booleans()):
            record["score"] = draw(FINITE)
        record.update(draw(st.dictionaries(st.sampled_from(["x_source", "tags", "confidence_text"]),
                                           JSON_VALUE, max_size=2)))
        annotations.append(record)
    doc = {"info": draw(st.dictionaries(st.sampled_from(["description", "year", "version"]),
                                        SCALAR, max_size=3)),
           "licenses": draw(st.lists(st.fixed_dictionaries({"id": st.integers(0, 9),
                                                             "name": st.text(max_size=4)}),
                                     max_size=2)),
           "images": images, "annotations": annotations, "categories": categories}
    doc.update(draw(st.dictionaries(st.sampled_from(["type", "x_meta"]), JSON_VALUE, max_size=2)))
    return doc


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(doc=coco_documents())
def test_coco_round_trip_of_generated_documents_keeps_every_field(tmp_path_factory, doc):
    tmp_path = tmp_path_factory.mktemp("generated")
    written = round_trip(tmp_path, doc, "instances_train")
    assert_round_trip(doc, written, "instances", "instances_train.json")
