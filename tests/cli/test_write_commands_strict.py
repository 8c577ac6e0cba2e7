"""`--report FILE` and `--strict` on transform, filter, split and merge, as on convert: a
refused run exits 1 and writes no output, and the report file is written either way."""
from __future__ import annotations

import json

import pytest

from .test_filter_split_cli import _plugins_loaded, invoke  # noqa: F401 (autouse fixture)

KEYPOINTS = "seed-examples/encord_keypoints"  # COCO keypoints: VOC loses their fields
REFUSED = "error: --strict: the run lost "


def lossy_runs(source, out):
    """Per command, a command line whose run to VOC loses keypoint fields."""
    to_voc = ["-i", source, "-if", "coco", "-o", out, "-f", "voc"]
    return {"transform": ["transform", "-t", "reindex", *to_voc],
            "filter": ["filter", "--remove-empty", *to_voc],
            "split": ["split", "--ratios", "train=0.5,val=0.5", *to_voc],
            "merge": ["merge", f"{source}:coco", f"{source}:coco", "-o", out, "-f", "voc"]}


@pytest.mark.parametrize("command", ["transform", "filter", "split", "merge"])
def test_strict_refuses_a_lossy_run_and_still_writes_the_report(command, fixtures_root,
                                                                tmp_path, runner, cli):
    out, saved = tmp_path / "out", tmp_path / "report.json"
    args = lossy_runs(fixtures_root / KEYPOINTS, out)[command]
    result = invoke(runner, cli, *args, "--strict", "--report", saved, code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(REFUSED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no output
    data = json.loads(saved.read_bytes())
    report = data.get("report", data)  # filter and split nest the loss report
    assert any(row["what"].endswith("track_id") for row in report["lost"])
    assert "written" not in report


@pytest.mark.parametrize("command", ["transform", "filter", "split", "merge"])
def test_report_file_holds_what_json_prints(command, fixtures_root, tmp_path, runner, cli):
    args = lossy_runs(fixtures_root / KEYPOINTS, tmp_path / "out")[command]
    saved = tmp_path / "report.json"
    result = invoke(runner, cli, *args, "--report", saved)
    assert result.stdout == ""
    printed = json.loads(invoke(runner, cli, *args, "--overwrite", "--json").stdout)
    assert json.loads(saved.read_bytes()) == printed
    report = printed.get("report", printed)
    assert report["written"]["target"] == str(tmp_path / "out")


@pytest.mark.parametrize("command", ["transform", "filter", "split", "merge"])
def test_strict_passes_a_run_that_lost_nothing(command, fixtures_root, tmp_path, runner, cli):
    source, out = fixtures_root / KEYPOINTS, tmp_path / "out"
    args = [a if a != "voc" else "coco" for a in lossy_runs(source, out)[command]]
    invoke(runner, cli, *args, "--strict")
    assert (out / "annotations").is_dir()


def test_a_filter_drop_is_a_loss_strict_refuses(fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    result = invoke(runner, cli, "filter", "-i", fixtures_root / KEYPOINTS, "-o", out,
                    "--items", "false", "--strict", code=1)
    assert result.stderr.splitlines()[-1].startswith(REFUSED) and not out.exists()


@pytest.mark.parametrize("command", ["transform", "filter", "split", "merge"])
def test_report_file_in_the_output_is_refused(command, fixtures_root, tmp_path, runner, cli):
    out = tmp_path / "out"
    args = lossy_runs(fixtures_root / KEYPOINTS, out)[command]
    result = invoke(runner, cli, *args, "--report", out / "r.json", code=2)
    assert "--report" in result.stderr and not out.exists()


def make_project(runner, cli, root, *sources):
    invoke(runner, cli, "create", "-o", root)
    for source in sources:
        invoke(runner, cli, "import", "-p", root, "-f", "coco", source)


@pytest.mark.parametrize("command", [["filter", "--annotations", 'label == "car"'],
                                     ["split", "--ratios", "a=0.5,b=0.5", "--seed", "3"]])
def test_filter_and_split_read_a_project_as_its_dataset_would_be_read(command, fixtures_root,
                                                                      tmp_path, runner, cli):
    source = fixtures_root / KEYPOINTS
    make_project(runner, cli, tmp_path / "proj", source)
    from_project = json.loads(invoke(runner, cli, *command, "-p", tmp_path / "proj",
                                     "-o", tmp_path / "p", "--json").stdout)
    from_input = json.loads(invoke(runner, cli, *command, "-i", source, "-if", "coco",
                                   "-o", tmp_path / "i", "--json").stdout)
    for data in (from_project, from_input):
        data["report"]["written"].pop("target")
    assert from_project == from_input
    assert _files(tmp_path / "p") == _files(tmp_path / "i")


def _files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("args, needle", [
    ([], "-i PATH or a project with -p DIR"),
    (["-i", "x"], "-i PATH or a project with -p DIR"),
    (["-if", "coco"], "-if is for -i"),
])
def test_filter_with_a_project_refuses_bad_command_lines(args, needle, fixtures_root,
                                                         tmp_path, runner, cli):
    root = tmp_path / "proj"
    if args:
        make_project(runner, cli, root, fixtures_root / KEYPOINTS)
        args = ["-p", root, *args]
    result = invoke(runner, cli, "filter", *args, "--remove-empty", "-o", tmp_path / "out",
                    code=2)
    assert needle in result.stderr and not (tmp_path / "out").exists()


def test_strict_refuses_a_lossy_split_of_a_project(fixtures_root, tmp_path, runner, cli):
    make_project(runner, cli, tmp_path / "proj", fixtures_root / KEYPOINTS)
    saved = tmp_path / "report.json"
    result = invoke(runner, cli, "split", "-p", tmp_path / "proj", "-f", "voc", "-o",
                    tmp_path / "out", "--strict", "--report", saved, code=1)
    assert result.stderr.splitlines()[-1].startswith(REFUSED)
    assert not (tmp_path / "out").exists()
    assert json.loads(saved.read_bytes())["report"]["lost"]
