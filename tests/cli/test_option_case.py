"""Option choices match in any case, as format names do (red-team F48)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import cococonv
from cococonv.errors import OptionError
from cococonv.plugin import Option

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coco_small"


def test_a_choice_is_taken_in_its_declared_spelling():
    mode = Option("mode", str, "a", "", ("guess", "polygons", "mask"))
    tasks = Option("tasks", list, [], "", ("instances", "captions"))
    assert mode.coerce("MASK", "coco") == "mask"
    assert tasks.coerce("Instances,CAPTIONS", "coco") == ["instances", "captions"]
    with pytest.raises(OptionError, match="'MASKS' is not one of guess, polygons, mask"):
        mode.coerce("MASKS", "coco")


def test_cli_and_api_accept_choices_in_any_case(tmp_path, runner, cli):
    coco_dir = EXAMPLE
    out = tmp_path / "out"
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(coco_dir), "-f", "COCO",
                                 "-o", str(out), "--segmentation-mode", "MASK", "--tasks",
                                 "INSTANCES", "--on-error", "Warn"])
    assert result.exit_code == 0, result.stderr
    written = sorted((out / "annotations").iterdir())
    assert [p.name for p in written] == ["instances_train.json", "instances_val.json"]
    segmentations = [ann["segmentation"] for p in written
                     for ann in json.loads(p.read_text())["annotations"] if ann.get("segmentation")]
    assert segmentations and all("counts" in seg for seg in segmentations)
    again = tmp_path / "again"
    cococonv.convert(str(coco_dir), str(again), output_format="coco",
                     output_options={"segmentation_mode": "Mask", "tasks": ["Instances"]})
    assert [p.read_bytes() for p in sorted((again / "annotations").iterdir())] == \
        [p.read_bytes() for p in written]
