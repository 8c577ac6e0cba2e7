"""`cococonv convert`: wiring of inputs, outputs and format options (the data itself is checked in
tests/test_roundtrip_coco.py and tests/plugins/test_coco_*.py)."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import assert_same_json, coco_ann, coco_doc, coco_image, files_under, write_coco

ALL_TASK_FILES = sorted(f"annotations/{task}_{subset}.json"
                        for task in ("captions", "image_info", "instances", "labels", "panoptic",
                                     "person_keypoints", "stuff")
                        for subset in ("train", "val"))


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def read_json(path: Path):
    return json.loads(Path(path).read_bytes())


def sparse_dataset(root: Path) -> Path:
    doc = coco_doc(images=[coco_image(id=30, file_name="z.jpg"), coco_image(id=4, file_name="b.jpg")],
                   categories=[{"id": 9, "name": "c", "supercategory": ""}],
                   annotations=[coco_ann(id=77, image_id=30, category_id=9),
                                coco_ann(id=5, image_id=4, category_id=9)])
    return write_coco(root, {"instances_val": doc})


def ids(doc: dict) -> tuple[list, list, list]:
    return ([i["id"] for i in doc["images"]], [a["id"] for a in doc["annotations"]],
            [c["id"] for c in doc["categories"]])


def run(runner, cli, *args: str, input: bytes | None = None):
    result = runner.invoke(cli, ["convert", *args], input=input)
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result


def test_convert_writes_every_task_of_a_seven_task_dataset(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    result = run(runner, cli, "-if", "coco", "-i", str(fixtures_root / "datumaro/coco_dataset/coco"),
                 "-f", "coco", "-o", str(out))
    assert result.stdout == ""
    assert result.stderr == f"wrote 2 items, 19 annotations, {len(ALL_TASK_FILES) + 2} files " \
                            f"to {out}\n"
    assert files_under(out) == sorted(ALL_TASK_FILES + ["annotations/panoptic_train/a.png",
                                                        "annotations/panoptic_val/b.png"])


def test_convert_tasks_option_writes_only_those_tasks(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    result = run(runner, cli, "-if", "coco", "-i", str(fixtures_root / "datumaro/coco_dataset/coco"),
                 "-f", "coco", "-o", str(out), "--tasks", "instances,stuff")
    assert files_under(out) == ["annotations/instances_train.json", "annotations/instances_val.json",
                                "annotations/stuff_train.json", "annotations/stuff_val.json"]
    assert result.stdout == ""
    assert "conversion report:" in result.stderr  # what the other tasks held is reported


def test_convert_detects_the_input_format_when_it_is_not_given(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    run(runner, cli, "-i", str(fixtures_root / "datumaro/coco_dataset/coco_instances"),
        "-f", "coco", "-o", str(out))
    assert files_under(out) == ["annotations/instances_train.json", "annotations/instances_val.json"]


def test_convert_to_a_json_file_writes_one_file(fixtures_root, tmp_path, runner, cli):
    source = fixtures_root / "training_extensions/car_tree_bug"
    out = tmp_path / "result.json"
    result = run(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", str(out))
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]
    assert_same_json(read_json(source / "annotations/instances_val_1_imgs.json"), read_json(out))


def test_convert_to_a_json_file_refuses_a_dataset_of_several_files(fixtures_root, tmp_path, runner,
                                                                   cli):
    out = tmp_path / "result.json"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i",
                                 str(fixtures_root / "datumaro/coco_dataset/coco_instances"),
                                 "-f", "coco", "-o", str(out)])
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {out}: the export wrote 2 files (annotations/instances_train.json,"
                           f" annotations/instances_val.json)")
    assert list(tmp_path.iterdir()) == []


def test_convert_to_stdout_prints_exactly_the_json(fixtures_root, runner, cli):
    source = fixtures_root / "seed-examples/hasty_rle"
    result = run(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", "-")
    # the one line on stderr: Hasty's annotation id 0 breaks COCOeval unless reindexed
    warning, written = result.stderr.splitlines()
    assert warning.startswith("warning: annotations/instances_default.json: annotation "
                              "id 0 is kept;")
    assert written == "wrote 1 item, 1 annotation, 1 file to the standard output"
    assert_same_json(read_json(source / "annotations/instances_default.json"),
                     json.loads(result.stdout))


def test_convert_reads_stdin(tmp_path, runner, cli):
    source = sparse_dataset(tmp_path / "in")
    data = (source / "annotations/instances_val.json").read_bytes()
    result = run(runner, cli, "-if", "coco", "-i", "-", "-f", "coco", "-o", "-", input=data)
    assert_same_json(json.loads(data), json.loads(result.stdout))


def test_convert_reads_a_zip_and_writes_a_zip(fixtures_root, tmp_path, runner, cli):
    source = fixtures_root / "datumaro/coco_dataset/coco_instances"
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in files_under(source):
            zf.write(source / name, f"wrapper/{name}")  # one wrapping folder, as tools export
    out = tmp_path / "out.zip"
    run(runner, cli, "-if", "coco", "-i", str(archive), "-f", "coco", "-o", str(out),
        "--save-images")
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == files_under(source)
        for name in files_under(source):
            if name.endswith(".json"):
                assert_same_json(read_json(source / name), json.loads(zf.read(name)), name)
            else:
                assert zf.read(name) == (source / name).read_bytes()


@pytest.mark.parametrize("options, expected", [
    pytest.param([], ([30, 4], [77, 5], [9]), id="default-keeps-ids"),
    pytest.param(["--reindex"], ([1, 2], [1, 2], [1]), id="flag"),
    pytest.param(["--reindex", "true"], ([1, 2], [1, 2], [1]), id="datumaro-true"),
    pytest.param(["--reindex", "false"], ([30, 4], [77, 5], [9]), id="datumaro-false"),
    pytest.param(["--reindex=1"], ([1, 2], [1, 2], [1]), id="equals-sign"),
    pytest.param(["--no-reindex"], ([30, 4], [77, 5], [9]), id="no-flag"),
    pytest.param(["--", "--reindex", "true"], ([1, 2], [1, 2], [1]), id="after-double-dash"),
    pytest.param(["--", "--reindex"], ([1, 2], [1, 2], [1]), id="flag-after-double-dash"),
])
def test_convert_accepts_format_options_in_every_spelling(tmp_path, runner, cli, options, expected):
    source = sparse_dataset(tmp_path / "in")
    result = run(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", "-", *options)
    assert ids(json.loads(result.stdout)) == expected


def test_convert_accepts_importer_options(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    run(runner, cli, "-if", "coco", "-i", str(fixtures_root / "datumaro/coco_dataset/coco"),
        "-f", "coco", "-o", str(out), "-r", "annotations/captions_val.json")
    assert files_under(out) == ["annotations/captions_val.json"]


def test_convert_help_lists_the_options_of_both_plugins(runner, cli):
    result = runner.invoke(cli, ["convert", "-if", "coco", "-f", "coco", "--help"])
    assert result.exit_code == 0
    for flag in ("--reindex / --no-reindex", "--tasks", "--segmentation-mode", "--save-images",
                 "--allow-attributes", "--relpath", "--keep-original-category-ids"):
        assert flag in result.stdout, flag


def test_convert_help_without_formats_lists_only_the_shared_options(runner, cli):
    result = runner.invoke(cli, ["convert", "--help"])
    assert result.exit_code == 0
    assert "--overwrite" in result.stdout and "--tasks" not in result.stdout


def test_convert_json_prints_the_report_on_stdout(fixtures_root, tmp_path, runner, cli):
    result = run(runner, cli, "-if", "coco", "-i", str(fixtures_root / "label-studio-sdk/test_import_coco"),
                 "-f", "coco", "-o", str(tmp_path / "out"), "--json")
    report = json.loads(result.stdout)
    assert report["approximated"] == [{"what": "iscrowd values given as text or bool",
                                       "how": "read as 0/1", "count": 2}]


def test_convert_quiet_prints_nothing(fixtures_root, tmp_path, runner, cli):
    result = runner.invoke(cli, ["-q", "convert", "-if", "coco", "-i",
                                 str(fixtures_root / "seed-examples/redbrick_dicom"),
                                 "-f", "coco", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_convert_prints_warnings_and_the_report_on_stderr_only(fixtures_root, tmp_path, runner, cli):
    result = run(runner, cli, "-if", "coco", "-i", str(fixtures_root / "seed-examples/redbrick_dicom"),
                 "-f", "coco", "-o", str(tmp_path / "out"))
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == ("warning: annotations/instances_default.json: annotations[0].category_id: "
                        "'polygon' is not a category id; read as the label name")
    assert "conversion report:" in lines
    assert any("flat segmentation lists" in line for line in lines)


def test_convert_on_error_skip_drops_the_bad_record_and_reports_it(tmp_path, runner, cli):
    doc = coco_doc(images=[coco_image(id=1)],
                   annotations=[coco_ann(id=1), coco_ann(id=2, category_id=99), coco_ann(id=3)])
    source = write_coco(tmp_path / "in", {"instances_val": doc})
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                 "-o", str(tmp_path / "out"), "--on-error", "skip"])
    assert result.exit_code == 0, result.stderr
    written = read_json(tmp_path / "out/annotations/instances_val.json")
    assert [a["id"] for a in written["annotations"]] == [1, 3]
    assert "skipped" in result.stderr and "bad records" in result.stderr
