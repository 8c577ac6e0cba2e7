"""`cococonv filter` and `cococonv split` on fixtures: their JSON, errors, determinism."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def invoke(runner, cli, *args, code=0):
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_filter_on_coco_fixture_json_and_output(runner, cli, fixtures_root, tmp_path):
    source = fixtures_root / "mmpose" / "coco"
    result = invoke(runner, cli, "filter", "-i", source, "-o", tmp_path / "out", "--json",
                    "--items", "annotations > 5", "--annotations", "area > 1000")
    data = json.loads(result.stdout)
    assert data["items"] == {"kept": 3, "dropped": 1,
                             "dropped_by_reason": {"dropped by filter --items": 1}}
    person = data["annotations"]["by_label"]["person"]
    assert data["annotations"]["kept"] == person["kept"]
    assert sum(person["dropped"].values()) == data["annotations"]["dropped"]
    assert person["dropped"]["their item was dropped by filter --items"] == 2
    lost = {(row["what"], row["why"]): row["count"] for row in data["report"]["lost"]}
    assert lost[("items", "dropped by filter --items")] == 1
    written = json.loads(next((tmp_path / "out").rglob("*.json")).read_text())
    # a COCO record is one object: its polygon and keypoints are two model annotations
    assert len(written["images"]) == 3 and 0 < len(written["annotations"]) <= person["kept"]
    assert all(ann["area"] > 1000 for ann in written["annotations"])


def test_filter_error_points_at_the_column_and_reads_nothing(runner, cli, tmp_path):
    result = invoke(runner, cli, "filter", "-i", tmp_path / "missing", "-o", tmp_path / "o",
                    "--annotations", 'label == "car" and', code=2)
    lines = result.stderr.splitlines()
    assert lines[0] == "error: --annotations: column 19: expected a value after 'and'"
    assert lines[1] == '  label == "car" and' and lines[2].index("^") == 20
    assert not (tmp_path / "o").exists()


def test_convert_runs_the_filter_transform(runner, cli, fixtures_root, tmp_path):
    source = fixtures_root / "datumaro" / "coco_dataset" / "coco_instances"
    result = invoke(runner, cli, "convert", "-i", source, "-f", "voc", "-o", tmp_path / "v",
                    "-t", "filter", "--annotations", 'kind == "bbox"', "--json")
    lost = json.loads(result.stdout)["lost"]
    assert any(row["why"] == "dropped by filter --annotations" for row in lost)


def test_split_json_counts_per_subset_and_label(runner, cli, fixtures_root, tmp_path):
    source = fixtures_root / "2label" / "coco1.0"
    args = ["split", "-i", source, "-f", "coco", "--ratios", "train=0.5,val=0.5",
            "--seed", "3", "--stratify", "label", "--json"]
    first = invoke(runner, cli, *args, "-o", tmp_path / "a", "-j", "1")
    data = json.loads(first.stdout)
    assert data["seed"] == 3 and data["ratios"] == {"train": 0.5, "val": 0.5}
    assert data["stratify"] == "label" and data["group_by"] == "item"
    subsets = data["subsets"]
    assert set(subsets) == {"train", "val"}
    assert sum(s["items"] for s in subsets.values()) == data["units"]
    for name, entry in subsets.items():
        assert sum(entry["labels"].values()) <= entry["annotations"]
        files = list((tmp_path / "a").rglob(f"*_{name}.json"))
        written = sum(len(json.loads(f.read_text())["images"]) for f in files
                      if "instances" in f.name)
        assert written == entry["items"], name
    invoke(runner, cli, *args, "-o", tmp_path / "b", "-j", "2")
    assert _tree_bytes(tmp_path / "a") == _tree_bytes(tmp_path / "b")


def test_split_refuses_bad_ratios_before_reading(runner, cli, tmp_path):
    result = invoke(runner, cli, "split", "-i", tmp_path / "missing", "-o", tmp_path / "o",
                    "-f", "coco", "--ratios", "train=0.8,val=0.1", code=2)
    assert "error: --ratios: the ratios sum to 0.9, not 1" in result.stderr
    result = invoke(runner, cli, "split", "-i", tmp_path / "missing", "-o", tmp_path / "o",
                    "-f", "coco", "--group-by", "video", code=2)
    assert "--group-by" in result.stderr


def test_split_by_folder_and_filter_remove_empty_on_cvat(runner, cli, fixtures_root, tmp_path):
    source = fixtures_root / "datumaro" / "cvat_dataset" / "for_images" / "export_project"
    result = invoke(runner, cli, "split", "-i", source, "-o", tmp_path / "s", "--json",
                    "--ratios", "a=0.5,b=0.5", "--group-by", "folder")
    data = json.loads(result.stdout)
    assert data["group_by"] == "folder" and set(data["subsets"]) == {"a", "b"}
    result = invoke(runner, cli, "filter", "-i", tmp_path / "s", "-o", tmp_path / "f",
                    "--json", "--annotations", 'kind == "bbox"', "--remove-empty")
    data = json.loads(result.stdout)
    reasons = data["items"]["dropped_by_reason"]
    assert set(reasons) <= {"left without annotations (filter --remove-empty)"}
    assert data["annotations"]["dropped"] == sum(
        n for entry in data["annotations"]["by_label"].values()
        for n in entry["dropped"].values())
