"""`cococonv merge`: the merged output's counts, the --json data, the human table, errors."""
from __future__ import annotations

import json

import cococonv

from ..builders import coco_ann, coco_doc, coco_image, files_under, write_coco
from .test_project import _plugins_loaded, invoke  # noqa: F401  (the fixture is autouse)

TERRAIN = "sahi/coco_utils"


def terrain(fixtures_root):
    root = fixtures_root / TERRAIN
    return str(root / "terrain1_coco.json"), str(root / "terrain_all_coco.json")


def test_merge_of_two_fixtures_counts_and_lists_every_reassignment(fixtures_root, tmp_path,
                                                                   runner, cli):
    one, everything = terrain(fixtures_root)
    out = tmp_path / "merged"
    result = invoke(runner, cli, "merge", one, f"{everything}:coco", "-f", "coco",
                    "-o", str(out), "--json")
    data = json.loads(result.stdout)
    assert data["merged"] == {"items": 3, "annotations": 22, "labels": 2}
    assert data["inputs"] == [
        {"input": one, "items": 1, "matched_items": 0, "annotations": 7,
         "duplicate_annotations": 0},
        {"input": everything, "items": 3, "matched_items": 1, "annotations": 15,
         "duplicate_annotations": 7}]
    assert data["reassignments"] == [
        {"what": "image id", "input": everything, "subset": "default", "name": "terrain3.png",
         "from": 1, "to": 4},
        *[{"what": "annotation id", "input": everything, "subset": "default",
           "name": "terrain3.png", "from": old, "to": 22 + old} for old in range(1, 8)],
        {"what": "image id", "input": everything, "subset": "default", "name": "terrain1.jpg",
         "from": 3, "to": 1}]
    assert data["conflicts"] == []
    assert {row["what"]: row["count"] for row in data["approximated"]} == {
        "image ids": 2, "annotation ids": 7, "annotations repeated in several inputs": 7}
    # What was written says the same, read back through the API.
    merged = cococonv.load(str(out), "coco", report=cococonv.Report(quiet=True))
    assert len(merged) == 3
    assert sum(len(item.annotations) for item in merged) == 22
    assert [label.name for label in merged.categories.labels] == ["human", "car"]
    assert sorted(item.image_id for item in merged) == [1, 2, 4]
    ann_ids = [ann.id for item in merged for ann in item.annotations]
    assert len(set(ann_ids)) == 22
    lines = result.stderr.splitlines()
    assert lines[0] == f"merged 2 inputs into {out}: 3 items, 22 annotations, 2 labels"
    assert "reassigned: image ids 2, annotation ids 7 (-v or --json lists each)" in lines


def test_verbose_lists_each_reassignment(fixtures_root, tmp_path, runner, cli):
    one, everything = terrain(fixtures_root)
    result = invoke(runner, cli, "merge", one, everything, "-f", "coco_instances",
                    "-o", str(tmp_path / "m.json"), "-v")
    lines = result.stderr.splitlines()
    assert f"{everything}: default/terrain3.png: image id 1 -> 4" in lines
    assert f"{everything}: default/terrain1.jpg: image id 3 -> 1" in lines
    assert sum(": annotation id " in line for line in lines) == 7


def small(tmp_path, name, *images):
    return str(write_coco(tmp_path / name, {"instances_train": coco_doc(
        images=[coco_image(id=i + 1, file_name=f) for i, f in enumerate(images)],
        annotations=[coco_ann(id=i + 1, image_id=i + 1) for i in range(len(images))])}))


def test_mode_exact_fails_naming_the_differences_and_writes_nothing(tmp_path, runner, cli):
    a = small(tmp_path, "a", "x.jpg", "y.jpg")
    b = small(tmp_path, "b", "y.jpg", "z.jpg")
    out = tmp_path / "out"
    result = invoke(runner, cli, "merge", a, b, "-f", "coco", "-o", str(out), "--mode", "exact",
                    code=1)
    assert result.stderr.splitlines() == [
        f"error: {b}: --mode exact: the inputs do not hold the same items: train/x.jpg only "
        f"in {a}; train/z.jpg only in {b}"]
    assert not out.exists()


