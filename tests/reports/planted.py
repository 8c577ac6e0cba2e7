"""A small COCO dataset written to disk, clean, or with one defect of each kind planted:
each plant says where validate must find it (rule and a piece of its place)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from PIL import Image as PILImage

from cococonv import masks

SIZES = {1: (40, 60), 2: (30, 50), 3: (64, 64)}  # image id -> (height, width)


def _square(x: float, y: float, side: float) -> list[float]:
    return [x, y, x + side, y, x + side, y + side, x, y + side]


def clean_doc() -> dict[str, Any]:
    """Three images, two categories, every object consistent: boxes and areas as
    pycocotools computes them, the crowd object as RLE of its image's size."""
    images = [{"id": iid, "file_name": f"img{iid}.png", "height": h, "width": w}
              for iid, (h, w) in SIZES.items()]
    anns = []
    for aid, (iid, x, y, side, cid) in enumerate(
            [(1, 2, 3, 10, 1), (1, 20, 5, 8, 2), (2, 4, 4, 12, 1), (3, 10, 10, 20, 2)], 1):
        ring = _square(x, y, side)
        h, w = SIZES[iid]
        anns.append({"id": aid, "image_id": iid, "category_id": cid, "segmentation": [ring],
                     "area": masks.polygons_area([ring], h, w),
                     "bbox": [x, y, side, side], "iscrowd": 0})
    anns.append({"id": 5, "image_id": 2, "category_id": 2, "segmentation": [],
                 "area": 30.0, "bbox": [30, 10, 6, 5], "iscrowd": 0})
    h, w = SIZES[3]
    rle = masks.uncompress(masks.polygons_to_rle([_square(40, 40, 10)], h, w))
    anns.append({"id": 6, "image_id": 3, "category_id": 1, "segmentation": rle,
                 "area": masks.area(rle), "bbox": masks.bbox(rle), "iscrowd": 1})
    return {"images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "cat", "supercategory": "animal"},
                           {"id": 2, "name": "dog", "supercategory": "animal"}]}


def write(root: Path, doc: dict[str, Any], *, skip_images: tuple[str, ...] = ()) -> Path:
    """The dataset as annotations/instances_train.json and images/train/*.png."""
    (root / "annotations").mkdir(parents=True)
    (root / "images" / "train").mkdir(parents=True)
    (root / "annotations" / "instances_train.json").write_text(json.dumps(doc))
    for image in doc["images"]:
        if image["file_name"] not in skip_images:
            PILImage.new("L", (image["width"], image["height"])).save(
                root / "images" / "train" / image["file_name"])
    return root


def _ann(doc: dict, aid: int) -> dict:
    return next(a for a in doc["annotations"] if a["id"] == aid)


def _index(doc: dict, aid: int) -> int:
    return next(i for i, a in enumerate(doc["annotations"]) if a["id"] == aid)


def _set(aid: int, key: str, value: Any) -> Callable[[dict], None]:
    """An edit of one field of annotation ``aid``."""
    def edit(doc: dict) -> None:
        _ann(doc, aid)[key] = value
    return edit


def _add(kind: str, record: dict) -> Callable[[dict], None]:
    """An edit appending a record to ``images`` or ``categories``."""
    return lambda doc: doc[kind].append(dict(record))


def _at_record(aid: int, tail: str) -> Callable[[dict], str]:
    """The JSON path of annotation ``aid``'s record, as the importer names it."""
    return lambda doc: f"annotations[{_index(doc, aid)}]{tail}"


def _fixed(place: str) -> Callable[[dict], str]:
    return lambda _doc: place


#: name -> (edit of the clean document, rule validate must give, its place there)
PLANTS: dict[str, tuple[Callable[[dict], None], str, Callable[[dict], str]]] = {
    "duplicate_image_id": (_add("images", {"id": 2, "file_name": "img4.png", "height": 8,
                                           "width": 8}), "refused-record", _fixed("images[3].id")),
    "duplicate_annotation_id": (_set(4, "id", 1), "duplicate-annotation-id",
                                _fixed("train/img3: annotation 1")),
    "unknown_image": (_set(2, "image_id", 99), "refused-record", _at_record(2, ".image_id")),
    "unknown_category": (_set(3, "category_id", 7), "refused-record",
                         _at_record(3, ".category_id")),
    # image 2 is 50 pixels wide
    "box_outside": (_set(5, "bbox", [45, 10, 20, 5]), "box-outside-image",
                    _fixed("train/img2: annotation 5")),
    "zero_box": (_set(5, "bbox", [30, 10, 0, 5]), "box-not-positive",
                 _fixed("train/img2: annotation 5")),
    "negative_box": (_set(5, "bbox", [30, 10, -6, 5]), "refused-record", _at_record(5, ".bbox")),
    "wrong_area": (_set(1, "area", 500.0), "area-mismatch", _fixed("train/img1: annotation 1")),
    "small_polygon": (_set(2, "segmentation", [[20, 5, 28, 5]]), "refused-record",
                      _at_record(2, ".segmentation[0]")),
    "rle_wrong_size": (_set(6, "segmentation", {"size": [10, 10], "counts": [50, 50]}),
                       "refused-record", _at_record(6, ".segmentation")),
    "rle_wrong_sum": (_set(6, "segmentation", {"size": [64, 64], "counts": [100, 20, 5]}),
                      "refused-record", _at_record(6, ".segmentation")),
    "unused_category": (_add("categories", {"id": 3, "name": "bird", "supercategory": "animal"}),
                        "unused-category", _fixed("categories['bird']")),
    "missing_image": (_add("images", {"id": 4, "file_name": "gone.png", "height": 8,
                                      "width": 8}), "missing-image", _fixed("train/gone")),
    "annotation_id_zero": (_set(5, "id", 0), "annotation-id-zero",
                           _fixed("train/img2: annotation 0")),
    "crowd_polygon": (_set(3, "iscrowd", 1), "crowd-without-rle",
                      _fixed("train/img2: annotation 3")),
    "crowd_as_text": (_set(1, "iscrowd", "0"), "repaired-on-import", _fixed("")),
}


def planted(root: Path, names: list[str] | None = None) -> tuple[Path, list[tuple[str, str]]]:
    """The dataset with the named defects (all by default) and what each must give.
    The missing image's file is not written; every other image is."""
    doc = clean_doc()
    expected = []
    for name in names or list(PLANTS):
        edit, rule, place = PLANTS[name]
        edit(doc)
        expected.append((rule, place(doc)))
    return write(root, doc, skip_images=("gone.png",)), expected
