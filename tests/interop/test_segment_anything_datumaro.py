"""segment_anything against Datumaro 1.x's own SA-1B plugin: it reads what we write (every
file an item, every mask a mask and a box), and we read what it writes.

Datumaro runs in a subprocess (datumaro_probe.py says why); the interop extra brings it.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cococonv
from cococonv.report import Report

from ..plugins.sa_files import annotation, doc, write
from .conftest import has_consumer

PROBE = Path(__file__).with_name("datumaro_probe.py")

# Datumaro's exporter, given one item of a 12x16 image with an RLE mask and a box.
EXPORT = """
import sys, warnings, logging
warnings.simplefilter("ignore"); logging.disable(logging.CRITICAL)
import numpy as np
from datumaro.components.annotation import Bbox, Mask
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image
image = np.zeros((12, 16), np.uint8); image[2:6, 3:8] = 1
item = DatasetItem("sa_9", media=Image.from_numpy(np.zeros((12, 16, 3), np.uint8)),
                   attributes={"id": 9},
                   annotations=[Mask(image, id=4, group=4, attributes={"predicted_iou": 0.8}),
                                Bbox(3, 2, 5, 4, id=4, group=4)])
Dataset.from_iterable([item]).export(sys.argv[1], "segment_anything", save_media=True)
"""


def test_datumaro_reads_our_sa_files_and_our_coco_to_sa_output(tmp_path):
    has_consumer("datumaro")
    ours = write(tmp_path / "ours", {"sa_1.json": doc(annotations=[annotation(1),
                                                                   annotation(2)]),
                                     "sa_2.json": doc(image_id=2, name="sa_2.jpg")})
    cococonv.convert(str(ours), str(tmp_path / "written"), output_format="segment_anything",
                     output_options={"save_images": True}, jobs=1, report=Report(quiet=True))
    run = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True,
                         input=json.dumps([[str(tmp_path / "written"), "segment_anything"]]),
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    [found] = json.loads(run.stdout)
    assert found.get("kinds") == {"mask": 3, "bbox": 3} and found["items"] == 2, found


def test_we_read_datumaros_sa_export(tmp_path):
    has_consumer("datumaro")
    run = subprocess.run([sys.executable, "-c", EXPORT, str(tmp_path / "dm")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert cococonv.detect(str(tmp_path / "dm"))[0][0] == "segment_anything"
    [item] = list(cococonv.load(str(tmp_path / "dm"), "segment_anything", jobs=1))
    assert (item.id, item.image_id, item.image.size) == ("sa_9", 9, (12, 16))
    assert item.image.path is not None
    [mask] = item.annotations
    assert mask.declared_bbox == [3, 2, 5, 4]
    assert mask.extra["segment_anything"]["predicted_iou"] == 0.8
    from cococonv import masks

    assert masks.area(mask.rle) == 20
