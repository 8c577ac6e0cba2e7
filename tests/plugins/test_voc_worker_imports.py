"""A forked VOC worker paints polygons and crowd RLEs without importing numpy or
pycocotools when the compiled helpers are built: their import was ~0.1 s of CPU in every
worker of every run (issue 12's coco -> voc speed target)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cococonv.raster import speedups
from tests.builders import coco_ann, coco_doc, coco_image, write_coco

pytestmark = pytest.mark.skipif(speedups.fastmasks() is None or speedups.fastpng() is None,
                                reason="the compiled mask helpers are not built here")

SCRIPT = """
import json, sys
from cococonv import api
from cococonv.context import Context
from cococonv_plugins.voc import exporter as ve
ds = api.in_memory(api.load(sys.argv[1], "coco"))
exp = ve.VocExporter()
plan = exp.plan(ds, sys.argv[2], Context.of(None, jobs=1), **exp.resolve_options({}))
before = set(sys.modules)  # the parent's imports: what a forked worker inherits
for entry in plan.items:
    ve.write_item_files(plan, entry)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_voc_per_item_phase_imports_no_numpy_or_pycocotools(tmp_path):
    two_rings = [[1.0, 1.0, 5.0, 1.0, 5.0, 4.0], [6.0, 5.0, 9.0, 5.0, 9.0, 7.0]]
    crowd = {"counts": [10, 5, 65], "size": [8, 10]}
    doc = coco_doc(images=[coco_image(id=1), coco_image(id=2, file_name="b.jpg")],
                   annotations=[coco_ann(id=1), coco_ann(id=2, segmentation=two_rings),
                                coco_ann(id=3, image_id=2, iscrowd=1, segmentation=crowd,
                                         bbox=[1.0, 0.0, 1.0, 5.0], area=5.0)])
    write_coco(tmp_path / "in", {"instances_default": doc})
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "in"),
                          str(tmp_path / "out")], capture_output=True, text=True, check=True)
    imported = json.loads(out.stdout)
    heavy = [name for name in imported if name.split(".")[0] in ("numpy", "pycocotools")
             or name == "cococonv.masks"]
    assert heavy == []
    assert (tmp_path / "out" / "SegmentationObject" / "a.png").is_file()
    assert (tmp_path / "out" / "SegmentationClass" / "b.png").is_file()
