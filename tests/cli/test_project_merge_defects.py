"""The four defects a project export had when it merged sources (issue 14, item 4), each
reproduced as a new user would meet it, then the fixed behaviour asserted."""
from __future__ import annotations

import json
from pathlib import Path

from ..builders import coco_ann, coco_doc, coco_image, write_coco
from .test_project import _plugins_loaded, invoke  # noqa: F401  (the fixture is autouse)


def export_project(runner, cli, tmp_path: Path, *sources: Path, extra: tuple = (),
                   code: int = 0):
    """create + import every source + export as COCO with --json; (result, written doc)."""
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    for source in sources:
        invoke(runner, cli, "import", "-p", str(project), str(source))
    out = tmp_path / "out"
    result = invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out),
                    "--json", *extra, code=code)
    path = out / "annotations/instances_train.json"
    return result, (json.loads(path.read_text()) if path.exists() else None)


def approximated(result) -> dict[str, int]:
    return {row["what"]: row["count"] for row in json.loads(result.stdout)["approximated"]}


def test_an_image_whose_id_changes_is_reported(runner, cli, tmp_path):
    # Both sources number their (different) images 1: one of them must move, and say so.
    a = write_coco(tmp_path / "a", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="a.jpg")])})
    b = write_coco(tmp_path / "b", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="b.jpg")], annotations=[coco_ann(id=7)])})
    result, doc = export_project(runner, cli, tmp_path, a, b, extra=("-v",))
    assert [(i["file_name"], i["id"]) for i in doc["images"]] == [("a.jpg", 1), ("b.jpg", 2)]
    assert approximated(result)["image ids"] == 1
    assert f"{b}: train/b.jpg: image id 1 -> 2" in result.stderr.splitlines()
    assert [(a["image_id"], a["id"]) for a in doc["annotations"]] == [(1, 1), (2, 7)]


def test_two_sizes_for_one_image_keep_the_first_and_are_reported(runner, cli, tmp_path):
    a = write_coco(tmp_path / "a", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="x.jpg", width=10, height=8)])})
    b = write_coco(tmp_path / "b", {"instances_train": coco_doc(
        images=[coco_image(id=2, file_name="x.jpg", width=20, height=16)],
        annotations=[coco_ann(image_id=2)])})
    result, doc = export_project(runner, cli, tmp_path, a, b)
    # Before: one image {"id": 1, "width": 20, "height": 16}, nothing said.
    assert [(i["id"], i["width"], i["height"]) for i in doc["images"]] == [(1, 10, 8)]
    rows = approximated(result)
    assert rows["image size differing between inputs"] == 1
    assert rows["image ids"] == 1  # b's image 2 is written as 1
    result, doc = export_project(runner, cli, tmp_path / "fail", a, b,
                                 extra=("--on-conflict", "fail"), code=1)
    assert result.stderr.splitlines() == [
        f"error: train/x.jpg: image size differs between {a} and {b} (10x8 and 20x16); "
        f"choose with --on-conflict first|last|union"]
    assert doc is None
    _result, doc = export_project(runner, cli, tmp_path / "last", a, b,
                                  extra=("--on-conflict", "last"))
    assert [(i["id"], i["width"], i["height"]) for i in doc["images"]] == [(1, 20, 16)]


def test_importing_the_same_data_twice_does_not_double_it(runner, cli, tmp_path):
    a = write_coco(tmp_path / "a", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="x.jpg")],
        annotations=[coco_ann(id=1), coco_ann(id=2, bbox=[2.0, 2.0, 3.0, 3.0],
                                               segmentation=[[2.0, 2.0, 5.0, 2.0, 5.0, 5.0]])])})
    result, doc = export_project(runner, cli, tmp_path, a, a)
    assert [ann["id"] for ann in doc["annotations"]] == [1, 2]  # before: 1, 2, 3, 4
    assert json.loads(result.stdout)["approximated"] == [
        {"what": "annotations repeated in several inputs", "how": "kept once", "count": 2}]


def test_two_files_of_one_subset_read_with_r_share_labels_and_ids(runner, cli, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "part1.json").write_text(json.dumps(coco_doc(
        images=[coco_image(id=1, file_name="p.jpg")], annotations=[coco_ann(id=1)])))
    (folder / "part2.json").write_text(json.dumps(coco_doc(
        images=[coco_image(id=1, file_name="q.jpg")],
        annotations=[coco_ann(id=1, category_id=2)],
        categories=[{"id": 2, "name": "cat", "supercategory": "animal"}])))
    out = tmp_path / "out"
    result = invoke(runner, cli, "-v", "convert", "-if", "coco", "-i", str(folder),
                    "-r", "part1.json,part2.json", "-f", "coco", "-o", str(out), "--json")
    doc = json.loads((out / "annotations/instances_default.json").read_text())
    # Before: categories cat (1) and cat (2), two annotations with id 1, q.jpg moved to 2
    # without a word.
    assert doc["categories"] == [{"id": 1, "name": "cat", "supercategory": "animal"}]
    assert [(i["file_name"], i["id"]) for i in doc["images"]] == [("p.jpg", 1), ("q.jpg", 2)]
    assert [(a["id"], a["image_id"], a["category_id"]) for a in doc["annotations"]] == [
        (1, 1, 1), (2, 2, 1)]
    assert {row["what"]: row["count"] for row in json.loads(result.stdout)["approximated"]} \
        == {"category ids": 1, "image ids": 1, "annotation ids": 1}
    lines = result.stderr.splitlines()
    for line in ("part2.json: label 'cat': category id 2 -> 1",
                 "part2.json: default/q.jpg: image id 1 -> 2",
                 "part2.json: default/q.jpg: annotation id 1 -> 2"):
        assert line in lines
    assert not any("kept as two labels" in line for line in lines)
