"""`cococonv formats`, `detect` and `info`: reports on stdout (text or --json), errors on stderr."""
from __future__ import annotations

import json

import pytest

from cococonv import registry as registry_module
from cococonv.registry import GROUP, default_registry, load_registry

COCO_NAMES = ["coco", "coco_captions", "coco_image_info", "coco_instances", "coco_labels",
              "coco_panoptic", "coco_person_keypoints", "coco_stuff"]


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def invoke(runner, cli, *args: str, code: int = 0):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (result.stderr, result.exception)
    return result


# -- formats ----------------------------------------------------------------------------------

def test_formats_lists_every_coco_importer_and_exporter_with_its_summary(runner, cli):
    result = invoke(runner, cli, "formats")
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    importers = lines[lines.index("importers:") + 1:lines.index("exporters:")]
    exporters = lines[lines.index("exporters:") + 1:lines.index("transforms:")]
    for section in (importers, exporters):
        names = [line.split()[0] for line in section]
        assert set(COCO_NAMES) <= set(names) and names == sorted(names)
    summary = "COCO: every task file found, combined on the same images."
    assert any(line.split(None, 1) == ["coco", summary] for line in importers)
    assert not any(line.startswith("broken:") for line in lines)


def test_formats_json_lists_plugins_by_kind(runner, cli):
    data = json.loads(invoke(runner, cli, "formats", "--json").stdout)
    assert set(data) == {"importer", "exporter", "transform", "broken"}
    assert set(COCO_NAMES) <= set(data["importer"]) and set(COCO_NAMES) <= set(data["exporter"])
    assert data["broken"] == []


def test_formats_coco_shows_the_options_of_its_importer_and_exporter(runner, cli):
    result = invoke(runner, cli, "formats", "coco")
    out = result.stdout
    assert out.startswith("coco (importer)\nCOCO: every task file found")
    assert "\ncoco (exporter)\n" in out
    for flag, default in (("--relpath", "none"), ("--keep-original-category-ids", "false"),
                          ("--reindex", "false"), ("--tasks", "all"),
                          ("--segmentation-mode", "guess"), ("--allow-attributes", "true")):
        (line,) = [line for line in out.splitlines() if line.strip().startswith(flag + " ")]
        assert line.endswith(f"(default: {default})"), line


def test_formats_coco_json_gives_each_option_once(runner, cli):
    data = json.loads(invoke(runner, cli, "formats", "coco", "--json").stdout)
    assert [(entry["kind"], entry["name"]) for entry in data] == [("importer", "coco"),
                                                                  ("exporter", "coco")]
    exporter = {o["name"]: o for o in data[1]["options"]}
    assert exporter["reindex"] == {"name": "reindex", "flag": "--reindex", "type": "bool",
                                   "default": False, "choices": None, "help": exporter["reindex"]["help"]}
    assert exporter["tasks"]["choices"] == ["instances", "person_keypoints", "captions", "labels",
                                            "panoptic", "stuff", "image_info"]


def test_formats_of_an_unknown_name_exits_2(runner, cli):
    result = invoke(runner, cli, "formats", "nope", code=2)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: no plugin is named 'nope'; known: ")
    assert " coco, " in line and " reindex, " in line


def test_formats_shows_a_broken_plugin_and_the_rest(runner, cli, monkeypatch):
    from importlib.metadata import EntryPoint
    eps = [EntryPoint("coco", "cococonv_plugins.coco:PLUGINS", GROUP),
           EntryPoint("ghost", "cococonv_plugins_ghost:PLUGINS", GROUP)]
    monkeypatch.setattr(registry_module, "_DEFAULT", load_registry(eps, warn=False))
    result = invoke(runner, cli, "formats")
    assert ("broken: ghost:cococonv_plugins_ghost:PLUGINS (unknown distribution): "
            "ModuleNotFoundError: No module named 'cococonv_plugins_ghost'") in result.stdout.splitlines()
    assert "  coco " in result.stdout


