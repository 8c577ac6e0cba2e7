"""Interop fixtures: the consumers (skipped when missing, a failure under CI) and the
outputs of every exporter for a representative set of the shared fixtures."""
from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import pytest

import cococonv
from cococonv.report import Report

# Per source format, fixtures that cover its kinds: polygons, RLE (crowd and not), box-only
# records, keypoints, several subsets, palette/RGB masks with void, ellipses, polylines,
# skeletons. All have their images, which Datumaro's CVAT reader requires.
SOURCES = (
    "datumaro/coco_dataset/coco_instances",
    "2label/coco1.0",
    "mmpose/coco",
    "labelme/instance_segmentation/data_dataset_coco",
    "datumaro/voc_dataset/voc_dataset1",
    "2label/voc1.1",
    "labelme/instance_segmentation/data_dataset_voc",
    "2label/cvat1.1",
    "datumaro/cvat_dataset/for_images/export_project",
    "cvat-ai-datumaro/cvat_dataset/for_images",
)
TARGETS = ("coco", "voc", "cvat")
INTEROP_HINT = "pip install -e '.[interop]'"


def consumer(module: str):
    """The consumer module; skipped when it is not installed, a failure when CI is set."""
    if os.environ.get("CI") and importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed; CI installs the interop extra ({INTEROP_HINT})")
    return pytest.importorskip(module, reason=f"{module} is not installed ({INTEROP_HINT})")


def has_consumer(module: str) -> None:
    """Like ``consumer`` for a module used only in a subprocess (not imported here)."""
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed; CI installs the interop extra "
                        f"({INTEROP_HINT})")
        pytest.skip(f"{module} is not installed ({INTEROP_HINT})")


def _convert_all(fixtures_root: Path, out: Path, **options) -> dict[tuple[str, str], Path]:
    written = {}
    for source in SOURCES:
        for target in TARGETS:
            dest = out / f"{source.replace('/', '+')}-{target}"
            cococonv.convert(str(fixtures_root / source), str(dest), output_format=target,
                             output_options={"save_images": True, **options},
                             report=Report(quiet=True))
            written[(source, target)] = dest
    return written


@pytest.fixture(scope="session")
def outputs(fixtures_root, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(source, target) -> output folder, default options plus --save-images."""
    return _convert_all(fixtures_root, tmp_path_factory.mktemp("interop"))


@pytest.fixture(scope="session")
def eval_outputs(fixtures_root, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """COCO outputs as written for evaluation: --reindex (COCOeval reads annotation id 0
    as "no match") and --box-segmentation polygon (segm evaluation needs a shape)."""
    out = tmp_path_factory.mktemp("interop-eval")
    written = {}
    for source in SOURCES:
        dest = out / source.replace("/", "+")
        cococonv.convert(str(fixtures_root / source), str(dest), output_format="coco",
                         output_options={"reindex": True, "box_segmentation": "polygon"},
                         report=Report(quiet=True))
        written[(source, "coco")] = dest
    return written
