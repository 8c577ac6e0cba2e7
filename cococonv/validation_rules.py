"""The model rules of ``cococonv validate``: what an importer keeps but a dataset should
not hold. Each rule looks at one item (or the whole dataset) and yields Findings.

Severity: an error is a value the format's spec or its tools refuse (a box of no size, an
RLE that does not fit its image, an image id used twice); a warning is a smell that tools accept
but that usually means a mistake (a box past the image edge, a declared area far from the
shape's, an unused category, a missing image, annotation id 0, a crowd object without RLE,
an annotation id used by two objects).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .measures import image_size, object_area, objects_of
from .model import Annotation, Bbox, Caption, Dataset, Item, Label, Mask, Points, Polygon
from .findings import ERROR, WARNING, Finding

#: A declared area may differ from the computed one by this share of the computed area
#: (and by at least one pixel) before it is a smell: rasterised and exact polygon areas
#: differ by about the perimeter's half-pixel band, so exact equality is not expected.
DEFAULT_AREA_TOLERANCE = 0.1

#: How far (pixels) a box may pass the image edge before it is outside: coordinates of
#: pixel corners end at the image size, and rounding puts many a box a fraction past it.
EDGE_TOLERANCE = 1.0


def check_dataset(dataset: Dataset, area_tolerance: float) -> list[Finding]:
    """Every model rule over ``dataset``, items in order, then the dataset-wide ones."""
    findings: list[Finding] = []
    used: set[int] = set()
    image_ids: dict[tuple[str, Any], str] = {}
    object_ids: dict[tuple[str, str, Any], str] = {}
    for item in dataset:
        findings += _image_findings(item, image_ids)
        for shapes in objects_of(item):
            used.update(a.label for a in shapes if a.label is not None)
            findings += _id_findings(item, shapes, object_ids)
            findings += _object_findings(item, shapes, area_tolerance)
    for index, label in enumerate(dataset.categories.labels):
        if index not in used and not label.placeholder:
            findings.append(Finding("unused-category", WARNING,
                                    f"category {label.name!r} has no annotation",
                                    where=f"categories[{label.name!r}]"))
    return findings


def _at(item: Item, ann: Annotation | None, rule: str, severity: str,
        message: str) -> Finding:
    return Finding(rule, severity, message, subset=item.subset, item=item.id,
                   annotation=None if ann is None else ann.id)


def _image_findings(item: Item, image_ids: dict[tuple[str, Any], str]) -> Iterator[Finding]:
    if item.image is None or not item.image.has_data:
        name = item.image.name if item.image is not None else item.id
        yield _at(item, None, "missing-image", WARNING, f"image file {name!r} is not in the input")
    if item.image_id is not None:
        key = (item.subset, item.image_id)
        first = image_ids.setdefault(key, item.id)
        if first != item.id:
            yield _at(item, None, "duplicate-image-id", ERROR,
                      f"image id {item.image_id!r} is also the id of item {first!r}")


def _family(shapes: list[Annotation]) -> str:
    """Which id space an object's id lives in: COCO's person_keypoints files reuse the
    instances ids of the same people, and captions and image labels have their own. The
    model does not say which file of a subset an object came from, so two files of one
    family that each number from 1 (COCO panoptic and stuff) are reported too: that is
    why a repeated id is a warning here (the importer warns of one repeated in a file)."""
    kinds = {type(a) for a in shapes}
    if Points in kinds:
        return "keypoints"
    if kinds == {Caption}:
        return "captions"
    if kinds == {Label}:
        return "labels"
    return "objects"


def _id_findings(item: Item, shapes: list[Annotation],
                 object_ids: dict[tuple[str, str, Any], str]) -> Iterator[Finding]:
    leader = shapes[0]
    aid = leader.id
    if aid is None:
        return
    if aid == 0 and type(aid) is int:
        yield _at(item, leader, "annotation-id-zero", WARNING,
                  "annotation id 0: pycocotools' COCOeval takes 0 for 'no match', so this "
                  "object is never counted as matched")
    key = (item.subset, _family(shapes), aid)
    place = f"{item.id}#{id(leader.extra)}"
    first = object_ids.setdefault(key, place)
    if first != place:
        yield _at(item, leader, "duplicate-annotation-id", WARNING,
                  f"annotation id {aid!r} is used by another object of subset "
                  f"{item.subset!r} (item {first.rsplit('#', 1)[0]!r})")


def _object_findings(item: Item, shapes: list[Annotation],
                     area_tolerance: float) -> Iterator[Finding]:
    size = image_size(item)
    leader = shapes[0]
    for ann in shapes:
        yield from _shape_findings(item, ann, size)
    declared_box = leader.declared_bbox
    if declared_box is not None and not (type(leader) is Bbox
                                         and leader.bounds() == list(declared_box)):
        yield from _box_findings(item, leader, declared_box, size, "declared box")
    crowd = any(a.attributes.get("is_crowd") for a in shapes)
    if crowd and not any(type(a) is Mask for a in shapes):
        yield _at(item, leader, "crowd-without-rle", WARNING,
                  "a crowd object (iscrowd 1) has no RLE mask; COCO crowd regions are RLE")
    declared = leader.declared_area
    if declared is not None and any(type(a) in (Polygon, Mask) for a in shapes):
        computed = object_area(shapes, size)
        if computed is not None and abs(declared - computed) > max(
                1.0, area_tolerance * computed):
            yield _at(item, leader, "area-mismatch", WARNING,
                      f"declared area {declared:g} differs from the segmentation's "
                      f"{computed:g} by more than {area_tolerance:.0%}")


def _shape_findings(item: Item, ann: Annotation,
                    size: tuple[int, int] | None) -> Iterator[Finding]:
    kind = type(ann)
    if kind is Bbox:
        yield from _box_findings(item, ann, ann.bounds(), size, "box")
    elif kind is Polygon and (len(ann.points) < 6 or len(ann.points) % 2):
        yield _at(item, ann, "polygon-too-small", ERROR,
                  f"a polygon needs at least 3 points, got {len(ann.points)} numbers")
    elif kind is Mask:
        from . import masks
        try:
            masks.check_rle(ann.rle, *(size or (None, None)))
        except ValueError as exc:
            rule = "rle-size" if "size" in str(exc) and "sum" not in str(exc) else "rle-counts"
            yield _at(item, ann, rule, ERROR, str(exc))


def _box_findings(item: Item, ann: Annotation, box: list[float],
                  size: tuple[int, int] | None, what: str) -> Iterator[Finding]:
    x, y, w, h = box
    if w <= 0 or h <= 0:
        yield _at(item, ann, "box-not-positive", ERROR,
                  f"{what} {_show(box)} has a width or height that is not positive")
        return
    if size is None:
        return
    height, width = size
    tol = EDGE_TOLERANCE
    if x < -tol or y < -tol or x + w > width + tol or y + h > height + tol:
        yield _at(item, ann, "box-outside-image", WARNING,
                  f"{what} {_show(box)} passes the edge of the {width}x{height} image")


def _show(box: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in box) + "]"
