"""`cococonv stats`, `validate` and `diff` from the command line: table, --json, exit codes."""
from __future__ import annotations

import json

import pytest

from cococonv.registry import default_registry
from tests.reports.planted import clean_doc, planted, write
from tests.reports.test_diff import FIXTURE, modified_copy


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def run(runner, cli, *args: str, code: int = 0):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def test_stats_json_and_table(runner, cli, fixtures_root):
    path = str(fixtures_root / FIXTURE)
    data = json.loads(run(runner, cli, "stats", "-i", path, "--json").stdout)
    assert data["items"] == 2 and data["annotations_by_kind"] == {"bbox": 1, "mask": 1,
                                                                  "polygon": 1}
    assert data["areas"]["max"] == 20.0 and data["crowd"] == 1
    table = run(runner, cli, "stats", "-i", path, "-if", "coco_instances").stdout
    assert "items: 2 (train 1, val 1); without annotations: 0" in table
    assert "crowd objects: 1" in table
    assert any(line.split()[:2] == ["area", "3"] for line in table.splitlines())


def test_stats_takes_importer_options(runner, cli, fixtures_root):
    path = str(fixtures_root / FIXTURE)
    data = json.loads(run(runner, cli, "stats", "-i", path, "-if", "coco",
                          "-r", "annotations/instances_val.json", "--json").stdout)
    assert data["subsets"] == {"val": 1}


def test_validate_clean_passes(runner, cli, tmp_path):
    root = write(tmp_path / "ds", clean_doc())
    data = json.loads(run(runner, cli, "validate", "-i", str(root), "--json").stdout)
    assert data == {"passed": True, "strict": False, "errors": 0, "warnings": 0,
                    "rules": {}, "findings": []}
    assert run(runner, cli, "validate", "-i", str(root), "--strict").stdout.strip() == \
        "passed: 0 errors, 0 warnings (--strict: warnings fail)"


def test_validate_errors_exit_1_with_places(runner, cli, tmp_path):
    root, _ = planted(tmp_path / "ds", ["small_polygon", "annotation_id_zero"])
    result = run(runner, cli, "validate", "-i", str(root), "--json", code=1)
    data = json.loads(result.stdout)
    assert data["passed"] is False and data["errors"] == 1
    refused = data["findings"][0]
    assert refused["rule"] == "refused-record" and refused["severity"] == "error"
    assert refused["place"] == "annotations/instances_train.json: annotations[1].segmentation[0]"
    zero = [f for f in data["findings"] if f["rule"] == "annotation-id-zero"]
    assert zero and zero[0]["subset"] == "train" and zero[0]["item"] == "img2"
    table = run(runner, cli, "validate", "-i", str(root), code=1).stdout
    assert table.splitlines()[-1] == "failed: 1 error, 1 warning"


def test_validate_strict_fails_on_warnings(runner, cli, tmp_path):
    root, _ = planted(tmp_path / "ds", ["unused_category"])
    table = run(runner, cli, "validate", "-i", str(root)).stdout
    assert "warning  unused-category  categories['bird']: category 'bird' has no annotation" \
        in table
    data = json.loads(run(runner, cli, "validate", "-i", str(root), "--strict", "--json",
                          code=1).stdout)
    assert data["passed"] is False and data["rules"] == {"unused-category": 1}


def test_validate_an_unreadable_input_is_a_finding(runner, cli, tmp_path):
    (tmp_path / "x.json").write_text("[1, 2")
    data = json.loads(run(runner, cli, "validate", "-i", str(tmp_path / "x.json"), "-if",
                          "coco", "--json", code=1).stdout)
    assert [f["rule"] for f in data["findings"]] == ["unreadable"]


def test_validate_an_input_that_is_not_there_is_one_error_line(runner, cli, tmp_path):
    result = run(runner, cli, "validate", "-i", str(tmp_path / "nothing"), code=1)
    assert result.stdout == "" and result.stderr.startswith("error: ")


def test_diff_of_a_fixture_with_itself_is_equal(runner, cli, fixtures_root):
    path = str(fixtures_root / FIXTURE)
    result = run(runner, cli, "diff", path, path)
    assert result.stdout.splitlines()[-1] == "equal"
    data = json.loads(run(runner, cli, "diff", path, path, "--json").stdout)
    assert data["equal"] is True and data["summary"]["items"]["same"] == 2


def test_diff_of_a_modified_copy_exits_1(runner, cli, fixtures_root, tmp_path):
    a = str(fixtures_root / FIXTURE)
    b = str(modified_copy(fixtures_root, tmp_path / "b"))
    data = json.loads(run(runner, cli, "diff", a, b, "-if", "coco", "--json",
                          code=1).stdout)
    assert data["equal"] is False
    assert data["summary"]["annotations"]["changed"] == 2
    assert data["categories"]["added"] == ["d"]
    table = run(runner, cli, "diff", a, b, "--iou", "0.9", code=1).stdout.splitlines()
    assert table[0].split() == ["added", "removed", "changed", "same"]
    assert table[2].split() == ["annotations", "2", "2", "1", "0"]
    assert "added    item train/new" in table
    assert "changed  category 'c': supercategory '' -> 'x'" in table
    assert table[-1] == "different"


def test_diff_refuses_three_formats(runner, cli, fixtures_root):
    path = str(fixtures_root / FIXTURE)
    result = run(runner, cli, "diff", path, path, "-if", "coco", "-if", "coco", "-if",
                 "coco", code=2)
    assert "once (both inputs) or twice" in result.stderr
