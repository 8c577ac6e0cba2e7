"""Issue 14's Done-when lines that had no CLI test: a merge whose counts `stats` confirms,
and `validate` on fixtures and on every planted defect, with their JSON asserted."""
from __future__ import annotations

import json

import pytest

from tests.cli.test_reports_cli import _plugins_loaded, run  # noqa: F401 (autouse fixture)
from tests.reports.planted import planted

TERRAIN = "sahi/coco_utils"


def test_stats_confirms_the_counts_of_a_merge_of_two_fixtures(fixtures_root, tmp_path, runner,
                                                              cli):
    root = fixtures_root / TERRAIN
    out = tmp_path / "merged"
    merged = json.loads(run(runner, cli, "merge", str(root / "terrain1_coco.json"),
                            f"{root / 'terrain_all_coco.json'}:coco", "-f", "coco",
                            "-o", str(out), "--json").stdout)
    stats = json.loads(run(runner, cli, "stats", "-i", str(out), "--json").stdout)
    assert (stats["items"], stats["annotations"]) == \
        (merged["merged"]["items"], merged["merged"]["annotations"]) == (3, 22)
    assert sorted(stats["annotations_by_label"]) == ["car", "human"]
    assert len(merged["reassignments"]) == 9  # 2 image ids, 7 annotation ids


@pytest.mark.parametrize("fixture, rules", [
    ("datumaro/coco_dataset/coco_instances", {"unused-category": 1}),
    ("mmdetection/tests/data", {"import-warning": 2, "missing-image": 4,
                                "duplicate-annotation-id": 1}),
])
def test_validate_json_on_fixtures(fixtures_root, runner, cli, fixture, rules):
    data = json.loads(run(runner, cli, "validate", "-i", str(fixtures_root / fixture),
                          "--json").stdout)
    assert (data["passed"], data["errors"], data["rules"]) == (True, 0, rules)
    strict = run(runner, cli, "validate", "-i", str(fixtures_root / fixture), "--strict",
                 "--json", code=1)
    assert json.loads(strict.stdout)["passed"] is False


def test_validate_cli_finds_every_planted_defect_at_its_place(tmp_path, runner, cli):
    names = ["duplicate_image_id", "duplicate_annotation_id", "unknown_image",
             "unknown_category", "zero_box", "wrong_area", "rle_wrong_sum",
             "unused_category", "missing_image", "crowd_as_text"]
    root, expected = planted(tmp_path / "ds", names)
    data = json.loads(run(runner, cli, "validate", "-i", str(root), "--json",
                          code=1).stdout)
    found = [(f["rule"], f["place"]) for f in data["findings"]]
    missing = [(rule, place) for rule, place in expected  # a file's JSON path comes after it
               if not any(r == rule and (p == place or p.endswith(": " + place))
                          for r, p in found)]
    assert not missing, (missing, found)
    assert data["errors"] == 5 and data["passed"] is False
