"""cococonv's LabelMe output, loaded by LabelMe itself (``labelme.LabelFile``).

LabelMe is GPL-3.0 and pulls in PyQt5, onnxruntime, scipy and scikit-image (about 450 MB),
so it is not in the interop extra: the test runs where ``labelme`` imports in this
environment, or in the interpreter ``COCOCONV_LABELME_PYTHON`` names (.ci/run makes one
from labelme-requirements.txt), and is skipped otherwise; under CI that is a failure.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cococonv
from cococonv import Report

PROBE = Path(__file__).with_name("labelme_probe.py")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "labelme_small"
OLD = Path(__file__).resolve().parents[1] / "data" / "labelme" / "v3_no_shape_type"


def _labelme_python() -> str:
    given = os.environ.get("COCOCONV_LABELME_PYTHON")
    if given:
        return given
    if importlib.util.find_spec("labelme") is None:
        if os.environ.get("CI"):
            pytest.fail("labelme is not installed and COCOCONV_LABELME_PYTHON is not set; "
                        ".ci/run makes a venv from tests/interop/labelme-requirements.txt")
        pytest.skip("labelme is not installed (pip install labelme, or set "
                    "COCOCONV_LABELME_PYTHON to an interpreter that has it)")
    return sys.executable


def _probe(python: str, files: list[Path]) -> list[dict]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([python, str(PROBE), *map(str, files)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _convert(source: Path, target: Path, fmt: str, **options) -> Path:
    cococonv.convert(str(source), str(target), output_format=fmt, output_options=options,
                     report=Report(quiet=True), jobs=1)
    return target


def test_labelme_loads_every_shape_cococonv_writes(tmp_path):
    python = _labelme_python()
    out = _convert(EXAMPLE, tmp_path / "out", "labelme", save_images=True)
    embedded = _convert(EXAMPLE, tmp_path / "embedded", "labelme", embed_images=True)
    coco = _convert(EXAMPLE, tmp_path / "coco", "coco", save_images=True)
    from_coco = _convert(coco, tmp_path / "from_coco", "labelme", save_images=True)
    # LabelMe 6 refuses its own 3.x files (no shape_type); their conversion it reads
    old = _convert(OLD, tmp_path / "old", "labelme", save_images=True)
    files = sorted(out.rglob("*.json")) + sorted(embedded.rglob("*.json")) + \
        sorted(from_coco.rglob("*.json")) + sorted(old.rglob("*.json"))
    results = _probe(python, files)
    for path, result in zip(files, results):
        assert "error" not in result, f"{path}: {result['error']}"
        written = json.loads(path.read_text())
        assert [s[0] for s in result["shapes"]] == [s["shape_type"] for s in written["shapes"]]
        assert result["image"] > 0, path
    kinds = {kind for result in results for kind, *_ in result["shapes"]}
    assert {"rectangle", "oriented_rectangle", "polygon", "circle", "line", "linestrip",
            "point", "points", "mask"} <= kinds