def test_mode_intersect_keeps_the_common_items(tmp_path, runner, cli):
    a = small(tmp_path, "a", "x.jpg", "y.jpg")
    b = small(tmp_path, "b", "y.jpg", "z.jpg")
    out = tmp_path / "out"
    result = invoke(runner, cli, "merge", a, b, "-f", "coco", "-o", str(out), "--mode",
                    "intersect", "--json")
    data = json.loads(result.stdout)
    assert data["merged"] == {"items": 1, "annotations": 1, "labels": 1}
    assert data["lost"] == [{"what": "items", "why": "not in every input (--mode intersect)",
                             "count": 2}]
    doc = json.loads((out / "annotations/instances_train.json").read_text())
    assert [image["file_name"] for image in doc["images"]] == ["y.jpg"]


def test_on_conflict_fail_is_one_line(fixtures_root, tmp_path, runner, cli):
    roots = [str(fixtures_root / r / "coco_dataset/coco_person_keypoints")
             for r in ("datumaro", "cvat-ai-datumaro")]
    result = invoke(runner, cli, "merge", *roots, "-f", "coco", "-o", str(tmp_path / "o"),
                    "--on-conflict", "fail", code=1)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: label 'a': keypoint schema differs between "
                           f"an earlier input and {roots[1]} (points [] skeleton")
    result = invoke(runner, cli, "merge", *roots, "-f", "coco", "-o", str(tmp_path / "o"),
                    "--on-conflict", "last", "--json")
    assert json.loads(result.stdout)["conflicts"][0]["resolution"] == "the later input's kept"
    doc = json.loads((tmp_path / "o/annotations/person_keypoints_train.json").read_text())
    assert doc["categories"][0]["keypoints"] == ["a_1", "a_2", "a_3"]


def test_usage_errors_exit_2(tmp_path, runner, cli):
    a = small(tmp_path, "a", "x.jpg")
    result = invoke(runner, cli, "merge", a, "-f", "coco", "-o", str(tmp_path / "o"), code=2)
    assert "merge needs at least two inputs" in result.stderr
    result = invoke(runner, cli, "merge", a, a, "-f", "coco_instances", "-o", "-", "--json",
                    code=2)
    assert "--json" in result.stderr
    assert files_under(tmp_path) == ["a/annotations/instances_train.json"]


def test_exporter_options_are_accepted(tmp_path, runner, cli):
    a = small(tmp_path, "a", "x.jpg")
    b = small(tmp_path, "b", "y.jpg")
    out = tmp_path / "out"
    invoke(runner, cli, "merge", a, b, "-f", "coco", "-o", str(out), "--reindex", "-q")
    doc = json.loads((out / "annotations/instances_train.json").read_text())
    assert [(i["id"], i["file_name"]) for i in doc["images"]] == [(1, "x.jpg"), (2, "y.jpg")]
    assert [a["id"] for a in doc["annotations"]] == [1, 2]


def test_a_later_inputs_file_records_of_another_subset_are_kept(tmp_path, runner, cli):
    a = write_coco(tmp_path / "a", {"instances_train": coco_doc(info={"description": "A"})})
    b = write_coco(tmp_path / "b", {"instances_val": coco_doc(
        info={"description": "B"}, licenses=[{"id": 1, "name": "L"}])})
    out = tmp_path / "out"
    result = invoke(runner, cli, "merge", str(a), str(b), "-f", "coco", "-o", str(out),
                    "--json")
    data = json.loads(result.stdout)
    assert data["lost"] == [] and data["reassignments"] == []  # image id 1 per subset
    val = json.loads((out / "annotations/instances_val.json").read_text())
    assert val["info"] == {"description": "B"} and val["licenses"] == [{"id": 1, "name": "L"}]
    train = json.loads((out / "annotations/instances_train.json").read_text())
    assert train["info"] == {"description": "A"}
