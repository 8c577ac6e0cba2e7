"""`cococonv create`, `import` and `export`: the same flow as convert, through a project folder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import assert_same_json, coco_ann, coco_doc, coco_image, files_under, write_coco

CONFIG = "cococonv-project.json"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def read_json(path: Path):
    return json.loads(Path(path).read_bytes())


def invoke(runner, cli, *args: str, code: int = 0):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (result.stderr, result.exception)
    return result


def test_create_writes_a_readable_empty_config(tmp_path, runner, cli):
    project = tmp_path / "proj"
    result = invoke(runner, cli, "create", "-o", str(project))
    assert result.stdout == ""
    assert result.stderr == f"created project {project}\n"
    assert files_under(project) == [CONFIG]
    assert read_json(project / CONFIG) == {"version": 1, "sources": []}


def test_create_refuses_a_non_empty_folder(tmp_path, runner, cli):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "data.txt").write_text("x")
    result = invoke(runner, cli, "create", "-o", str(tmp_path / "proj"), code=1)
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'proj'}: folder exists and is not empty (use --overwrite)"]
    assert files_under(tmp_path / "proj") == ["data.txt"]


def test_import_remembers_the_source_with_its_detected_format(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    source = fixtures_root / "datumaro/coco_dataset/coco"
    result = invoke(runner, cli, "import", "-p", str(project), str(source))
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"imported {source} as coco: 2 items"
    assert read_json(project / CONFIG) == {
        "version": 1, "sources": [{"path": str(source), "format": "coco", "options": {}}]}


def test_import_with_a_format_and_options_remembers_them(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    source = fixtures_root / "datumaro/coco_dataset/coco"
    invoke(runner, cli, "import", "-p", str(project), "-f", "coco_instances",
           "--keep-original-category-ids", str(source))
    (entry,) = read_json(project / CONFIG)["sources"]
    assert entry == {"path": str(source), "format": "coco_instances",
                     "options": {"keep_original_category_ids": True}}


def test_import_of_bad_data_fails_and_leaves_the_config_unchanged(tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    bad = write_coco(tmp_path / "bad", {"instances_val": coco_doc(
        annotations=[coco_ann(category_id=99)])})
    result = invoke(runner, cli, "import", "-p", str(project), str(bad), code=1)
    assert result.stderr.splitlines() == [
        ("error: annotations/instances_val.json: annotations[0].category_id: 99 is not a category "
         "(known: 1)")]
    assert read_json(project / CONFIG)["sources"] == []


def test_import_into_a_folder_that_is_not_a_project_fails(fixtures_root, tmp_path, runner, cli):
    result = invoke(runner, cli, "import", "-p", str(tmp_path),
                    str(fixtures_root / "datumaro/coco_dataset/coco"), code=1)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path}: not a cococonv project (no {CONFIG}")


def test_export_writes_what_convert_writes(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    source = fixtures_root / "datumaro/coco_dataset/coco"
    invoke(runner, cli, "create", "-o", str(project))
    invoke(runner, cli, "import", "-p", str(project), str(source))
    out = tmp_path / "exported"
    result = invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out))
    assert result.stdout == ""
    invoke(runner, cli, "convert", "-if", "coco", "-i", str(source), "-f", "coco",
           "-o", str(tmp_path / "converted"))
    assert files_under(out) == files_under(tmp_path / "converted")
    for name in files_under(out):
        if name.endswith(".json"):
            assert_same_json(read_json(source / name), read_json(out / name), name)


def test_export_tasks_option_writes_only_those_tasks(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    invoke(runner, cli, "import", "-p", str(project),
           str(fixtures_root / "datumaro/coco_dataset/coco"))
    out = tmp_path / "exported"
    invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out),
           "--tasks", "captions")
    assert files_under(out) == ["annotations/captions_train.json", "annotations/captions_val.json"]


def test_export_merges_sources_matching_labels_by_name(tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    first = write_coco(tmp_path / "one", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="a.jpg")],
        categories=[{"id": 3, "name": "cat", "supercategory": ""}],
        annotations=[coco_ann(id=1, image_id=1, category_id=3)])})
    second = write_coco(tmp_path / "two", {"instances_train": coco_doc(
        images=[coco_image(id=1, file_name="b.jpg")],
        categories=[{"id": 1, "name": "cat", "supercategory": ""}],
        annotations=[coco_ann(id=1, image_id=1, category_id=1)])})
    invoke(runner, cli, "import", "-p", str(project), str(first))
    invoke(runner, cli, "import", "-p", str(project), str(second))
    out = tmp_path / "exported"
    invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out))
    doc = read_json(out / "annotations/instances_train.json")
    assert [c["name"] for c in doc["categories"]] == ["cat"]
    assert [i["file_name"] for i in doc["images"]] == ["a.jpg", "b.jpg"]
    assert len({i["id"] for i in doc["images"]}) == 2
    assert {a["category_id"] for a in doc["annotations"]} == {doc["categories"][0]["id"]}


def test_export_of_a_project_without_sources_fails(tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    result = invoke(runner, cli, "export", "-p", str(project), "-f", "coco",
                    "-o", str(tmp_path / "out"), code=1)
    assert result.stderr.splitlines() == [
        f"error: {project}: the project has no sources yet (use `cococonv import`)"]
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_non_empty_output_without_overwrite(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    invoke(runner, cli, "import", "-p", str(project),
           str(fixtures_root / "datumaro/coco_dataset/coco_labels"))
    out = tmp_path / "exported"
    invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out))
    result = invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out), code=1)
    assert result.stderr.splitlines() == [
        f"error: {out}: output exists and is not empty (use --overwrite)"]
    invoke(runner, cli, "export", "-p", str(project), "-f", "coco", "-o", str(out), "--overwrite")


def test_export_with_an_unknown_format_exits_2(fixtures_root, tmp_path, runner, cli):
    project = tmp_path / "proj"
    invoke(runner, cli, "create", "-o", str(project))
    invoke(runner, cli, "import", "-p", str(project),
           str(fixtures_root / "datumaro/coco_dataset/coco_labels"))
    result = invoke(runner, cli, "export", "-p", str(project), "-f", "nope",
                    "-o", str(tmp_path / "out"), code=2)
    assert result.stderr.splitlines()[-1].startswith("error: unknown exporter 'nope'; known: ")
    assert not (tmp_path / "out").exists()
