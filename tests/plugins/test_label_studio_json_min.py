"""Label Studio's JSON-MIN export: the files label-studio-sdk's own converter wrote from
the JSON exports in tests/data/label_studio read to the same shapes as those exports, and
the forms JSON-MIN takes (bare choice strings, one record per annotator, no config)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import cococonv
from cococonv.errors import DataError
from cococonv.report import Report

from .label_studio_tasks import write

DATA = Path(__file__).resolve().parents[1] / "data"
MIN = DATA / "real" / "label_studio_sdk"
PAIRS = [("json_min_coco", "coco_export/data.json"),
         ("json_min_obb", "yolo_obb/data_obb.json"),
         ("json_min_kp", "yolo_keypoints/data_keypoints.json")]


def shapes(dataset) -> list[tuple]:
    """Each annotation as (item, kind, label, coordinates, rotation, annotator), without
    what JSON-MIN drops (region ids, parentID groups, relations)."""
    names = [label.name for label in dataset.categories.labels]
    out = []
    for item in dataset:
        for ann in item.annotations:
            coords = ann.bounds() if ann.kind == "bbox" else getattr(ann, "points", None)
            out.append((item.id, item.image.size, ann.kind, names[ann.label], coords,
                        ann.attributes.get("rotation"), ann.attributes.get("annotator")))
    return sorted(out, key=repr)


def load(path, **options):
    return cococonv.load(str(path), "label_studio", report=Report(quiet=True), **options)


@pytest.mark.parametrize("folder,source", PAIRS)
def test_their_json_min_reads_as_the_json_it_came_from(folder, source):
    assert cococonv.detect(str(MIN / folder))[0][0] == "label_studio"
    config = next((MIN / folder).glob("*.xml"))
    got, want = load(MIN / folder / "result.json"), load(DATA / "label_studio" / source,
                                                          config=str(config))
    assert shapes(got) == shapes(want) and shapes(got)


def test_json_min_without_its_config_tells_types_from_the_values(tmp_path):
    records = json.loads((MIN / "json_min_coco" / "result.json").read_text())
    got = load(write(tmp_path, records))
    assert sorted(kind for _, _, kind, *_ in shapes(got)) == \
        ["bbox", "points", "points", "polygon"]


def _record(**controls):
    return {"image": "/data/upload/3/1a2b3c4d-dog.jpg", "id": 5, **controls,
            "annotator": 2, "annotation_id": 11, "created_at": "2026-01-02T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z", "lead_time": 1.5}


BOX = {"x": 10, "y": 20, "width": 50, "height": 40, "rotation": 0,
       "rectanglelabels": ["Dog"], "original_width": 200, "original_height": 100}


def test_records_of_one_task_are_one_item_with_an_annotation_each(tmp_path):
    second = dict(_record(label=[dict(BOX, x=30)]), annotator="b@x.org", annotation_id=12)
    dataset = load(write(tmp_path, [_record(label=[BOX], kind="Outdoor"), second,
                                    {"image": "s3://bucket/empty.jpg", "id": 6,
                                     "annotator": None, "annotation_id": None}]))
    items = list(dataset)
    assert [(item.id, len(item.annotations)) for item in items] == [("dog", 3), ("empty", 0)]
    names = [label.name for label in dataset.categories.labels]
    got = [(a.kind, names[a.label], a.attributes.get("annotator")) for a in items[0].annotations]
    assert got == [("bbox", "Dog", 2), ("label", "Outdoor", 2), ("bbox", "Dog", "b@x.org")]
    assert items[0].annotations[0].bounds() == pytest.approx([20.0, 20.0, 100.0, 40.0])


def test_a_bare_string_is_a_text_when_the_config_says_textarea(tmp_path):
    (tmp_path / "config.xml").write_text(
        '<View><Image name="image" value="$image"/><TextArea name="note" toName="image"/>'
        '<RectangleLabels name="label" toName="image"><Label value="Dog"/></RectangleLabels>'
        '</View>')
    dataset = load(write(tmp_path, [_record(label=[BOX], note="a dog on grass")]))
    item = next(iter(dataset))
    assert [(a.kind, getattr(a, "caption", None)) for a in item.annotations] == \
        [("bbox", None), ("caption", "a dog on grass")]


def test_per_region_controls_are_reported_lost(tmp_path):
    (tmp_path / "config.xml").write_text(
        '<View><Image name="image" value="$image"/>'
        '<RectangleLabels name="label" toName="image"><Label value="Dog"/></RectangleLabels>'
        '<Choices name="pose" toName="image" perRegion="true"><Choice value="sit"/>'
        '</Choices></View>')
    report = Report(quiet=True)
    dataset = cococonv.load(str(write(tmp_path, [_record(label=[BOX], pose="sit")])),
                            report=report)
    assert [a.kind for item in dataset for a in item.annotations] == ["bbox"]
    assert sum(n for (what, _), n in report.losses.items() if what == "attributes") == 1


def test_a_bad_value_names_its_json_min_place(tmp_path, runner, cli):
    path = write(tmp_path, [_record(label=[BOX]), _record(label=[BOX, dict(BOX, x="a")])])
    with pytest.raises(DataError, match=r"export.json: \[1\]\.label\[1\]\.x: must be a number"):
        load(path)
    result = runner.invoke(cli, ["convert", "-i", str(path), "-f", "coco", "-o",
                                 str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert result.stdout == "" and result.stderr.strip().splitlines() == \
        [f"error: {path.name}: [1].label[1].x: must be a number, got 'a'"]


def test_a_value_of_no_known_control_asks_for_the_config(tmp_path):
    path = write(tmp_path, [_record(label=[{"foo": 1}])])
    with pytest.raises(DataError, match=r"\[0\]\.label\[0\]: cannot tell .* --config"):
        load(path)
    report = Report("skip", quiet=True)
    assert len(cococonv.load(str(path), report=report)) == 0 and len(report.skipped) == 1


@pytest.mark.parametrize("folder", [folder for folder, _ in PAIRS])
def test_their_json_min_reaches_coco_and_cvat_whole(folder, tmp_path):
    records = json.loads((MIN / folder / "result.json").read_text())
    regions = sum(len(v) for r in records for v in r.values()
                  if type(v) is list and v and type(v[0]) is dict)
    for fmt in ("coco", "cvat"):
        cococonv.convert(str(MIN / folder), str(tmp_path / fmt), output_format=fmt,
                         report=Report(quiet=True))
    coco = sum(len(json.loads(path.read_text())["annotations"])
               for path in (tmp_path / "coco" / "annotations").glob("*.json"))
    cvat = (tmp_path / "cvat" / "annotations.xml").read_text()
    shapes_written = sum(cvat.count(f"<{tag} label=") for tag in ("box", "polygon", "points"))
    assert coco == shapes_written == regions > 0


def test_their_yolo_export_with_notes_json_reads_its_keypoints(tmp_path):
    # label-studio-sdk's convert_to_yolo of the keypoints export: classes.txt, notes.json
    # naming 17 keypoints, a pose line of 4 + 17 * 3 values, no YAML, no images.
    root = MIN / "yolo_kp"
    assert cococonv.detect(str(root))[0][0] == "yolo"
    got = cococonv.load(str(root), report=Report(quiet=True), image_size="216x174")
    want = load(DATA / "label_studio" / "yolo_keypoints" / "data_keypoints.json")
    schema = got.categories.keypoints[0]
    assert schema.names[:3] == ["nose", "left_eye", "right_eye"] and len(schema.names) == 17
    points = next(a for item in got for a in item.annotations if a.kind == "points")
    visible = [c for k, v in enumerate(points.visibility) if v
               for c in points.points[2 * k:2 * k + 2]]
    theirs = [c for item in want for a in item.annotations if a.kind == "points"
              for c in a.points]
    assert visible == pytest.approx(theirs, abs=1e-4) and len(visible) == 6


@pytest.mark.parametrize("name,lines", [("yolo_coco", 1), ("yolo_obb", 25), ("yolo_poly", 1)])
def test_their_yolo_exports_are_yolo_not_coco(name, lines, tmp_path):
    root = MIN / name
    assert cococonv.detect(str(root))[0][0] == "yolo"  # notes.json is no COCO file
    dataset = cococonv.load(str(root), report=Report(quiet=True), image_size="640x480")
    assert sum(1 for item in dataset for a in item.annotations if a.kind != "points") == lines


def test_bad_notes_json_keypoints_are_one_line(tmp_path):
    root = tmp_path / "yolo"
    (root / "labels").mkdir(parents=True)
    (root / "labels/a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "classes.txt").write_text("person\n")
    (root / "notes.json").write_text(json.dumps({"categories": [
        {"id": 0, "name": "person", "keypoints": ["nose"] * 10_001}]}))
    with pytest.raises(DataError, match=r"notes.json: categories\[0\]: keypoints must be a "
                                        r"list of at most 10000 names"):
        cococonv.load(str(root), report=Report(quiet=True), image_size="8x8")
