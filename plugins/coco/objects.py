"""COCO instances, stuff and person_keypoints records to model shapes.

One record can give several shapes (a polygon per ring, keypoints beside their outline): they
share a group so every format can keep them together. This loop runs once per object of
multi-GB files, so its common case (known image and category, no attributes) is inlined.
"""
from __future__ import annotations

from typing import Any

from cococonv.errors import DataError
from cococonv.limits import (box_checker, box_problem, coordinate_bounds, coordinates_problem,
                             ring_checker)
from cococonv.model import Bbox, Label, Mask, Points, Polygon

from . import tasks as T
from .grouping import LINK_ATTRIBUTE
from .keypoints import KeypointReader
from .records import (ID_TYPES, NUMBER, all_numbers, box_within, check_rle, common_fields,
                      read_crowd, ring_problem, type_name)
from .scope import CocoScope


def read_objects(scope: CocoScope, annotations: list, task: str) -> None:
    """instances, stuff and person_keypoints records: shapes, boxes and keypoints."""
    keypoints_task = task == T.PERSON_KEYPOINTS
    flat_rings = 0
    crowd_repairs = 0
    seen_ids: set = set()
    duplicate_ids = 0
    image_map = scope.images.image_map
    cat_map = scope.labels.cat_map
    keypoint_reader = KeypointReader(scope.categories, scope.error)
    ring_within = ring_checker()  # one C pass each where built; a False runs the full
    box_ok = box_checker()  # checks (_check_ring, _check_box), which say what is wrong
    bounds_h = bounds_w = low = high = 0  # low, high: for this image size (most share one)
    for i, ann in enumerate(scope.report.progress(annotations, desc=task)):
        try:
            # The common cases are inlined (known image and category, no attributes):
            # this loop runs once per object of multi-GB files.
            if type(ann) is not dict:
                raise scope.error(f"must be an object, got {type_name(ann)}", f"annotations[{i}]")
            image_id = ann.get("image_id")
            found = image_map.get(image_id) if type(image_id) in ID_TYPES else None
            if found is not None:
                del ann["image_id"]
                item, height, width = found
            else:
                item, height, width = scope.images.item_of(ann, i)
            if "attributes" in ann or "score" in ann or type(ann.get("id")) not in ID_TYPES:
                aid, attrs = common_fields(scope, ann, i)
                link = attrs.pop(LINK_ATTRIBUTE, None) if LINK_ATTRIBUTE in attrs else None
                if link is not None and type(link) is not int:
                    attrs[LINK_ATTRIBUTE] = link  # not ours: an ordinary attribute
                    link = None
            else:
                aid = ann.pop("id")
                attrs = {}
                link = None
            if aid is not None:
                if aid in seen_ids:
                    duplicate_ids += 1
                else:
                    seen_ids.add(aid)
            cid = ann.get("category_id")
            label = cat_map.get(cid) if type(cid) in ID_TYPES else None
            if label is not None:
                del ann["category_id"]
            else:
                label = scope.labels.label_of(ann, i, zero_unlabelled=True)
            if label is None:
                ann["_no_category"] = True  # written back without one, as the source had
            crowd = ann.pop("iscrowd", 0)
            if type(crowd) is not int or crowd not in (0, 1):
                crowd, repaired = read_crowd(scope, crowd, i)
                crowd_repairs += repaired
            attrs["is_crowd"] = bool(crowd)
            bbox = ann.get("bbox")
            if height and width:
                if height != bounds_h or width != bounds_w:  # the inline checks' range
                    bounds_h, bounds_w = height, width
                    low, high = coordinate_bounds(height, width)
                if bbox is not None and not box_ok(bbox, low, high):
                    _check_box(scope, bbox, height, width, i)
            elif bbox is not None:
                _check_box(scope, bbox, None, None, i)
            area = ann.get("area")
            if area is not None and type(area) not in NUMBER:
                raise scope.error(f"must be a number, got {area!r}", f"annotations[{i}].area")
            seg = ann.pop("segmentation", None)
            keypoints = ann.pop("keypoints", None) if keypoints_task else None
            group = scope.link_group(item, link) if link is not None else 0
            shapes: list = []
            if type(seg) is list and seg:
                if type(seg[0]) is list:
                    if not group and (len(seg) > 1 or keypoints is not None):
                        group = scope.next_group(item)
                    for j, ring in enumerate(seg):
                        if not (height and width and ring_within(ring, low, high)):
                            _check_ring(scope, ring, height, width, i, j)
                        shapes.append(Polygon(id=aid, label=label, group=group,
                                              attributes=attrs, extra=ann, points=ring,
                                              declared_bbox=bbox, declared_area=area))
                elif type(seg[0]) in NUMBER:
                    # A flat ring instead of a list of rings (RedBrick and some scripts).
                    if len(seg) < 6 or len(seg) % 2 or not all_numbers(seg):
                        raise scope.error(ring_problem(seg), f"annotations[{i}].segmentation")
                    if height and width and not (
                            low <= min(seg) and max(seg) <= high) and (
                            problem := coordinates_problem(seg, height, width)):
                        raise scope.error(problem, f"annotations[{i}].segmentation")
                    flat_rings += 1
                    if keypoints is not None and not group:
                        group = scope.next_group(item)
                    shapes.append(Polygon(id=aid, label=label, group=group, attributes=attrs,
                                          extra=ann, points=seg, declared_bbox=bbox,
                                          declared_area=area))
                else:
                    raise scope.error(f"expected polygons or RLE, got a list of "
                                     f"{type_name(seg[0])}", f"annotations[{i}].segmentation")
            elif type(seg) is dict:
                check_rle(scope, seg, height, width, i)
                if keypoints is not None and not group:
                    group = scope.next_group(item)
                shapes.append(Mask(id=aid, label=label, group=group, attributes=attrs,
                                   extra=ann, rle=seg, declared_bbox=bbox, declared_area=area))
            elif seg is not None and seg != []:
                raise scope.error(f"expected polygons or RLE, got {type_name(seg)}",
                                 f"annotations[{i}].segmentation")
            if keypoints is not None:
                points, visibility = keypoint_reader.read(keypoints, label, i)
                shapes.insert(0, Points(id=aid, label=label, group=group, attributes=attrs,
                                        extra=ann, points=points, visibility=visibility,
                                        declared_bbox=bbox, declared_area=area))
            if not shapes:
                if bbox is not None:
                    # its declared_bbox marks the box as COCO's own (not rotated)
                    shapes.append(Bbox(id=aid, label=label, group=group, attributes=attrs,
                                       extra=ann, x=bbox[0], y=bbox[1], w=bbox[2], h=bbox[3],
                                       declared_bbox=bbox, declared_area=area))
                else:
                    shapes.append(Label(id=aid, label=label, group=group, attributes=attrs,
                                        extra=ann, declared_area=area))
            # the declared box and area went onto each shape (a null one stays in the
            # record, COCO's own key, as the source had it)
            if bbox is not None:
                del ann["bbox"]
            if area is not None:
                del ann["area"]
            if task != T.INSTANCES:
                derived = T.PERSON_KEYPOINTS if keypoints is not None else T.INSTANCES
                if task != derived or task == T.STUFF:
                    ann["coco_task"] = task
            elif type(shapes[0]) is Label:
                ann["coco_task"] = task
            item.annotations.extend(shapes)
        except DataError as err:
            scope.report.bad_record(err)
    keypoint_reader.warn(scope.report, scope.display)
    if flat_rings:
        scope.report.approximated("flat segmentation lists", "read as one polygon each",
                                 flat_rings)
    if crowd_repairs:
        scope.report.approximated("iscrowd values given as text or bool", "read as 0/1",
                                 crowd_repairs)
    if duplicate_ids:
        scope.report.warn(f"{scope.display}: {duplicate_ids} annotations reuse an id already "
                         f"used in this file; ids are kept as they are")


