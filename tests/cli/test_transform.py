"""`cococonv transform`, and the transform chains of `convert` and `export`, on fixtures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, files_under, write_coco

INSTANCES = "datumaro/coco_dataset/coco_instances"
CHAIN = ["-t", "crop_covered", "-t", "reindex", "--segmentation-mode", "mask"]


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def ok(runner, cli, *args: str):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result


def rows(result) -> dict[str, int]:
    report = json.loads(result.stdout)
    return {f"{r['what']}: {r.get('why', r.get('how'))}": r["count"]
            for r in report["lost"] + report["approximated"]}


def overlapping(root: Path) -> Path:
    """Two boxes of one 10x8 image, the second drawn over half the first."""
    doc = coco_doc(images=[coco_image(id=7)],
                   categories=[{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
                   annotations=[coco_ann(id=1, image_id=7, category_id=1, segmentation=[],
                                         bbox=[0, 0, 4, 4], area=16),
                                coco_ann(id=2, image_id=7, category_id=2, segmentation=[],
                                         bbox=[2, 0, 4, 4], area=16)])
    return write_coco(root, {"instances_val": doc})


def test_done_when_chain_converts_coco_to_voc(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "voc"
    result = ok(runner, cli, "convert", "-if", "coco", "-i", str(fixtures_root / INSTANCES),
                "-f", "voc", "-o", str(out), *CHAIN, "--json")
    found = rows(result)
    assert found["polygons: rasterised into RLE masks"] == 1  # --segmentation-mode, for VOC
    assert found["image ids: renumbered from 1 (reindex)"] == 2
    assert "SegmentationObject/b.png" in files_under(out)


@pytest.mark.parametrize("fixture", ["datumaro/coco_dataset/coco", "training_extensions/car_tree_bug",
                                     "seed-examples/hasty_rle", "datumaro/roboflow_dataset/coco"])
def test_done_when_chain_on_more_fixtures(fixtures_root, tmp_path, runner, cli, fixture):
    out = tmp_path / "voc"
    result = ok(runner, cli, "convert", "-if", "coco", "-i", str(fixtures_root / fixture),
                "-f", "voc", "-o", str(out), *CHAIN, "--json")
    assert any(key.endswith("ids: renumbered from 1 (reindex)") for key in rows(result))
    assert any(name.startswith("Annotations/") for name in files_under(out))


def test_done_when_chain_on_a_project(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    ok(runner, cli, "create", "-o", str(project))
    ok(runner, cli, "import", "-p", str(project), str(fixtures_root / INSTANCES))
    result = ok(runner, cli, "export", "-p", str(project), "-f", "voc", "-o",
                str(tmp_path / "voc"), *CHAIN, "--json")
    assert rows(result)["polygons: rasterised into RLE masks"] == 1
    result = ok(runner, cli, "transform", "-p", str(project), "-f", "voc", "-o",
                str(tmp_path / "voc2"), *CHAIN, "--json")
    assert rows(result)["polygons: rasterised into RLE masks"] == 1
    assert files_under(tmp_path / "voc") == files_under(tmp_path / "voc2")


def test_crop_covered_works_for_voc_and_cvat(tmp_path, runner, cli):
    source = overlapping(tmp_path / "in")
    for fmt in ("voc", "cvat"):
        result = ok(runner, cli, "convert", "-i", str(source), "-f", fmt, "-o",
                    str(tmp_path / fmt), "--crop-covered", "--json")
        assert rows(result)["covered objects: cropped into RLE masks (--crop-covered)"] == 1


def test_transform_keeps_the_input_format_and_applies_the_chain_in_order(tmp_path, runner,
                                                                          cli):
    source = overlapping(tmp_path / "in")
    out = tmp_path / "out"
    result = ok(runner, cli, "transform", "-i", str(source), "-o", str(out),
                "-t", "remap_labels", "--mapping", "cat:animal,dog:animal",
                "-t", "reindex", "--", "--start", "0", "--json")
    doc = json.loads((out / "annotations/instances_val.json").read_bytes())
    assert [c["name"] for c in doc["categories"]] == ["animal"]
    assert [c["id"] for c in doc["categories"]] == [0]
    assert [i["id"] for i in doc["images"]] == [0]
    assert [a["id"] for a in doc["annotations"]] == [0, 1]
    found = rows(result)
    assert found["annotations: relabelled 'cat' -> 'animal' (remap_labels)"] == 1
    assert found["annotations: relabelled 'dog' -> 'animal' (remap_labels)"] == 1


def test_transform_to_another_format(tmp_path, runner, cli):
    source = overlapping(tmp_path / "in")
    ok(runner, cli, "transform", "-i", str(source), "-o", str(tmp_path / "out"), "-f", "cvat",
       "-t", "boxes_to_polygons")
    xml = (tmp_path / "out/annotations.xml").read_text()
    assert xml.count("<polygon ") == 2 and "<box " not in xml


@pytest.mark.parametrize("args, needle", [
    (["-o", "OUT"], "give the dataset with -i PATH or a project with -p DIR"),
    (["-i", "IN", "-p", "IN", "-o", "OUT", "-t", "reindex"], "(one of them)"),
    (["-i", "IN", "-o", "OUT"], "name at least one transform"),
    (["-i", "IN", "-o", "OUT", "-t", "nope"], "nope"),
    (["-i", "IN", "-o", "OUT", "-t", "remap_labels", "--mapping", "bird:x"], "no label 'bird'"),
    (["-i", "IN", "-o", "OUT", "-t", "reindex", "--what", "labels"], "'labels' is not one of"),
])
def test_transform_refuses_bad_command_lines_in_one_line(tmp_path, runner, cli, args, needle):
    source = str(overlapping(tmp_path / "in"))
    out = str(tmp_path / "out")
    args = [source if a == "IN" else out if a == "OUT" else a for a in args]
    result = runner.invoke(cli, ["transform", *args])
    assert result.exit_code == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and needle in line
    assert not (tmp_path / "out").exists()


def test_transform_of_a_project_with_sources_of_two_formats_needs_f(fixtures_root, tmp_path,
                                                                   runner, cli):
    project = tmp_path / "proj"
    ok(runner, cli, "create", "-o", str(project))
    ok(runner, cli, "import", "-p", str(project), str(overlapping(tmp_path / "in")))
    ok(runner, cli, "import", "-p", str(project),
       str(fixtures_root / "datumaro/voc_dataset/voc_dataset3"))
    result = runner.invoke(cli, ["transform", "-p", str(project), "-o", str(tmp_path / "o"),
                                 "-t", "reindex"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "different formats" in line and "-f" in line


def test_a_transform_named_in_another_case_keeps_its_options(tmp_path, runner, cli):
    out = tmp_path / "out"
    ok(runner, cli, "transform", "-i", str(overlapping(tmp_path / "in")), "-o", str(out),
       "-t", "REINDEX", "--start", "5")
    doc = json.loads((out / "annotations/instances_val.json").read_bytes())
    assert [a["id"] for a in doc["annotations"]] == [5, 6]


def test_formats_lists_the_options_a_transform_does_for_an_exporter(runner, cli):
    shown = ok(runner, cli, "formats", "voc").stdout
    assert "done by a transform before the export" in shown and "--segmentation-mode" in shown
    assert "done by a transform" not in ok(runner, cli, "formats", "coco").stdout


def test_reindex_keep_source_ids_writes_every_previous_id_into_the_coco_records(
        tmp_path, runner, cli):
    import cococonv

    doc = coco_doc(images=[coco_image(id=7)],
                   categories=[{"id": 4, "name": "cat"}, {"id": 9, "name": "dog"}],
                   annotations=[coco_ann(id=31, image_id=7, category_id=9)])
    source = write_coco(tmp_path / "in", {"instances_val": doc})
    out = tmp_path / "out"
    ok(runner, cli, "transform", "-i", str(source), "-o", str(out), "-t", "reindex",
       "--keep-source-ids", "--start", "1")
    written = json.loads((out / "annotations/instances_val.json").read_bytes())
    assert [(c["id"], c["source_id"]) for c in written["categories"]] == [(1, 4), (2, 9)]
    assert [(i["id"], i["source_id"]) for i in written["images"]] == [(1, 7)]
    (ann,) = written["annotations"]
    assert (ann["id"], ann["category_id"], ann["attributes"]) == (1, 2, {"source_id": 31})
    again = cococonv.load(str(out))  # and read back as kept fields of the dataset
    assert [label.extra["source_id"] for label in again.categories.labels] == [4, 9]
