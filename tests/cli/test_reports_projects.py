"""`stats`, `validate` and `diff` on a project (-p DIR) read what `export` would merge."""
from __future__ import annotations

import json

import pytest

from cococonv.project import add_source, open_project
from tests.cli.test_reports_cli import _plugins_loaded, run  # noqa: F401 (autouse fixture)
from tests.reports.planted import planted
from tests.reports.test_diff import FIXTURE, modified_copy


def project_of(runner, cli, root, *sources) -> str:
    run(runner, cli, "create", "-o", str(root))
    for source in sources:
        run(runner, cli, "import", "-p", str(root), str(source))
    return str(root)


def test_stats_of_a_project_is_the_stats_of_its_merged_sources(runner, cli, fixtures_root,
                                                                tmp_path):
    path = str(fixtures_root / FIXTURE)
    project = project_of(runner, cli, tmp_path / "proj", path, path)  # imported twice
    alone = json.loads(run(runner, cli, "stats", "-i", path, "--json").stdout)
    merged = json.loads(run(runner, cli, "stats", "-p", project, "--json").stdout)
    assert merged == alone  # the same data twice merges into one copy
    assert "items: 2 (train 1, val 1)" in run(runner, cli, "stats", "-p", project).stdout


def test_validate_of_a_project_finds_the_planted_defects(runner, cli, tmp_path):
    root, _ = planted(tmp_path / "ds", ["small_polygon", "annotation_id_zero"])
    project = project_of(runner, cli, tmp_path / "proj")
    # `import` refuses a dataset with a bad record: the source is added as an old project
    # (or one whose data changed since) would hold it.
    add_source(open_project(project), str(root), "coco", {})
    direct = json.loads(run(runner, cli, "validate", "-i", str(root), "--json", code=1).stdout)
    data = json.loads(run(runner, cli, "validate", "-p", project, "--json", code=1).stdout)
    assert data["rules"] == direct["rules"] and data["errors"] == 1
    assert {"refused-record", "annotation-id-zero"} <= set(data["rules"])


def test_diff_takes_a_project_on_either_side_in_the_order_written(runner, cli, fixtures_root,
                                                                 tmp_path):
    original = str(fixtures_root / FIXTURE)
    changed = str(modified_copy(fixtures_root, tmp_path / "b"))
    project = project_of(runner, cli, tmp_path / "proj", original)
    same = json.loads(run(runner, cli, "diff", "-p", project, original, "--json").stdout)
    assert same["equal"] is True
    forward = json.loads(run(runner, cli, "diff", "-p", project, changed, "-if", "coco",
                             "--json", code=1).stdout)
    backward = json.loads(run(runner, cli, "diff", changed, "-if", "coco", "--project",
                              project, "--json", code=1).stdout)
    assert forward["categories"]["added"] == ["d"] == backward["categories"]["removed"]
    both = json.loads(run(runner, cli, "diff", "-p", project, "-p", project, "--json").stdout)
    assert both["equal"] is True


@pytest.mark.parametrize("args, needle", [
    (["stats", "-i", "x", "-p", "y"], "one of them"),
    (["validate", "-p", "y", "-if", "coco"], "-if is for -i"),
    (["diff", "-p", "y"], "name two datasets"),
    (["diff", "-p", "y", "-p", "z", "-if", "coco"], "-if is for the paths"),
], ids=["stats-both", "validate-if", "diff-one-side", "diff-if-projects"])
def test_project_command_lines_are_refused_in_one_line(runner, cli, args, needle):
    result = run(runner, cli, *args, code=2)
    assert result.stdout == "" and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