def _check_box(scope: CocoScope, bbox: Any, height: int | None, width: int | None,
               i: int) -> None:
    """Refuse annotation ``i``'s bbox unless it is ``[x, y, w, h]`` numbers, not inverted,
    within its image's coordinate bounds (when the size is known)."""
    if type(bbox) is not list or len(bbox) != 4 or not all_numbers(bbox):
        raise scope.error(f"expected [x, y, width, height] numbers, got {bbox!r}"[:200],
                          f"annotations[{i}].bbox")
    if bbox[2] < 0 or bbox[3] < 0:
        # written on as an inverted box (VOC xmax < xmin), which readers refuse
        raise scope.error(f"width and height must not be negative, got {bbox!r}"[:200],
                          f"annotations[{i}].bbox")
    if height and width:
        low, high = coordinate_bounds(height, width)
        if not box_within(bbox, low, high) and (problem := box_problem(bbox, height, width)):
            raise scope.error(problem, f"annotations[{i}].bbox")


def _check_ring(scope: CocoScope, ring: Any, height: int | None, width: int | None, i: int,
                j: int) -> None:
    """Refuse ring ``j`` of annotation ``i`` unless it is a polygon of numbers within its
    image's coordinate bounds (when the size is known)."""
    if type(ring) is not list or len(ring) < 6 or len(ring) % 2 or not all_numbers(ring):
        raise scope.error(ring_problem(ring), f"annotations[{i}].segmentation[{j}]")
    if height and width:
        low, high = coordinate_bounds(height, width)
        if not (low <= min(ring) and max(ring) <= high) and (
                problem := coordinates_problem(ring, height, width)):
            raise scope.error(problem, f"annotations[{i}].segmentation[{j}]")
