"""What other tools write and need, handled without those tools installed (tests/interop/
runs the tools themselves): Datumaro's width 0 and category_id 0, the images/ folder it
requires beside COCO annotations, keypoint fields on every keypoints category, and a
project meta for a CVAT output of several subsets."""
from __future__ import annotations

import json
import zipfile

from lxml import etree

from ..builders import coco_ann, coco_doc, coco_image, write_coco


def convert(runner, cli, *args: str):
    result = runner.invoke(cli, ["convert", *args])
    assert result.exit_code == 0, result.stderr
    return result


def test_coco_width_0_and_category_id_0_are_unknown_size_and_unlabelled(runner, cli, tmp_path):
    """Fixed: Datumaro's "width": 0 (size unknown) and "category_id": 0 (no label) were
    refused, so --on-error warn dropped whole images."""
    doc = coco_doc(images=[coco_image(width=0, height=0)],
                   annotations=[coco_ann(category_id=0, segmentation=[])])
    source = write_coco(tmp_path / "in", {"instances_default": doc})
    out = tmp_path / "out.json"
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(out),
                     "--on-error", "warn")
    assert "skipped" not in result.stderr and "error" not in result.stderr
    written = json.loads(out.read_text())
    assert [(i["width"], i["height"]) for i in written["images"]] == [(0, 0)]
    (ann,) = written["annotations"]
    assert ann["category_id"] == 0 and ann["bbox"] == [1.0, 1.0, 4.0, 3.0]


def test_coco_category_id_0_is_a_category_when_declared(runner, cli, tmp_path):
    doc = coco_doc(annotations=[coco_ann(category_id=0)],
                   categories=[{"id": 0, "name": "zero", "supercategory": ""}])
    source = write_coco(tmp_path / "in", {"instances_default": doc})
    out = tmp_path / "out.json"
    convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(out))
    written = json.loads(out.read_text())
    assert written["annotations"][0]["category_id"] == 0
    assert written["categories"][0]["name"] == "zero"


def test_coco_folder_output_has_an_images_folder(runner, cli, tmp_path):
    """Fixed: Datumaro refuses a COCO folder without images/ (even with no images)."""
    source = write_coco(tmp_path / "in", {"instances_default": coco_doc()})
    convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out"))
    assert (tmp_path / "out" / "images").is_dir()
    # a .zip keeps it as a directory entry: CVAT unpacks a COCO zip and hands it to Datumaro
    convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out.zip"))
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.namelist() == ["annotations/instances_default.json", "images/"]


def test_cvat_keypoint_categories_get_keypoints_and_skeleton(runner, cli, fixtures_root,
                                                             tmp_path):
    """Fixed: CVAT labels without a skeleton were written to person_keypoints without
    ``keypoints``/``skeleton`` (Datumaro: MissingFieldError)."""
    source = fixtures_root / "cvat-ai-datumaro/cvat_dataset/for_images"
    convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out"))
    doc = json.loads((tmp_path / "out/annotations/person_keypoints_default.json").read_text())
    assert all("keypoints" in c and "skeleton" in c for c in doc["categories"])
    skeleton = [c for c in doc["categories"] if c["keypoints"]]
    assert [c["keypoints"] for c in skeleton] == [["1", "2", "3", "4"]]


def test_cvat_output_of_several_subsets_lists_them_as_project_tasks(runner, cli, tmp_path):
    """Fixed: a <task> meta with subset= on the images is read by Datumaro as 0 items; CVAT
    writes a project with one task per subset."""
    docs = {"instances_train": coco_doc(),
            "instances_val": coco_doc(images=[coco_image(file_name="b.jpg")])}
    source = write_coco(tmp_path / "in", docs)
    out = tmp_path / "out"
    convert(runner, cli, "-i", str(source), "-f", "cvat", "-o", str(out))
    root = etree.parse(str(out / "annotations.xml")).getroot()
    tasks = root.findall("meta/project/tasks/task")
    assert [(t.findtext("name"), t.findtext("size"), t.findtext("subset")) for t in tasks] == \
        [("train", "1", "train"), ("val", "1", "val")]
    assert root.find("meta/task") is None and root.find("meta/project/labels/label") is not None
    assert [i.get("subset") for i in root.iter("image")] == ["train", "val"]
    back = tmp_path / "back"
    convert(runner, cli, "-i", str(out), "-f", "cvat", "-o", str(back))
    assert (back / "annotations.xml").read_bytes() == (out / "annotations.xml").read_bytes()


