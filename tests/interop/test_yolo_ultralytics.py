"""cococonv's YOLO output, checked by Ultralytics' own dataset code: ``check_det_dataset``
(data.yaml: splits, names, nc, kpt_shape) and ``verify_image_label`` (each label file, as
training reads it: values in 0..1, the column count of the task, class indices).

Ultralytics is not a dependency (with torch it is ~1.6 GB): the ``ultralytics`` extra brings
it (``pip install -e '.[ultralytics]'``, the CPU torch 2.13.0). Without it these tests skip,
except under CI, which installs that extra (.ci/run), where they fail.
"""
from __future__ import annotations

import glob
import importlib.util
import os
from pathlib import Path

import pytest

import cococonv
from cococonv.report import Report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def ultralytics_utils(tmp_path_factory):
    from PIL import Image
    pil_open = Image.open  # before ultralytics is imported: it replaces Image.open
    if os.environ.get("CI") and importlib.util.find_spec("ultralytics") is None:
        pytest.fail("ultralytics is not installed; CI installs the ultralytics extra")
    with pytest.MonkeyPatch.context() as patch:
        # its settings file and any download go to a folder of the test, never the network
        patch.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("ultralytics-config")))
        patch.setenv("YOLO_OFFLINE", "1")
        pytest.importorskip("ultralytics", reason="ultralytics is not installed "
                                                  "(pip install -e '.[ultralytics]')")
        from ultralytics.data import utils
        yield utils
    # Importing ultralytics replaces PIL's Image.open with one that installs pi-heif on the
    # first unreadable image: later tests of this process must get Pillow's own back.
    Image.open = pil_open


def _check(utils, root: Path, *, pose: bool = False) -> dict:
    data = utils.check_det_dataset(str(root / "data.yaml"), autodownload=False)
    nkpt, ndim = data.get("kpt_shape", (0, 0))
    images = sorted(glob.glob(str(root / "images" / "*" / "*")))
    assert images
    found = 0
    for image, label in zip(images, utils.img2label_paths(images)):
        result = utils.verify_image_label((image, label, "", pose, len(data["names"]),
                                           nkpt, ndim, False))
        _im, labels, _shape, segments, _kpts, _nm, nf, _ne, nc, msg = result
        assert nc == 0 and labels is not None, f"{label}: {msg}"
        found += nf
    assert found
    return data


@pytest.mark.parametrize("task", ["detect", "segment", "obb"])
def test_coco_small_as_each_task(ultralytics_utils, tmp_path, task):
    out = tmp_path / task
    cococonv.convert(str(EXAMPLES / "coco_small"), str(out), input_format="coco",
                     output_format="yolo", output_options={"task": task,
                                                           "save_images": True},
                     report=Report(quiet=True))
    data = _check(ultralytics_utils, out)
    assert data["names"] == {0: "person", 1: "car", 2: "tree"}
    assert data["nc"] == 3


def test_coco_small_as_pose(ultralytics_utils, tmp_path):
    out = tmp_path / "pose"
    cococonv.convert(str(EXAMPLES / "coco_small"), str(out), input_format="coco",
                     output_format="yolo", output_options={"task": "pose",
                                                           "save_images": True},
                     report=Report(quiet=True))
    data = _check(ultralytics_utils, out, pose=True)
    assert data["kpt_shape"][1] == 3


def test_example_converted_yolo_to_yolo(ultralytics_utils, tmp_path):
    out = tmp_path / "again"
    cococonv.convert(str(EXAMPLES / "yolo_small"), str(out), input_format="yolo",
                     output_format="yolo", output_options={"save_images": True},
                     report=Report(quiet=True))
    _check(ultralytics_utils, out)
