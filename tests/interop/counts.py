"""What a consumer should find in an output folder, counted from the written files.

Each count follows the consumer's documented reading of the format, so "equal counts" means
the consumer saw every image and object cococonv wrote, no more and no fewer:

- COCO (Datumaro): one item per image; a box for every record (Datumaro keeps each record's
  ``bbox``), a polygon per ring, a mask per RLE record, points per record with keypoints.
- VOC (Datumaro): items of the Main lists; a box per ``<object>`` and ``<part>``; a mask per
  instance index of SegmentationObject (void 255 included: Datumaro's ``ignored`` label);
  a label per ``1`` in the class lists.
- CVAT (Datumaro): one item per ``<image>``; a shape per element of the kinds Datumaro reads
  (every ``<points>``, also a skeleton's nodes); a label per ``<tag>``.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from lxml import etree

TASK_FORMATS = {"instances": "coco_instances", "person_keypoints": "coco_person_keypoints"}
CVAT_KINDS = {"box": "bbox", "polygon": "polygon", "polyline": "polyline", "points": "points",
              "mask": "mask", "tag": "label"}


def coco_files(root: Path, task: str) -> list[Path]:
    return sorted((root / "annotations").glob(f"{task}_*.json"))


def coco_counts(files: list[Path], task: str) -> tuple[int, Counter]:
    images, kinds = 0, Counter()
    for path in files:
        doc = json.loads(path.read_bytes())
        images += len(doc["images"])
        for ann in doc["annotations"]:
            kinds["bbox"] += 1
            segmentation = ann.get("segmentation")
            if isinstance(segmentation, dict):
                kinds["mask"] += 1
            elif segmentation:
                kinds["polygon"] += len(segmentation)
            if task == "person_keypoints" and ann.get("keypoints"):
                kinds["points"] += 1
    return images, +kinds


def voc_items(root: Path) -> list[tuple[str, str]]:
    """(subset, id) of the Main lists (class lists ``<class>_<subset>.txt`` excluded)."""
    main = root / "ImageSets" / "Main"
    names = [p.stem for p in main.glob("*.txt")]
    subsets = [n for n in names if not any(n.endswith("_" + other) for other in names)]
    return [(subset, line.strip()) for subset in sorted(subsets)
            for line in (main / f"{subset}.txt").read_text().splitlines() if line.strip()]


def voc_counts(root: Path) -> tuple[int, Counter]:
    import numpy as np
    from PIL import Image

    items = voc_items(root)
    kinds: Counter[str] = Counter()
    for subset, item_id in dict.fromkeys(items):
        xml = root / "Annotations" / f"{item_id}.xml"
        if xml.is_file():
            tree = etree.parse(str(xml))
            kinds["bbox"] += len(tree.findall("object")) + len(tree.findall("object/part"))
        png = root / "SegmentationObject" / f"{item_id}.png"
        if png.is_file():
            values = set(np.unique(np.asarray(Image.open(png))).tolist()) - {0}
            kinds["mask"] += len(values)
    main = root / "ImageSets" / "Main"
    subsets = {subset for subset, _ in items}
    for path in main.glob("*_*.txt"):
        if path.stem.rsplit("_", 1)[-1] in subsets and path.stem not in subsets:
            kinds["label"] += sum(1 for line in path.read_text().splitlines()
                                  if line.split()[1:] == ["1"])
    return len(set(items)), +kinds


def cvat_counts(root: Path) -> tuple[int, Counter]:
    tree = etree.parse(str(root / "annotations.xml"))
    kinds: Counter[str] = Counter()
    images = tree.findall("image")
    for image in images:
        for elem in image.iter():
            kind = CVAT_KINDS.get(elem.tag)
            if kind is not None:
                kinds[kind] += 1
    return len(images), +kinds
