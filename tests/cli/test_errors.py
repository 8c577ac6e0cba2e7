"""Bad input and bad command lines: one clear line on stderr, the right exit code, nothing written.

Data errors exit 1 with exactly one stderr line ``error: <file>: <JSON path>: <what was found>``
and no traceback; the output target does not exist afterwards (not even a temporary sibling).
Command-line errors exit 2.
"""
from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image

FILE = "annotations/instances_val.json"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def base_doc() -> dict:
    """Two images, 19 annotations (so annotations[17] exists), categories 1..80."""
    return coco_doc(
        images=[coco_image(id=1, file_name="a.jpg"), coco_image(id=2, file_name="b.jpg")],
        annotations=[coco_ann(id=i, image_id=1 + i % 2) for i in range(1, 20)],
        categories=[{"id": i, "name": f"c{i}", "supercategory": ""} for i in range(1, 81)])


def at(*path: Any, value: Any) -> Callable[[dict], dict]:
    """A mutation setting doc[path...] = value."""
    def mutate(doc: dict) -> dict:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc
    return mutate


def drop(*path: Any) -> Callable[[dict], dict]:
    def mutate(doc: dict) -> dict:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return doc
    return mutate


def raw(text: str) -> Callable[[dict], str]:
    return lambda _doc: text


def keypoints_file(mutation: Callable[[dict], dict]) -> Callable[[dict], tuple[str, dict]]:
    """The mutation applied to a person_keypoints file instead of an instances one."""
    return lambda doc: ("person_keypoints_val", mutation(doc))


ERRORS = [
    pytest.param(raw('{"images": [\n  {"id": 1, "file_name": x}\n]}'),
                 f"error: {FILE}: line 2 column 26: not valid JSON (unexpected character, "
                 f"expected a JSON value)", id="malformed-json"),
    pytest.param(raw('{"images": [1, 2'),
                 f"error: {FILE}: line 1 column 17: not valid JSON (unexpected end of data)",
                 id="truncated-json"),
    pytest.param(raw("5"),
                 f"error: {FILE}: top level: expected a JSON object with images, annotations and "
                 f"categories, got int", id="not-an-object"),
    pytest.param(at("annotations", 17, "bbox", value="1,2,3,4"),
                 f"error: {FILE}: annotations[17].bbox: expected [x, y, width, height] numbers, "
                 f"got '1,2,3,4'", id="bbox-is-a-string"),
    pytest.param(at("images", value={"id": 1}),
                 f"error: {FILE}: images: must be a list, got dict", id="images-not-a-list"),
    pytest.param(drop("images"),
                 f"error: {FILE}: top level: missing key 'images'", id="missing-images"),
    pytest.param(drop("annotations", 17, "image_id"),
                 f"error: {FILE}: annotations[17]: missing key 'image_id'", id="missing-image-id"),
    pytest.param(at("annotations", 17, "image_id", value=77),
                 f"error: {FILE}: annotations[17].image_id: 77 is not an image (known: 1-2)",
                 id="dangling-image-id"),
    pytest.param(at("annotations", 17, "category_id", value=99),
                 f"error: {FILE}: annotations[17].category_id: 99 is not a category (known: 1-80)",
                 id="dangling-category-id"),
    pytest.param(at("annotations", 17, "segmentation", value={"size": [5, 5], "counts": [25]}),
                 f"error: {FILE}: annotations[17].segmentation: RLE size 5x5 does not match the "
                 f"image 8x10 (height x width)", id="rle-size-disagrees-with-image"),
    pytest.param(at("annotations", 17, "segmentation", value={"size": [8, 10], "counts": [10, 5]}),
                 f"error: {FILE}: annotations[17].segmentation: RLE counts sum to 15, expected "
                 f"height*width = 80", id="rle-counts-do-not-sum"),
    pytest.param(at("annotations", 17, "segmentation", value={"size": [8, 10], "counts": "@@@@"}),
                 f"error: {FILE}: annotations[17].segmentation: compressed RLE counts decode to "
                 f"a run length outside the image", id="rle-string-corrupt"),
    pytest.param(at("annotations", 17, "segmentation", value=[[1, 1, 2, 2]]),
                 f"error: {FILE}: annotations[17].segmentation[0]: a polygon needs at least 3 "
                 f"points (6 numbers) and an even count, got 4 numbers", id="polygon-two-points"),
    pytest.param(at("annotations", 17, "segmentation", value=[[1, 1, 2, 2, 3, 3, 4]]),
                 f"error: {FILE}: annotations[17].segmentation[0]: a polygon needs at least 3 "
                 f"points (6 numbers) and an even count, got 7 numbers", id="polygon-odd-count"),
    pytest.param(at("annotations", 17, "segmentation", value=[1, 2, 3, 4, 5, 6, 7]),
                 f"error: {FILE}: annotations[17].segmentation: a polygon needs at least 3 "
                 f"points (6 numbers) and an even count, got 7 numbers", id="flat-polygon-odd"),
    pytest.param(at("annotations", 17, "segmentation", value="abc"),
                 f"error: {FILE}: annotations[17].segmentation: expected polygons or RLE, got str",
                 id="segmentation-is-a-string"),
    pytest.param(at("annotations", 17, "iscrowd", value="maybe"),
                 f"error: {FILE}: annotations[17].iscrowd: must be 0 or 1, got 'maybe'",
                 id="iscrowd-not-a-flag"),
    pytest.param(at("annotations", 17, "area", value="big"),
                 f"error: {FILE}: annotations[17].area: must be a number, got 'big'",
                 id="area-not-a-number"),
    pytest.param(at("annotations", 17, value=5),
                 f"error: {FILE}: annotations[17]: must be an object, got int",
                 id="annotation-not-an-object"),
    pytest.param(at("images", 1, "id", value=1),
                 f"error: {FILE}: images[1].id: 1 is used twice (first at images[0])", id="duplicate-image-id"),
    pytest.param(at("images", 1, "id", value=None),
                 f"error: {FILE}: images[1].id: must be an integer or string, got null",
                 id="image-id-null"),
    pytest.param(at("images", 1, "file_name", value="a.jpg"),
                 f"error: {FILE}: images[1].file_name: 'a.jpg' is also the file of images[0] "
                 f"(ids 1 and 2); two images cannot share a file", id="same-file-name"),
    pytest.param(at("images", 1, "width", value=-3),
                 f"error: {FILE}: images[1].width: must be a positive integer up to 1048576, got -3",
                 id="negative-width"),
    pytest.param(at("categories", 5, "id", value=1),
                 f"error: {FILE}: categories[5].id: 1 is used twice", id="duplicate-category-id"),
    pytest.param(keypoints_file(at("annotations", 17, "keypoints", value=[1, 2, 3, 4])),
                 "error: annotations/person_keypoints_val.json: annotations[17].keypoints: "
                 "expected a flat list of x, y, v triplets", id="keypoints-not-triplets"),
    pytest.param(keypoints_file(at("annotations", 17, "keypoints", value=[1, 2, 3])),
                 "error: annotations/person_keypoints_val.json: annotations[17].keypoints: "
                 "visibility must be 0, 1 or 2, got 3", id="keypoint-visibility-3"),
]


