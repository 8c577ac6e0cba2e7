"""One SA-1B file's values into the model: the image record and each annotation record.

Every value is checked before it is kept, so what an exporter meets is what it expects: a
bad one raises DataError whose ``where`` names the key (``annotations[3].segmentation``
is made by the reader from the index). The SA-only fields (``predicted_iou``,
``stability_score``, ``point_coords``, ``crop_box``) go to ``extra["segment_anything"]``
of the mask, and keys SA-1B does not define to its ``"keys"``, so an SA -> SA run writes
them back and any other target reports them lost.
"""
from __future__ import annotations

import math
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import box_problem, declared_image_size
from cococonv.model import Mask
from cococonv.text import shown

NAMESPACE = "segment_anything"
#: The annotation keys SA-1B defines, in the order its files (and our writer) give them.
ANNOTATION_KEYS = ("id", "segmentation", "bbox", "area", "predicted_iou", "point_coords",
                   "crop_box", "stability_score")
#: Those only SA-1B has: kept in the mask's namespace, lost (and reported) elsewhere.
SA_FIELDS = ("predicted_iou", "point_coords", "crop_box", "stability_score")
IMAGE_KEYS = ("image_id", "width", "height", "file_name")
FILE_KEYS = ("image", "annotations")


def is_number(value: Any) -> bool:
    """A finite JSON number within 1e15 (a bool is not one; no pixel value is larger)."""
    return type(value) in (int, float) and -1e15 <= value <= 1e15 and not math.isnan(value)


def _numbers(value: Any, count: int, what: str, key: str) -> list[float]:
    if type(value) is not list or len(value) != count or not all(map(is_number, value)):
        raise DataError(f"expected {what}, got {shown(value)}", where=key)
    return value


def image_size(image: dict[str, Any]) -> tuple[int, int] | None:
    """``(height, width)`` of the image record; None when it gives neither."""
    return declared_image_size(image, prefix="image.")


def image_id(image: dict[str, Any]) -> int | str | None:
    value = image.get("image_id")
    if value is not None and type(value) not in (int, str):
        raise DataError(f"must be a whole number, got {shown(value)}", where="image.image_id")
    return value


def file_name(image: dict[str, Any]) -> str:
    value = image.get("file_name")
    if type(value) is not str or not value:
        raise DataError(f"must name the image file, got {shown(value)}",
                        where="image.file_name")
    return value


def unknown_keys(record: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in known}


def read_annotation(record: Any, size: tuple[int, int] | None, label: int | None) -> Mask:
    """One annotation record as a Mask, its box and area as declared, its SA-only fields in
    its namespace. Raises DataError naming the key (relative to the record)."""
    from cococonv import masks  # numpy and pycocotools: not for `cococonv --help`

    if type(record) is not dict:
        raise DataError(f"must be an object, got {type(record).__name__}")
    rle = record.get("segmentation")
    if rle is None:
        raise DataError("missing: every SA-1B annotation is a mask (RLE)",
                        where="segmentation")
    try:
        masks.check_rle(rle, *(size if size is not None else (None, None)))
    except ValueError as exc:
        raise DataError(str(exc), where="segmentation") from None
    ann_id = record.get("id")
    if ann_id is not None and type(ann_id) not in (int, str):
        raise DataError(f"must be a whole number, got {shown(ann_id)}", where="id")
    mask = Mask(id=ann_id, label=label, rle=rle)
    box = record.get("bbox")
    if box is not None:
        mask.declared_bbox = _numbers(box, 4, "[x, y, width, height]", "bbox")
        problem = box_problem(box, *size) if size is not None else None
        if box[2] < 0 or box[3] < 0 or problem:
            raise DataError(problem or f"a box of negative size {shown(box)}", where="bbox")
    area = record.get("area")
    if area is not None:
        if not is_number(area) or area < 0:
            raise DataError(f"must be a number of pixels, got {shown(area)}", where="area")
        mask.declared_area = area
    own = _sa_fields(record)
    keys = unknown_keys(record, ANNOTATION_KEYS)
    if keys:
        own["keys"] = keys
    if own:
        mask.extra[NAMESPACE] = own
    return mask


def _sa_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The SA-only fields the record has, checked (SAM writes them so)."""
    own: dict[str, Any] = {}
    for key in ("predicted_iou", "stability_score"):
        value = record.get(key)
        if value is not None:
            if not is_number(value):
                raise DataError(f"must be a number, got {shown(value)}", where=key)
            own[key] = value
    crop = record.get("crop_box")
    if crop is not None:
        own["crop_box"] = crop if crop == [] else \
            _numbers(crop, 4, "[x, y, width, height]", "crop_box")
    points = record.get("point_coords")
    if points is not None:
        if type(points) is not list:
            raise DataError(f"expected [[x, y], ...], got {shown(points)}",
                            where="point_coords")
        for k, point in enumerate(points):
            if point != []:  # Datumaro writes [[]] for a mask without its prompt point
                _numbers(point, 2, "[x, y]", f"point_coords[{k}]")
        own["point_coords"] = points
    return {key: own[key] for key in SA_FIELDS if key in own}
