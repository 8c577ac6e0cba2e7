"""Red-team findings F44, F43, F35 and F25 through the CLI.

F44: human output escapes terminal controls of dataset names. F43: an image of unknown size
is written to COCO with width/height 0 (or its probed size). F35: an inverted box is refused
on import. F25: a coco_panoptic PNG name that escapes is skipped and counted.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..builders import coco_ann, coco_doc, coco_image, one_error_line, write_coco

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07lab"
HOSTILE = "\x1b]2;SUBSET\x07\x9b2J\u202egpj.exe\u2066"


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cococonv", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120)


def raw_controls(text: str) -> list[str]:
    """Characters that must never reach a terminal unescaped (newlines and tabs excepted)."""
    return [c for c in text if not c.isprintable() and c not in "\n\t"]


# -- F44 ------------------------------------------------------------------------------------
def test_info_escapes_label_and_subset_names(tmp_path: Path) -> None:
    doc = coco_doc(categories=[{"id": 1, "name": OSC52, "supercategory": ""}])
    write_coco(tmp_path / "d", {f"instances_{HOSTILE}": doc})
    done = run_cli(tmp_path, "info", "-i", "d")
    assert done.returncode == 0, done.stderr
    assert raw_controls(done.stdout) == [], done.stdout
    assert "labels (1): \\x1b]52;c;ZWNobyBwd25lZA==\\x07lab" in done.stdout
    assert "\\x1b]2;SUBSET\\x07\\x9b2J\\u202egpj.exe\\u2066: 1 items" in done.stdout
    as_json = run_cli(tmp_path, "info", "-i", "d", "--json")
    assert json.loads(as_json.stdout)["labels"] == [OSC52]  # JSON keeps the value exact


def test_warnings_report_and_errors_escape_names(tmp_path: Path) -> None:
    doc = coco_doc(images=[coco_image(), coco_image(id=2, file_name=f"{HOSTILE}.jpg")],
                   annotations=[coco_ann(), coco_ann(id=2, image_id=2, category_id=7)])
    write_coco(tmp_path / "d", {"instances_default": doc})
    warned = run_cli(tmp_path, "convert", "-i", "d", "-f", "voc", "-o", "o",
                     "--on-error", "warn")
    assert raw_controls(warned.stderr) == [], warned.stderr
    failed = run_cli(tmp_path, "convert", "-i", f"d/{HOSTILE}", "-f", "voc", "-o", "o2")
    assert failed.returncode != 0
    assert raw_controls(failed.stderr) == [] and "\\x1b]2;SUBSET" in failed.stderr


def test_detect_escapes_the_path(tmp_path: Path) -> None:
    (tmp_path / HOSTILE).mkdir()
    done = run_cli(tmp_path, "detect", HOSTILE)
    assert done.returncode == 1
    assert raw_controls(done.stderr) == [] and "\\u202egpj" in done.stderr