def write_input(root: Path, mutation: Callable) -> Path:
    result = mutation(copy.deepcopy(base_doc()))
    name = "instances_val"
    if isinstance(result, tuple):
        name, result = result
    text = result if isinstance(result, str) else json.dumps(result, indent=1)
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / f"{name}.json").write_text(text)
    return root


def assert_one_error_line(result, expected_line: str, exit_code: int = 1) -> None:
    assert result.exit_code == exit_code, (result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [expected_line]


def test_a_valid_base_document_converts(tmp_path, runner, cli):
    # The error table mutates this document: it must be fine as it is.
    source = write_input(tmp_path / "in", lambda doc: doc)
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / FILE).is_file()


@pytest.mark.parametrize("mutation, expected_line", ERRORS)
def test_convert_reports_bad_data_in_one_line_and_writes_nothing(tmp_path, runner, cli, mutation,
                                                                 expected_line):
    source = write_input(tmp_path / "in", mutation)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out)])
    assert_one_error_line(result, expected_line)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no temporary sibling left


@pytest.mark.parametrize("target", ["out", "out.json", "out.zip", "-"])
def test_convert_with_bad_data_leaves_no_output_of_any_kind(tmp_path, runner, cli, monkeypatch,
                                                            target):
    source = write_input(tmp_path / "in", at("annotations", 17, "category_id", value=99))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", "in", "-f", "coco", "-o", target])
    assert_one_error_line(result, f"error: {FILE}: annotations[17].category_id: 99 is not a "
                                  f"category (known: 1-80)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert source.is_dir()


def test_convert_names_the_zip_member_of_a_bad_file(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", at("annotations", 17, "category_id", value=99))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(source / FILE, FILE)
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(archive), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert_one_error_line(result, f"error: export.zip!{FILE}: annotations[17].category_id: 99 is "
                                  f"not a category (known: 1-80)")


def test_convert_names_a_single_input_file(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", at("annotations", 3, "image_id", value="x"))
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source / FILE), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert_one_error_line(result, "error: instances_val.json: annotations[3].image_id: 'x' is not "
                                  "an image (known: 1-2)")


def test_convert_verbose_adds_the_traceback(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", at("annotations", 17, "category_id", value=99))
    result = runner.invoke(cli, ["-v", "convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")


def test_convert_of_a_missing_input_names_it(tmp_path, runner, cli):
    missing = tmp_path / "nowhere"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(missing), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert_one_error_line(result, f"error: {missing}: no such file or folder")


def test_convert_of_a_folder_without_coco_files_says_what_it_expected(tmp_path, runner, cli):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("hello")
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(tmp_path / "in"), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'in'}: no COCO annotation files found")
    assert "annotations/<task>_<subset>.json" in line


# -- the command line -------------------------------------------------------------------------

COMMAND_LINE_ERRORS = [
    pytest.param(["-if", "nope", "-i", "IN", "-f", "coco", "-o", "OUT"],
                 "error: unknown importer 'nope'; known: ", id="unknown-input-format"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "nope", "-o", "OUT"],
                 "error: unknown exporter 'nope'; known: ", id="unknown-output-format"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "coco", "-o", "OUT", "--bogus"],
                 "Error: No such option '--bogus'", id="unknown-option"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "coco"],
                 "Error: Missing option '-o' / '--output'.", id="missing-output"),
    pytest.param(["-if", "coco", "-i", "IN", "-o", "OUT"],
                 "Error: Missing option '-f' / '--format' / '--output-format'.",
                 id="missing-format"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "coco", "-o", "OUT", "--segmentation-mode", "x"],
                 "Error: Invalid value for '--segmentation-mode'", id="bad-choice"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "coco", "-o", "OUT", "--tasks", "instances,x"],
                 "error: option --tasks of coco: 'x' is not one of ", id="bad-task"),
    pytest.param(["-if", "coco", "-i", "IN", "-f", "coco", "-o", "OUT", "--reindex", "maybe"],
                 "Error: Got unexpected extra argument (maybe)", id="bad-boolean-word"),
]


