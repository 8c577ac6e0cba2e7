"""Every exporter's output of the shared fixtures, read by the tools users hand it to:
pycocotools (COCO() and COCOeval), Datumaro 1.x (what CVAT imports with) and globox.

The consumers come with the ``interop`` extra; without it these tests skip, under CI they
fail. Expected counts come from the written files (tests/interop/counts.py).
"""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from . import counts
from .conftest import SOURCES, consumer, has_consumer

PROBE = Path(__file__).with_name("datumaro_probe.py")


def _coco_jobs(outputs) -> list[tuple[str, str, Path, list[Path]]]:
    jobs = []
    for (source, target), root in outputs.items():
        if target != "coco":
            continue
        for task in counts.TASK_FORMATS:
            files = counts.coco_files(root, task)
            if files:
                jobs.append((source, task, root, files))
    return jobs


def test_pycocotools_loads_every_coco_output_with_equal_counts(outputs):
    coco_module = consumer("pycocotools.coco")
    jobs = _coco_jobs(outputs)
    assert len(jobs) >= len(SOURCES)
    for source, task, _root, files in jobs:
        for path in files:
            doc = json.loads(path.read_bytes())
            with contextlib.redirect_stdout(io.StringIO()):  # it prints timings
                api = coco_module.COCO(str(path))
            assert (len(api.imgs), len(api.anns), len(api.cats)) == (
                len(doc["images"]), len(doc["annotations"]), len(doc["categories"])), \
                (source, path.name)


def _self_ap(coco_module, eval_module, path: Path, iou_type: str) -> float | None:
    """AP of the ground truth scored against itself (each object a detection, score 1)."""
    with contextlib.redirect_stdout(io.StringIO()):
        ground = coco_module.COCO(str(path))
        anns = [dict(ann, score=1.0) for ann in ground.loadAnns(ground.getAnnIds())
                if not ann.get("iscrowd")]
        if iou_type == "keypoints":
            # COCOeval's OKS has sigmas for COCO's 17 person keypoints only, and ignores
            # ground truth without a visible keypoint (so those are no detections either)
            if any(len(ann.get("keypoints") or ()) != 51 for ann in anns):
                return None
            anns = [ann for ann in anns if any(ann["keypoints"][2::3])]
        if not anns:
            return None
        detections = ground.loadRes(anns)
        evaluation = eval_module.COCOeval(ground, detections, iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


@pytest.mark.parametrize("iou_type, at_least", [("bbox", len(SOURCES)),
                                                ("segm", len(SOURCES)), ("keypoints", 1)])
def test_cocoeval_scores_every_coco_output_against_itself_at_ap_1(eval_outputs, iou_type,
                                                                  at_least):
    coco_module = consumer("pycocotools.coco")
    eval_module = consumer("pycocotools.cocoeval")
    scored = 0
    for source, task, _root, files in _coco_jobs(eval_outputs):
        if iou_type == "keypoints" and task != "person_keypoints":
            continue
        for path in files:
            ap = _self_ap(coco_module, eval_module, path, iou_type)
            if ap is not None:
                assert ap == pytest.approx(1.0), (source, path.name, iou_type, ap)
                scored += 1
    assert scored >= at_least


def _datumaro_jobs(outputs) -> list[tuple[str, str, str, tuple[int, Counter]]]:
    jobs = []
    for source, task, root, files in _coco_jobs(outputs):
        jobs.append((source, str(root), counts.TASK_FORMATS[task],
                     counts.coco_counts(files, task)))
    for (source, target), root in outputs.items():
        if target == "voc":
            jobs.append((source, str(root), "voc", counts.voc_counts(root)))
        elif target == "cvat":
            jobs.append((source, str(root), "cvat", counts.cvat_counts(root)))
    return jobs


def test_datumaro_imports_every_output_with_equal_counts(outputs):
    has_consumer("datumaro")
    jobs = _datumaro_jobs(outputs)
    # One process for all imports: Datumaro loads pandas, pyarrow and cv2 and changes the
    # warning filters and logging of the process that imports it.
    run = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True,
                         input=json.dumps([[path, fmt] for _s, path, fmt, _c in jobs]),
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    problems = []
    for (source, path, fmt, (items, kinds)), found in zip(jobs, results):
        if "error" in found:
            problems.append(f"{source} -> {fmt}: {found['error']}")
            continue
        seen = Counter(found["kinds"])
        seen["bbox"] += seen.pop("rotated_bbox", 0)  # a CVAT box with a rotation
        if (found["items"], +seen) != (items, kinds):
            problems.append(f"{source} -> {fmt}: Datumaro read {found['items']} items "
                            f"{dict(seen)}, the files hold {items} {dict(kinds)}")
    assert not problems, "\n".join(problems)


def _unique(image_names: list) -> bool:
    """globox keys images by file name and knows no subsets: a project whose subsets reuse
    names (img0.jpg in Train and in Test) is not one globox set."""
    return len(set(image_names)) == len(image_names)


def test_globox_reads_every_output_with_equal_counts(outputs):
    globox = consumer("globox")
    checked = 0
    for (source, target), root in outputs.items():
        if target == "coco":
            for path in counts.coco_files(root, "instances"):
                doc = json.loads(path.read_bytes())
                found = globox.AnnotationSet.from_coco(path)
                assert (len(found), sum(len(a.boxes) for a in found)) == (
                    len(doc["images"]), len(doc["annotations"])), (source, path.name)
                checked += 1
        elif target == "voc":
            if not (root / "Annotations").is_dir():  # segmentation only: nothing for globox
                continue
            xmls = list((root / "Annotations").rglob("*.xml"))
            if not _unique([counts.etree.parse(str(x)).findtext("filename") for x in xmls]):
                continue
            found = globox.AnnotationSet.from_pascal_voc(root / "Annotations", recursive=True)
            objects = sum(len(counts.etree.parse(str(x)).findall("object")) for x in xmls)
            assert (len(found), sum(len(a.boxes) for a in found)) == (len(xmls), objects), \
                source
            checked += 1
        elif target == "cvat":
            images, kinds = counts.cvat_counts(root)
            if not _unique([i.get("name") for i in counts.etree.parse(
                    str(root / "annotations.xml")).iter("image")]):
                continue
            found = globox.AnnotationSet.from_cvat(root / "annotations.xml")
            assert (len(found), sum(len(a.boxes) for a in found)) == (images, kinds["bbox"]), \
                source
            checked += 1
    assert checked >= 2 * len(SOURCES) - 3


def test_cococonv_reads_datumaros_own_coco_export_whole(tmp_path, runner, cli):
    """Datumaro writes ``width: 0`` for an unknown size and ``category_id: 0`` for a box
    without a label; cococonv reads both (the default --on-error fail) and writes them back."""
    has_consumer("datumaro")
    source = tmp_path / "datumaro"
    run = subprocess.run([sys.executable, str(PROBE), "export", str(source)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["convert", "-i", str(source), "-f", "coco", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    written = json.loads(out.read_text())
    assert [(i["width"], i["height"]) for i in written["images"]] == [(0, 0)]
    assert [(a["category_id"], a["bbox"]) for a in written["annotations"]] == [
        (1, [1.0, 2.0, 3.0, 4.0]), (0, [2.0, 2.0, 2.0, 2.0])]
