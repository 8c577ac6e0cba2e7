"""One COCO object record: outlines joined, box and area computed when the source did not
declare them (a lone polygon that declared both is written as it was). The outline forms
--segmentation-mode asks for are made before, by the transform's per-item work."""
from __future__ import annotations

from typing import Any

from cococonv.geometry import points_bbox, rotation_of, shoelace_area
from cococonv.joined import CLASH_WHY, joined_attributes
from cococonv.model import Annotation, Bbox, Ellipse, Item, Label, Mask, Points, Polygon, Polyline
from cococonv.ring_area import ring_area

from . import tasks as T
from .grouping import declares
from .record_maker import RecordMaker


def object_record(maker: RecordMaker, obj: list[Annotation], item: Item, iid: Any,
                  task: str, link: int = 0) -> dict | None:
    """One COCO record for one object of ``group_objects``; ``link`` is its group when the
    group spans several records. None when COCO can hold none of it (polylines only,
    unlabelled shapes)."""
    leader = obj[0]
    if type(leader) is Polygon and leader.label is not None and (
            len(obj) == 1 or _rings_of_one_record(obj, leader)):
        # The common case: the polygons of one source record (COCO's, with its declared
        # box and area; YOLO's, measured here): the general path below gives the same.
        rings = [leader.points] if len(obj) == 1 else [p.points for p in obj]
        bbox = leader.declared_bbox
        if bbox is None:
            bbox = _bbox(rings, None, [], [])
        area = leader.declared_area
        if area is None:
            size = item.image.size if item.image is not None else None
            area = _area(rings, None, [], bbox, *(size or (None, None)))
        record = {"id": leader.id, "image_id": iid,
                  "category_id": maker.category(leader.label), "segmentation": rings,
                  "area": area, "bbox": bbox,
                  "iscrowd": 1 if leader.attributes.get("is_crowd") else 0}
        maker.finish(record, leader, task)
        if link:
            maker.link(record, link)
        return record
    polygons: list = []
    masks_: list = []
    boxes: list = []
    points: list = []
    ellipses: list = []
    lines: list = []
    buckets = {Polygon: polygons, Mask: masks_, Bbox: boxes, Points: points,
               Ellipse: ellipses, Polyline: lines}
    for ann in obj:
        bucket = buckets.get(type(ann))
        if bucket is not None:
            bucket.append(ann)
    if lines:
        maker.report.lost("polylines", "COCO has no open lines", len(lines))
        if len(lines) == len(obj):
            return None
    extra = leader.extra
    attrs = leader.attributes
    crowd = bool(attrs.get("is_crowd", False))
    record: dict[str, Any] = {"id": leader.id, "image_id": iid}
    if leader.label is not None:
        record["category_id"] = maker.category(leader.label)
    if type(leader) is Label and not polygons and not masks_ and not boxes and not points:
        if leader.label is None:  # a classification answer in `annotations` (RedBrick)
            maker.report.approximated("image labels without a class",
                                      "written back without a category_id, as the source "
                                      "had them (pycocotools needs one)", 1)
        maker.finish(record, leader, task)
        if link:
            maker.link(record, link)
        return record
    if leader.label is None and not extra.get("_no_category"):
        maker.report.lost("unlabelled shapes", "COCO needs a category_id",
                          len(obj) - len(lines))
        return None
    height, width = item.image.size if item.image is not None and item.image.size \
        else (None, None)
    rings = [p.points for p in polygons]
    if ellipses:
        from cococonv.geometry import ellipse_to_polygon
        rings += [ellipse_to_polygon(e) for e in ellipses]
        maker.report.approximated("ellipses", "written as 64-point polygons", len(ellipses))
    # A box COCO itself declared (CVAT's COCO export adds a "rotation" attribute) stays a
    # box; a rotated box from CVAT becomes its outline.
    rotated = [b for b in boxes if rotation_of(b) and b.declared_bbox is None]
    if rotated:
        from cococonv.geometry import box_corners
        rings += [box_corners(b) for b in rotated]
        boxes = [b for b in boxes if b not in rotated]
        maker.report.approximated("rotated boxes", "written as 4-point polygons",
                                  len(rotated))
    segmentation, seg_rle = _segmentation(maker, rings, masks_, crowd, height, width)
    record["segmentation"] = [] if segmentation is None else segmentation
    area = leader.declared_area
    bbox = leader.declared_bbox
    # Rings of one COCO record share its extra; another record's declared box and
    # area (two records linked by group_id, one category) are not this object's.
    others = {id(a.extra) for a in obj if a.extra is not extra and declares(a, "bbox")}
    if others:
        area = bbox = None
        maker.report.approximated("COCO records of one category and group_id",
                                  "joined into one object with all their outlines",
                                  len(others))
    if bbox is None:
        bbox = _bbox(rings, seg_rle, boxes, points)
    if not segmentation and not rings and not masks_ and bbox and \
            maker.opts["box_segmentation"] == "polygon":
        x, y, w, h = bbox
        record["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    if area is None:
        area = _area(rings, seg_rle, boxes, bbox, height, width)
    record["area"] = area
    record["bbox"] = bbox
    record["iscrowd"] = 1 if crowd else 0
    if boxes and (rings or masks_ or (points and task == T.PERSON_KEYPOINTS)):
        maker.report.approximated("boxes joined with the shape or keypoints they bound",
                                  "written as that COCO object's bbox", len(boxes))
    if points:
        if task == T.PERSON_KEYPOINTS:
            pts = points[0]
            flat: list[Any] = []
            for k, v in enumerate(pts.visibility):
                flat += (pts.points[2 * k], pts.points[2 * k + 1], v)
            record["keypoints"] = flat
            num = extra.get("num_keypoints")
            record["num_keypoints"] = num if num is not None else \
                sum(1 for v in pts.visibility if v)
        else:
            maker.report.lost("keypoints", f"{task} has no keypoints (add "
                              f"person_keypoints to --tasks)", len(points))
    attributes, clashes = joined_attributes(
        [leader, *(a for a in obj[1:] if type(a) is not Polyline)]) if len(obj) > 1 \
        else (attrs, 0)
    if clashes:
        maker.report.lost("annotation attributes", CLASH_WHY, clashes)
    maker.finish(record, leader, task, drop=("rotation",) if rotated or ellipses else (),
                 attributes=attributes)
    if link:
        maker.link(record, link)
    return record


def _rings_of_one_record(obj: list[Annotation], leader: Annotation) -> bool:
    """Whether every shape of ``obj`` is a polygon of the leader's record: its extra and
    attributes (the same dicts: nothing to join), its label."""
    extra, attrs, label = leader.extra, leader.attributes, leader.label
    for ann in obj:
        if type(ann) is not Polygon or ann.extra is not extra or \
                ann.attributes is not attrs or ann.label != label:
            return False
    return True


def _segmentation(maker: RecordMaker, rings: list[list[float]], masks_: list[Mask],
                  crowd: bool, height: int | None, width: int | None) -> tuple[Any, dict | None]:
    """The outline as written and its RLE when it has one. --segmentation-mode already
    chose the forms (export_item runs the transform's per-item work); here an object's
    masks joined with its other outlines become one RLE."""
    # cococonv.masks (numpy, pycocotools) is imported only where a mask is computed.
    size_known = height is not None and width is not None
    if masks_ and (rings or len(masks_) > 1):
        if not size_known:
            size = masks_[0].rle["size"]
            height, width = size[0], size[1]
        from cococonv import masks
        from cococonv.geometry import rasterize
        rle = rasterize(masks_ + [Polygon(points=r) for r in rings], height, width)
        maker.report.approximated("masks and polygons joined with another outline of "
                                  "their object", "merged into one RLE",
                                  len(masks_) + len(rings) - 1)
        return (masks.uncompress(rle) if crowd else rle), rle
    if masks_:
        return masks_[0].rle, masks_[0].rle
    if rings:
        return rings, None
    return [], None


def _bbox(rings: list[list[float]], rle: dict | None, boxes: list[Bbox],
          points: list[Points]) -> list[float]:
    if boxes:
        return boxes[0].bounds()
    if rle is not None:
        from cococonv import masks
        return masks.bbox(rle)
    if rings:
        # one ring (the usual object) is its own flat list: no copy per record
        return points_bbox(rings[0] if len(rings) == 1 else [v for ring in rings for v in ring])
    if points:
        pts = points[0]
        visible = []
        for k, v in enumerate(pts.visibility):
            if v:
                visible += (pts.points[2 * k], pts.points[2 * k + 1])
        return points_bbox(visible)
    return [0, 0, 0, 0]


def _area(rings: list[list[float]], rle: dict | None, boxes: list[Bbox],
          bbox: list[float], height: int | None, width: int | None) -> float:
    if rle is not None:
        from cococonv import masks as m
        return m.area(rle)
    if rings:
        if height is not None and width is not None:
            found = ring_area(rings, height, width)  # no numpy import for a lone ring
            if found is not None:
                return found
            from cococonv import masks as m
            return m.polygons_area(rings, height, width)
        return sum(shoelace_area(r) for r in rings)
    return bbox[2] * bbox[3]