def test_cvat_project_meta_keeps_its_tasks(runner, cli, fixtures_root, tmp_path):
    source = fixtures_root / "datumaro/cvat_dataset/for_images/export_project"
    out = tmp_path / "out"
    convert(runner, cli, "-i", str(source), "-f", "cvat", "-o", str(out))
    root = etree.parse(str(out / "annotations.xml")).getroot()
    subsets = [t.findtext("subset") for t in root.findall("meta/project/tasks/task")]
    assert subsets == ["Test", "Train", "Validation"]  # kept as the project listed them


def test_cvat_kept_project_gains_a_task_per_missing_subset_and_a_task_meta_is_replaced():
    from cococonv_plugins.cvat.meta import for_subsets

    project = [["project", [["name", "p"], ["tasks", [["task", [["subset", "a"]]]]],
                            ["labels", None]]]]
    nodes, replaced = for_subsets(project, {"a": 1, "b": 2})
    assert not replaced and nodes[0][1][1] == ["tasks", [
        ["task", [["subset", "a"]]],
        ["task", [["name", "b"], ["size", "2"], ["mode", "annotation"], ["subset", "b"]]]]]
    assert project[0][1][1][1] == [["task", [["subset", "a"]]]]  # the kept meta is not edited
    nodes, replaced = for_subsets([["task", [["name", "t"]]]], {"a": 1, "b": 1})
    assert replaced and [n[0] for n in nodes] == ["project"]


def test_kept_annotation_id_0_warns_that_cocoeval_misses_it(runner, cli, tmp_path):
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(
        annotations=[coco_ann(id=0)])})
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "a"))
    assert ("warning: annotations/instances_val.json: annotation id 0 is kept; pycocotools' "
            "COCOeval reads id 0 as 'no match' and scores that object as missed: use "
            "--reindex for ids 1..N") in result.stderr
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "b"),
                     "--reindex")
    assert "id 0" not in result.stderr


def test_box_segmentation_polygon_gives_box_only_objects_their_corners(runner, cli, tmp_path):
    box = coco_ann(segmentation=[], bbox=[1.0, 2.0, 3.0, 4.0], area=12.0)
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(annotations=[box])})
    for mode, expected in (("empty", []), ("polygon", [[1.0, 2.0, 4.0, 2.0, 4.0, 6.0,
                                                        1.0, 6.0]])):
        out = tmp_path / f"{mode}.json"
        convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(out),
                "--box-segmentation", mode)
        (ann,) = json.loads(out.read_text())["annotations"]
        assert ann["segmentation"] == expected and ann["bbox"] == [1.0, 2.0, 3.0, 4.0]


def test_cvat_task_meta_becomes_a_project_when_images_name_another_subset(fixtures_root,
                                                                         tmp_path):
    """A kept <task> meta says subset Test; items now in subset "renamed" carry subset= on
    their images, which Datumaro would filter out under a task meta: a project lists it."""
    import dataclasses

    import cococonv
    from cococonv.model import Dataset
    from cococonv.report import Report

    source = cococonv.load(str(fixtures_root / "2label/cvat1.1"), "cvat",
                           report=Report(quiet=True))
    moved = Dataset(source.categories, [dataclasses.replace(item, subset="renamed")
                                        for item in source], meta=source.meta)
    report = cococonv.save(moved, "cvat", str(tmp_path / "out"), report=Report(quiet=True))
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()
    assert [t.findtext("subset") for t in root.findall("meta/project/tasks/task")] == \
        ["renamed"]
    assert {i.get("subset") for i in root.iter("image")} == {"renamed"}
    assert report.losses[("task meta", "images that name their subset need a project meta, "
                          "one task per subset (Datumaro reads none of them under a task "
                          "meta)")] == 1