# -- detect -----------------------------------------------------------------------------------

def test_detect_names_coco_first_for_a_coco_folder(fixtures_root, runner, cli):
    result = invoke(runner, cli, "detect", str(fixtures_root / "datumaro/coco_dataset/coco"))
    lines = result.stdout.splitlines()
    assert lines[0] == "coco" and set(lines) == set(COCO_NAMES)
    assert result.stderr == ""


def test_detect_json_gives_formats_with_scores_best_first(fixtures_root, runner, cli):
    result = invoke(runner, cli, "detect", "--json",
                    str(fixtures_root / "datumaro/coco_dataset/coco_instances"))
    matches = json.loads(result.stdout)
    assert [m["format"] for m in matches] == ["coco", "coco_instances"]
    assert matches[0]["score"] > matches[1]["score"] > 0


def test_detect_finds_coco_in_a_single_json_file(fixtures_root, runner, cli):
    result = invoke(runner, cli, "detect", str(fixtures_root / "mmdetection/tests/data/coco_sample.json"))
    assert result.stdout.splitlines()[0] == "coco"


def test_detect_exits_1_when_nothing_matches(tmp_path, runner, cli):
    result = invoke(runner, cli, "detect", str(tmp_path), code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {tmp_path}: no known dataset format found"]


def test_detect_json_prints_an_empty_list_when_nothing_matches(tmp_path, runner, cli):
    result = invoke(runner, cli, "detect", "--json", str(tmp_path), code=1)
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name, content", [
    ("notes.txt", "hello\n"),
    ("package.json", '{"name": "x", "version": "1.0.0"}'),
], ids=["text-file", "unrelated-json"])
def test_detect_does_not_call_any_file_coco(tmp_path, runner, cli, name, content):
    path = tmp_path / name
    path.write_text(content)
    result = invoke(runner, cli, "detect", str(path), code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {path}: no known dataset format found"]


def test_detect_of_a_missing_path_names_it(tmp_path, runner, cli):
    result = invoke(runner, cli, "detect", str(tmp_path / "nowhere"), code=1)
    assert result.stderr.splitlines() == [f"error: {tmp_path / 'nowhere'}: no such file or folder"]


# -- info -------------------------------------------------------------------------------------

def test_info_prints_items_annotations_and_labels(fixtures_root, runner, cli):
    result = invoke(runner, cli, "info", "-i", str(fixtures_root / "datumaro/coco_dataset/coco"))
    assert result.stdout.splitlines() == [
        "items: 2",
        "  train: 1 items; annotations: bbox 1, caption 1, label 1, mask 2, points 1",
        "  val: 1 items; annotations: caption 2, label 2, mask 5, points 2, polygon 2",
        "labels (3): a, b, c",
    ]
    assert result.stderr == ""


def test_info_json_prints_the_counts(fixtures_root, runner, cli):
    result = invoke(runner, cli, "info", "--json", "-if", "coco",
                    "-i", str(fixtures_root / "mmpose/coco"))
    assert json.loads(result.stdout) == {
        "items": 4, "subsets": {"default": {"items": 4,
                                            "annotations": {"points": 14, "polygon": 17}}},
        "labels": ["person"], "keypoint_schemas": 1}


def test_info_says_none_for_a_subset_without_annotations(fixtures_root, runner, cli):
    result = invoke(runner, cli, "info", "-i",
                    str(fixtures_root / "datumaro/coco_dataset/coco_image_info"))
    assert result.stdout.splitlines() == ["items: 2", "  train: 1 items; annotations: none",
                                          "  val: 1 items; annotations: none", "labels (0): "]


def test_info_of_bad_data_is_one_error_line(tmp_path, runner, cli):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations/instances_val.json").write_text('{"images": 3}')
    result = invoke(runner, cli, "info", "-if", "coco", "-i", str(tmp_path), code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: annotations/instances_val.json: images: must be a list, got int"]