@pytest.mark.parametrize("args, expected_start", COMMAND_LINE_ERRORS)
def test_convert_with_a_wrong_command_line_exits_2(tmp_path, runner, cli, args, expected_start):
    source = write_input(tmp_path / "in", lambda doc: doc)
    out = tmp_path / "out"
    args = [str(source) if a == "IN" else str(out) if a == "OUT" else a for a in args]
    result = runner.invoke(cli, ["convert", *args])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert any(line.startswith(expected_start) for line in result.stderr.splitlines()), \
        result.stderr
    assert not out.exists()


def test_unknown_command_exits_2(runner, cli):
    result = runner.invoke(cli, ["frobnicate"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "No such command 'frobnicate'" in result.stderr


# -- existing output --------------------------------------------------------------------------

def test_convert_refuses_a_non_empty_output_folder_and_leaves_it_alone(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", lambda doc: doc)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out)])
    assert_one_error_line(result, f"error: {out}: output exists and is not empty (use --overwrite)")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"


def test_convert_refuses_an_existing_output_file(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", lambda doc: doc)
    out = tmp_path / "out.json"
    out.write_text("{}")
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out)])
    assert_one_error_line(result, f"error: {out}: output exists and is not empty (use --overwrite)")
    assert out.read_text() == "{}"


def test_convert_overwrite_replaces_a_non_empty_output(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", lambda doc: doc)
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [FILE]


def test_convert_accepts_an_empty_existing_output_folder(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", lambda doc: doc)
    (tmp_path / "out").mkdir()
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / FILE).is_file()


def test_convert_overwrite_keeps_the_old_output_when_the_input_is_bad(tmp_path, runner, cli):
    source = write_input(tmp_path / "in", at("annotations", 17, "category_id", value=99))
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("old")
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(out), "--overwrite"])
    assert result.exit_code == 1
    assert (out / "previous.txt").read_text() == "old"
