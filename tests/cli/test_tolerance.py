"""What real exports do and what a new user types: tolerated, or refused early with one line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..builders import coco_ann, coco_doc, coco_image, files_under, read_json, write_coco

NAMES = [f"p{k}" for k in range(21)]
CVAT_XML = "datumaro/cvat_dataset/for_images/export_task/train.xml"


def triplets(count: int) -> list[float]:
    return [v for k in range(count) for v in (1.0 + k % 5, 1.0 + k % 7, 2)]


def keypoint_doc(*counts: int) -> dict:
    """One person per count, each with that many points; the category names 21."""
    return coco_doc(
        annotations=[coco_ann(id=k + 1, segmentation=[], keypoints=triplets(n), num_keypoints=n,
                              body_parts={"rest": [1, 2, 2]})
                     for k, n in enumerate(counts)],
        categories=[{"id": 1, "name": "person", "keypoints": NAMES, "skeleton": [[1, 2]]}])


def convert(runner, cli, *args: str, **kwargs):
    return runner.invoke(cli, ["convert", *args], **kwargs)


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def coco_to_coco(tmp_path: Path, runner, cli, docs: dict[str, dict]):
    """Convert annotations/<name>.json files to COCO in tmp_path/out; the run must succeed."""
    source = write_coco(tmp_path / "in", docs)
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    return result


# -- keypoint sets whose length differs from the category's names -----------------------------

def test_keypoints_of_another_length_are_kept_with_one_warning_per_category(tmp_path, runner,
                                                                            cli):
    result = coco_to_coco(tmp_path, runner, cli,
                          {"person_keypoints_train": keypoint_doc(17, 17, 21, 23)})
    assert warnings_of(result) == [
        "warning: annotations/person_keypoints_train.json: category 'person' names 21 "
        "keypoints, but 3 annotations hold 17 or 23; kept as given"]
    written = read_json(tmp_path / "out/annotations/person_keypoints_train.json")
    assert [a["keypoints"] for a in written["annotations"]] == \
        [triplets(n) for n in (17, 17, 21, 23)]
    assert all(a["body_parts"] == {"rest": [1, 2, 2]} for a in written["annotations"])
    assert written["categories"][0]["keypoints"] == NAMES


def test_keypoints_of_another_length_warn_once_per_category_and_file(tmp_path, runner, cli):
    doc = keypoint_doc(17, 17)
    doc["categories"].append({"id": 2, "name": "hand", "keypoints": ["a", "b"], "skeleton": []})
    doc["annotations"].append(coco_ann(id=9, category_id=2, segmentation=[],
                                       keypoints=triplets(3)))
    result = coco_to_coco(tmp_path, runner, cli, {"person_keypoints_train": doc,
                                                  "person_keypoints_val": keypoint_doc(20)})
    assert warnings_of(result) == [
        "warning: annotations/person_keypoints_train.json: category 'person' names 21 "
        "keypoints, but 2 annotations hold 17; kept as given",
        "warning: annotations/person_keypoints_train.json: category 'hand' names 2 "
        "keypoints, but 1 annotation hold 3; kept as given",
        "warning: annotations/person_keypoints_val.json: category 'person' names 21 "
        "keypoints, but 1 annotation hold 20; kept as given"]


def test_keypoints_that_are_no_triplets_are_still_an_error(tmp_path, runner, cli):
    doc = keypoint_doc(17)
    doc["annotations"][0]["keypoints"] = [1, 2, 2, 3]
    source = write_coco(tmp_path / "in", {"person_keypoints_train": doc})
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: annotations/person_keypoints_train.json: annotations[0].keypoints: expected a "
        "flat list of x, y, v triplets"]


def test_cvat_writes_a_shorter_or_longer_set_as_the_labels_skeleton_and_reports_it(
        tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"person_keypoints_train": keypoint_doc(17, 23)})
    out = tmp_path / "out.xml"
    result = convert(runner, cli, "-i", str(source), "-f", "cvat", "-o", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"what": "keypoints beyond their label's names", "count": 2,
            "why": "a CVAT skeleton has one node per name"} in report["lost"]
    assert {"what": "keypoint sets shorter than their label's names", "count": 1,
            "how": "the missing names written as outside points"} in report["approximated"]
    back = convert(runner, cli, "-if", "cvat", "-i", str(out), "-f", "coco",
                   "-o", str(tmp_path / "back"))
    assert back.exit_code == 0, back.stderr
    (written_file,) = (tmp_path / "back/annotations").glob("person_keypoints_*.json")
    written = read_json(written_file)
    first, second = (a["keypoints"] for a in written["annotations"])
    assert len(first) == len(second) == 3 * 21
    assert first[:3 * 17] == triplets(17) and first[3 * 17 + 2::3] == [0] * 4
    assert second == triplets(21)


def test_voc_reports_keypoint_sets_of_any_length_as_lost(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"person_keypoints_train": keypoint_doc(17, 23)})
    result = convert(runner, cli, "-i", str(source), "-f", "voc", "-o", str(tmp_path / "out"),
                     "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"what": "keypoints", "why": "VOC has no keypoints", "count": 2} in report["lost"]


# -- category_id given as a declared category's name -------------------------------------------

def test_a_category_name_in_category_id_maps_to_the_declared_category(tmp_path, runner, cli):
    doc = coco_doc(annotations=[coco_ann(id=1, category_id="dog"), coco_ann(id=2, category_id=7),
                                coco_ann(id=3, category_id="dog")],
                   categories=[{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}])
    result = coco_to_coco(tmp_path, runner, cli, {"instances_train": doc})
    assert warnings_of(result) == [
        "warning: annotations/instances_train.json: annotations[0].category_id: 'dog' is a "
        "category name, not an id; read as category 7"]
    written = read_json(tmp_path / "out/annotations/instances_train.json")
    assert [a["category_id"] for a in written["annotations"]] == [7, 7, 7]
    assert [(c["id"], c["name"]) for c in written["categories"]] == [(3, "cat"), (7, "dog")]


@pytest.mark.parametrize("categories, message", [
    ([{"id": 3, "name": "cat"}], "'dog' is not a category (known: 3)"),
    ([{"id": 3, "name": "dog"}, {"id": 7, "name": "dog"}],
     "'dog' is not a category id, and it names 2 categories (ids 3, 7): use the id"),
], ids=["unknown-name", "ambiguous-name"])
def test_a_name_that_is_no_single_declared_category_is_still_an_error(tmp_path, runner, cli,
                                                                       categories, message):
    doc = coco_doc(annotations=[coco_ann(category_id="dog")], categories=categories)
    source = write_coco(tmp_path / "in", {"instances_train": doc})
    result = convert(runner, cli, "-i", str(source), "-f", "coco", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == \
        f"error: annotations/instances_train.json: annotations[0].category_id: {message}"
    assert not (tmp_path / "out").exists()


# -- a task-specific importer reads the one file it is given ------------------------------------

def test_a_task_importer_reads_a_single_file_whatever_its_name(tmp_path, runner, cli):
    source = tmp_path / "panoptic_something.json"
    source.write_text(json.dumps(coco_doc()))
    result = convert(runner, cli, "-if", "coco_instances", "-i", str(source), "-f", "coco",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "out") == ["annotations/instances_something.json"]
    written = read_json(tmp_path / "out/annotations/instances_something.json")
    assert len(written["annotations"]) == 1


def test_a_task_importer_reads_a_file_named_with_r_whatever_its_name(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"captions_odd": coco_doc()})
    result = convert(runner, cli, "-if", "coco_instances", "-i", str(source),
                     "-r", "annotations/captions_odd.json", "-f", "coco_instances",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    written = read_json(tmp_path / "out/annotations/instances_odd.json")
    assert len(written["annotations"]) == 1


def test_a_task_importer_still_picks_its_own_files_in_a_folder(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"instances_a": coco_doc(), "captions_a": coco_doc(
        annotations=[{"id": 1, "image_id": 1, "caption": "x"}])})
    result = convert(runner, cli, "-if", "coco_captions", "-i", str(source), "-f", "coco",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "out") == ["annotations/captions_a.json"]


# -- format names and output kinds ---------------------------------------------------------------

def test_format_names_are_case_insensitive(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"instances_train": coco_doc()})
    result = convert(runner, cli, "-if", "COCO_Instances", "-i", str(source), "-f", "VOC",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert "Annotations/a.xml" in files_under(tmp_path / "out")
    shown = runner.invoke(cli, ["formats", "COCO"])
    assert shown.exit_code == 0 and shown.stdout.startswith("coco (importer)\n")


def test_format_options_follow_a_format_named_in_capitals(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"instances_train": coco_doc(
        annotations=[coco_ann(id=5)])})
    result = convert(runner, cli, "-i", str(source), "-f", "COCO", "--reindex",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    written = read_json(tmp_path / "out/annotations/instances_train.json")
    assert [a["id"] for a in written["annotations"]] == [1]


@pytest.mark.parametrize("fmt, target, line", [
    ("coco", "x.xml", "coco writes a folder, an archive (.zip, .tar[.gz]) or a single .json "
                      "file, not .xml"),
    ("coco_panoptic", "x.json", "coco_panoptic writes a folder or an archive (.zip, "
                                ".tar[.gz]), not .json"),
    ("cvat", "x.json", "cvat writes a folder, an archive (.zip, .tar[.gz]) or a single .xml "
                       "file, not .json"),
    ("voc", "x.json", "voc writes a folder or an archive (.zip, .tar[.gz]), not .json"),
    ("voc", "-", "voc writes a folder or an archive (.zip, .tar[.gz]), not to stdout (-o - "
                 "needs a single-file format)"),
], ids=["coco-xml", "panoptic-json", "cvat-json", "voc-json", "voc-stdout"])
def test_an_output_the_format_cannot_write_is_refused_before_reading(tmp_path, runner, cli,
                                                                     fmt, target, line):
    broken = tmp_path / "broken.json"
    broken.write_text("[1,")  # were it read, the error would be about this file
    out = target if target == "-" else str(tmp_path / target)
    result = convert(runner, cli, "-if", "coco", "-i", str(broken), "-f", fmt, "-o", out)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {out}: {line}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json"]


@pytest.mark.parametrize("fmt, target", [("coco", "x.JSON"), ("cvat", "x.xml"),
                                         ("voc", "x.zip"), ("coco", "x.zip")])
def test_an_output_the_format_can_write_is_written(tmp_path, runner, cli, fmt, target):
    source = write_coco(tmp_path / "in", {"instances_train": coco_doc()})
    result = convert(runner, cli, "-i", str(source), "-f", fmt, "-o", str(tmp_path / target))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / target).is_file()


# -- undetected formats are bad data; unknown names a bad command line ---------------------------

@pytest.mark.parametrize("input_format", [None, "coco", "cvat", "voc"])
def test_an_input_no_format_reads_exits_1(tmp_path, runner, cli, input_format):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("hello")
    given = ["-if", input_format] if input_format else []
    result = convert(runner, cli, *given, "-i", str(tmp_path / "in"), "-f", "coco",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'in'}: no ")


def test_stdin_that_no_format_reads_exits_1(runner, cli):
    result = runner.invoke(cli, ["info", "-i", "-"], input='{"a": 1}')
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: <stdin>: no known dataset format found here; pass the format with -if "
        "(see `cococonv formats`)"]


def test_an_unknown_format_name_exits_2(tmp_path, runner, cli):
    source = write_coco(tmp_path / "in", {"instances_train": coco_doc()})
    result = convert(runner, cli, "-if", "cooc", "-i", str(source), "-f", "coco",
                     "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown importer 'cooc'; known: ")


# -- CVAT XML on stdin -----------------------------------------------------------------------------

@pytest.mark.parametrize("input_format", [["-if", "cvat"], ["-if", "CVAT"], []],
                         ids=["named", "named-in-capitals", "detected"])
def test_cvat_xml_is_read_from_stdin(fixtures_root, tmp_path, runner, cli, input_format):
    xml = (fixtures_root / CVAT_XML).read_bytes()
    from_file = convert(runner, cli, "-i", str(fixtures_root / CVAT_XML), "-f", "coco",
                        "-o", str(tmp_path / "file"))
    assert from_file.exit_code == 0, from_file.stderr
    result = convert(runner, cli, *input_format, "-i", "-", "-f", "coco",
                     "-o", str(tmp_path / "stdin"), input=b"\xef\xbb\xbf\n  " + xml)
    assert result.exit_code == 0, result.stderr
    names = files_under(tmp_path / "stdin")
    assert names == files_under(tmp_path / "file") and names
    for name in names:
        assert read_json(tmp_path / "stdin" / name) == read_json(tmp_path / "file" / name)


def test_coco_json_on_stdin_is_still_detected(tmp_path, runner, cli):
    doc = coco_doc(images=[coco_image(id=4)], annotations=[coco_ann(image_id=4)])
    result = convert(runner, cli, "-i", "-", "-f", "coco", "-o", str(tmp_path / "out"),
                     input=json.dumps(doc))
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "out") == ["annotations/instances_default.json"]


def test_json_on_stdin_named_as_cvat_says_it_is_no_cvat_file(runner, cli, tmp_path):
    result = convert(runner, cli, "-if", "cvat", "-i", "-", "-f", "coco",
                     "-o", str(tmp_path / "out"), input=json.dumps(coco_doc()))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: <stdin>: no CVAT annotation file found")


def test_a_cvat_file_is_read_whatever_its_name(fixtures_root, tmp_path, runner, cli):
    odd = tmp_path / "export.txt"
    odd.write_bytes((fixtures_root / CVAT_XML).read_bytes())
    result = convert(runner, cli, "-i", str(odd), "-f", "cvat", "-o", str(tmp_path / "out.xml"))
    assert result.exit_code == 0, result.stderr
    assert Path(tmp_path / "out.xml").read_bytes().startswith(b"<?xml")


def test_project_export_refuses_an_output_its_format_cannot_write_before_loading(tmp_path,
                                                                                 runner, cli):
    source = write_coco(tmp_path / "in", {"instances_train": coco_doc()})
    project = tmp_path / "proj"
    for args in (["create", "-o", str(project)], ["import", "-p", str(project), "-f", "COCO",
                                                  str(source)]):
        assert runner.invoke(cli, args).exit_code == 0
    (source / "annotations/instances_train.json").write_text("[1,")  # were it read: exit 1
    out = tmp_path / "x.json"
    result = runner.invoke(cli, ["export", "-p", str(project), "-f", "Voc", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {out}: voc writes a folder or an archive "
                                        f"(.zip, .tar[.gz]), not .json"]
    assert not out.exists()
