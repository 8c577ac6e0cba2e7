"""The report misses nothing (issue 14, item 6): every value a run drops or changes has a
line, no line is false, and `--report FILE`, `--strict` and the final "wrote ..." line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import files_under

ENCORD_KEYS = ("classifications", "encord_track_uuid", "manual_annotation", "track_id")
FIELDS = "annotation fields of other formats: "


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def convert(runner, cli, *args: str, code: int = 0):
    result = runner.invoke(cli, ["convert", *args])
    assert result.exit_code == code, (result.stderr, result.exception)
    return result


def report_of(runner, cli, source: Path, out: Path, fmt: str, *more: str) -> dict:
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", fmt, "-o", str(out),
                     "--json", *more)
    return json.loads(result.stdout)


def lost(report: dict) -> dict[str, int]:
    return {row["what"]: row["count"] for row in report["lost"]}


def approximated(report: dict) -> dict[str, int]:
    return {row["what"]: row["count"] for row in report["approximated"]}


@pytest.mark.parametrize("fmt", ["voc", "cvat", "png_masks", "yolo"])
def test_encord_keys_are_counted_lost_in_voc_and_cvat(fixtures_root, tmp_path, runner, cli,
                                                      fmt):
    source = fixtures_root / "seed-examples/encord_keypoints"
    report = report_of(runner, cli, source, tmp_path / "out", fmt)
    # three of the five records (the two people and the car of frame 1) carry all four keys
    assert {key: lost(report).get(FIELDS + key) for key in ENCORD_KEYS} == \
        dict.fromkeys(ENCORD_KEYS, 3)


def test_redbrick_classifications_written_back_to_coco_have_a_line(fixtures_root, tmp_path,
                                                                   runner, cli):
    source = fixtures_root / "seed-examples/redbrick_dicom"
    out = tmp_path / "out"
    report = report_of(runner, cli, source, out, "coco")
    assert approximated(report)["image labels without a class"] == 4
    doc = json.loads((out / "annotations/instances_default.json").read_bytes())
    assert sum("category_id" not in a for a in doc["annotations"]) == 4  # kept as they came


def test_redbrick_classifications_are_no_empty_cvat_tags(fixtures_root, tmp_path, runner, cli):
    source = fixtures_root / "seed-examples/redbrick_dicom"
    out = tmp_path / "out"
    report = report_of(runner, cli, source, out, "cvat")
    assert lost(report)["image labels without a class"] == 4  # their fields go with them
    assert not [what for what in lost(report) if what.startswith(FIELDS + "value")]
    assert lost(report)[FIELDS + "annotations"] == 6  # the stray `annotations: []` keys
    assert "<tag" not in (out / "annotations.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["voc", "label_studio"])
def test_redbrick_classifications_to_voc_and_label_studio_are_counted(fixtures_root, tmp_path,
                                                                      runner, cli, fmt):
    source = fixtures_root / "seed-examples/redbrick_dicom"
    report = report_of(runner, cli, source, tmp_path / "out", fmt)
    assert lost(report)["image labels without a class"] == 4


def test_list_count_rle_through_cvat_has_a_line(fixtures_root, tmp_path, runner, cli):
    source = fixtures_root / "datumaro/coco_dataset/coco_instances"  # one crowd mask, list counts
    report = report_of(runner, cli, source, tmp_path / "cvat", "cvat")
    assert approximated(report)["masks in uncompressed (list-count) RLE"] == 1
    back = convert(runner, cli, "-if", "cvat", "-i", str(tmp_path / "cvat"), "-f", "coco",
                   "-o", str(tmp_path / "coco"), "--json")
    assert json.loads(back.stdout)["lost"] == []  # its CVAT box is no field COCO lost
    doc = json.loads((tmp_path / "coco/annotations/instances_val.json").read_bytes())
    (crowd,) = [a for a in doc["annotations"] if a["iscrowd"]]
    assert type(crowd["segmentation"]["counts"]) is str  # the change the line announces


def test_mmpose_back_from_cvat_reports_no_cvat_fields(fixtures_root, tmp_path, runner, cli):
    report_of(runner, cli, fixtures_root / "mmpose/coco", tmp_path / "cvat", "cvat")
    result = convert(runner, cli, "-if", "cvat", "-i", str(tmp_path / "cvat"), "-f", "coco",
                     "-o", str(tmp_path / "coco"), "--json")
    assert json.loads(result.stdout)["lost"] == []  # skeleton node z_orders are no CVAT field
    assert "cvat-only" not in result.stderr


def test_strict_refuses_a_lossy_run_writes_nothing_and_keeps_the_report(fixtures_root,
                                                                        tmp_path, runner, cli):
    source = fixtures_root / "seed-examples/encord_keypoints"
    out, saved = tmp_path / "out", tmp_path / "report.json"
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", "voc", "-o", str(out),
                     "--strict", "--report", str(saved), code=1)
    assert result.stderr.splitlines()[-1] == \
        "error: --strict: the run lost 18 values or records (see the report); nothing was " \
        "written"
    assert "conversion report:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no output at all
    report = json.loads(saved.read_bytes())
    assert lost(report)[FIELDS + "track_id"] == 3 and "written" not in report


def test_strict_passes_a_run_that_lost_nothing(fixtures_root, tmp_path, runner, cli):
    source = fixtures_root / "seed-examples/encord_keypoints"
    out = tmp_path / "out"
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", str(out),
                     "--strict")
    assert result.stderr.splitlines()[-1] == f"wrote 2 items, 5 annotations, 1 file to {out}"
    assert files_under(out) == ["annotations/person_keypoints_default.json"]


def test_report_file_holds_the_json_report_with_the_written_counts(fixtures_root, tmp_path,
                                                                   runner, cli):
    source = fixtures_root / "mmpose/coco"
    out, saved = tmp_path / "out", tmp_path / "report.json"
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", str(out),
                     "--save-images", "--report", str(saved))
    assert result.stdout == ""
    report = json.loads(saved.read_bytes())
    assert report["written"] == {"items": 4, "annotations": 31, "files": 5, "target": str(out)}
    assert result.stderr.splitlines()[-1] == f"wrote 4 items, 31 annotations, 5 files to {out}"
    quiet = runner.invoke(cli, ["-q", "convert", "-if", "coco", "-i", str(source), "-f", "coco",
                                "-o", str(tmp_path / "again"), "--json"])
    assert quiet.stderr == "" and json.loads(quiet.stdout)["written"]["annotations"] == 31


@pytest.mark.parametrize("where", ["-", "input", "output"])
def test_report_file_is_refused_where_it_would_touch_the_data(fixtures_root, tmp_path, runner,
                                                              cli, where):
    source = fixtures_root / "seed-examples/encord_keypoints"
    out = tmp_path / "out"
    path = {"-": "-", "input": str(source / "r.json"), "output": str(out / "r.json")}[where]
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", "coco", "-o", str(out),
                     "--report", path, code=2)
    assert "--report" in result.stderr
    assert not out.exists() and not (source / "r.json").exists()


def test_project_export_ends_with_the_written_line_and_takes_strict(fixtures_root, tmp_path,
                                                                    runner, cli):
    project = tmp_path / "proj"
    for args in (["create", "-o", str(project)],
                 ["import", "-p", str(project), "-f", "coco",
                  str(fixtures_root / "seed-examples/encord_keypoints")]):
        assert runner.invoke(cli, args).exit_code == 0
    refused = runner.invoke(cli, ["export", "-p", str(project), "-f", "cvat",
                                  "-o", str(tmp_path / "cvat"), "--strict"])
    assert refused.exit_code == 1 and not (tmp_path / "cvat").exists()
    assert "annotation fields of other formats: track_id" in refused.stderr
    saved = tmp_path / "report.json"
    result = runner.invoke(cli, ["export", "-p", str(project), "-f", "coco",
                                 "-o", str(tmp_path / "coco"), "--report", str(saved)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == \
        f"wrote 2 items, 5 annotations, 1 file to {tmp_path / 'coco'}"
    assert json.loads(saved.read_bytes())["written"]["items"] == 2


def test_strict_to_stdout_prints_no_data(fixtures_root, runner, cli):
    source = fixtures_root / "seed-examples/encord_keypoints"
    result = convert(runner, cli, "-if", "coco", "-i", str(source), "-f", "cvat", "-o", "-",
                     "--strict", code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("error: --strict: the run lost ")
