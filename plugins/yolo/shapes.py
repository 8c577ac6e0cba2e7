"""Model annotations as YOLO lines for one task, with what each line lost or changed.

detect: boxes (rotated boxes by their bounds; polygons and masks by their boxes under
an explicit --task detect). segment: polygons, masks traced into exact polygons (holes
filled: a YOLO polygon has none), boxes as 4-corner polygons (Ultralytics reads a
segment file's lines as polygons only). pose: a box and the keypoints of its group
(boxes without keypoints get all-zero keypoints; keypoints without a box get their
bounds). obb: boxes (rotated or not) and 4-point polygons as 4 corners.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from cococonv.foreign_fields import outline
from cococonv.geometry import box_corners, is_rotated, points_bbox
from cococonv.model import Annotation, Bbox, Mask, Points, Polygon
from cococonv.raster.speedups import fasttext

TASKS = ("detect", "segment", "pose", "obb")

# Report lines: (kind, "lost" or "approximated", what, why/how).
EVENTS = {
    "rotated_bounds": ("approximated", "boxes", "rotated boxes written as their bounds"),
    "box_polygon": ("approximated", "boxes", "written as 4-corner polygons (a segment "
                                             "dataset holds polygons only)"),
    "shape_bounds": ("approximated", "polygons and masks", "written as their boxes "
                                                            "(--task detect)"),
    "traced": ("approximated", "masks", "traced into exact polygons"),
    "holes": ("approximated", "masks", "holes filled: a YOLO polygon has no holes"),
    "untraced": ("lost", "masks", "could not be traced into polygons"),
    "kpt_box": ("approximated", "keypoints", "given a box from their points' bounds, as a "
                                             "pose line needs one"),
    "kpt_count": ("lost", "keypoints", "their count differs from the dataset's kpt_shape"),
    "no_kpt_task": ("lost", "keypoints", "only a pose dataset holds keypoints"),
    "no_area_task": ("lost", "polygons and masks", "a pose or OBB dataset holds boxes only "
                                                   "(OBB: 4-point polygons too)"),
    "obb_polygon": ("lost", "polygons", "an OBB line holds exactly 4 corners"),
    "ellipses": ("lost", "ellipses", "YOLO has no ellipses"),
    "polylines": ("lost", "polylines", "YOLO has no open lines"),
    "captions": ("lost", "captions", "YOLO has no captions"),
    "labels": ("lost", "image labels", "YOLO labels objects, not images"),
    "unlabelled": ("lost", "annotations", "without a class"),
    "attributes": ("lost", "attributes", "a YOLO line holds no attributes (a score only "
                                         "with --save-scores)"),
    "groups": ("lost", "groups", "each YOLO line stands alone (rings and parts of one "
                                 "object become separate objects; only cococonv reads "
                                 "them back, from yolo_meta.json)"),
    "clipped": ("approximated", "shapes", "clipped to the image (YOLO coordinates lie in "
                                          "0..1)"),
    "no_size": ("lost", "annotations", "the image size is unknown, and YOLO coordinates "
                                       "are fractions of it"),
    "void": ("lost", "void regions", "YOLO marks no pixels as ignored (VOC's 255)"),
    "image_attributes": ("lost", "image attributes", "YOLO keeps an image's file, size and "
                                                     "id only (yolo_meta.json)"),
}


def fmt(value: float) -> str:
    """A normalised value with 10 decimals at most and no trailing zeros."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_all(values: list[float]) -> str:
    """The values as ``fmt`` writes each, space-separated: one %-format for the line,
    then its trailing zeros dropped with str.replace (a dataset has millions of values;
    per-value formatting was most of a coco -> yolo run)."""
    text = ("%.10f " * len(values)) % tuple(values)
    while "0 " in text:  # at most 10 passes: a "." stops each value's zeros
        text = text.replace("0 ", " ")
    text = text.replace(". ", " ")
    if "-" in text:
        text = " " + text
        while " -0 " in text:  # twice for neighbours: a match takes the space between
            text = text.replace(" -0 ", " 0 ")
        text = text[1:]
    return text.rstrip(" ")


class LineMaker:
    """Lines of one item; ``events`` counts the EVENTS keys it met."""

    def __init__(self, task: str, classes: dict[int, int], size: tuple[int, int],
                 kpt_count: int, save_scores: bool):
        self.task, self.classes, self.kpt_count = task, classes, kpt_count
        self.height, self.width = size
        self.save_scores = save_scores
        self.events: Counter[str] = Counter()
        self.box_lines: list[int] = []  # lines that are boxes written as polygons
        self.line_groups: list[int] = []  # each line's object group (0: none)
        self.fast = fasttext()  # the compiled coordinate text (the same bytes), or None

    def _fractions(self, points: list[float]) -> list[float]:
        """Pixel coordinates as fractions of the image, clipped to 0..1 (counted)."""
        width, height = self.width, self.height
        out = list(points)
        out[0::2] = [x / width for x in points[0::2]]
        out[1::2] = [y / height for y in points[1::2]]
        if out and (min(out) < 0 or max(out) > 1):
            self.events["clipped"] += 1
            out = [min(max(v, 0.0), 1.0) + 0.0 for v in out]
        return out

    def _coords(self, points: list[float]) -> str:
        if self.fast is not None:
            try:
                text, clipped = self.fast.fractions(points, self.width, self.height)
            except (ValueError, TypeError, OverflowError):
                pass  # the Python path below formats (or refuses) what C would not
            else:
                if clipped:
                    self.events["clipped"] += 1
                return text
        return fmt_all(self._fractions(points))

    def _line(self, cls: int, values: str, ann: Annotation) -> str:
        score = ann.attributes.get("score")
        extra = [k for k in ann.attributes if k != "score" or not self.save_scores]
        if extra:
            self.events["attributes"] += 1
        if self.save_scores and type(score) in (int, float) and 0 <= score <= 1:
            values = f"{values} {fmt(float(score))}"
        return f"{cls} {values}"

    def _box(self, x: float, y: float, w: float, h: float) -> str:
        """``cx cy w h``; clipped to the image only when a value leaves 0..1 (a box over
        the edge is valid YOLO while its centre and size are fractions)."""
        values = [(x + w / 2) / self.width, (y + h / 2) / self.height, w / self.width,
                  h / self.height]
        if not all(0 <= v <= 1 for v in values):
            x0, y0, x1, y1 = self._fractions([x, y, x + w, y + h])
            values = [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
        return fmt_all(values)

    def lines(self, annotations: list[Annotation]) -> list[str]:
        out: list[str] = []
        boxes_of_groups = {}
        if self.task == "pose":
            boxes_of_groups = {(a.group, a.label): a for a in annotations
                               if type(a) is Bbox and a.group}
        used: set[int] = set()
        self.written = 0
        if self.task == "pose":
            groups: dict[int, list[Annotation]] = {}
            for ann in annotations:
                if ann.group:
                    groups.setdefault(ann.group, []).append(ann)
            for ann in annotations:
                if type(ann) is Points and ann.label in self.classes:
                    line = self._pose(ann, boxes_of_groups.get((ann.group, ann.label))
                                      if ann.group else None, used,
                                      groups.get(ann.group, []) if ann.group else [])
                    if line:
                        out.append(line)
                        self.line_groups.append(ann.group)
        free = max((a.group for a in annotations), default=0) + 1
        for ann in annotations:
            if id(ann) in used or (type(ann) is Points and self.task == "pose" and
                                   ann.label in self.classes):
                continue
            self.written = len(out)
            new = self._one(ann)
            group = ann.group
            if len(new) > 1 and not group:  # the rings of one mask: one object
                group, free = free, free + 1
            out += new
            self.line_groups += [group] * len(new)
        return out

    def _one(self, ann: Annotation) -> list[str]:
        kind = type(ann).kind
        simple = {"ellipse": "ellipses", "polyline": "polylines", "caption": "captions",
                  "label": "labels"}
        if kind in simple:
            self.events[simple[kind]] += 1
            return []
        if ann.label not in self.classes:
            self.events["unlabelled"] += 1
            return []
        cls = self.classes[ann.label]
        if isinstance(ann, Points):
            self.events["no_kpt_task"] += 1
            return []
        if isinstance(ann, Bbox):
            if self.task == "segment":
                self.box_lines.append(self.written)
            lines = [self._line(cls, self._box_values(ann), ann)]
        else:
            rings = self._rings(ann)
            if rings is None:
                return []
            lines = [self._line(cls, values, ann) for values in rings]
        self._count_kept(ann)
        return lines

    def _count_kept(self, ann: Annotation) -> None:
        """What a written line leaves out of its annotation: its group, foreign fields."""
        if ann.group:
            self.events["groups"] += 1
        self._count_fields(ann)

    def _count_fields(self, ann: Annotation) -> None:
        """Each field of another format the line leaves out, by name (``field:NAME``)."""
        if ann.extra:
            for key in outline(ann.extra, "yolo"):  # judged in finish (foreign_fields)
                self.events[f"field:{key}"] += 1

    def _box_values(self, box: Bbox) -> str:
        if self.task == "segment":
            self.events["box_polygon"] += 1
            return self._coords(box_corners(box))
        if self.task == "obb":
            return self._coords(box_corners(box))
        values = self._box(*points_bbox(box_corners(box))) if is_rotated(box) else \
            self._box(box.x, box.y, box.w, box.h)
        if is_rotated(box):
            self.events["rotated_bounds"] += 1
        if self.task == "pose":
            values += " 0" * (self.kpt_count * 3)
        return values

    def _rings(self, ann: Annotation) -> list[str] | None:
        """Polygon lines of an area shape under this task, None when it has none."""
        if self.task == "pose" or (self.task == "obb" and isinstance(ann, Mask)):
            self.events["no_area_task"] += 1
            return None
        rings = _area_rings(ann, self.events)
        if rings is None:
            return None
        if self.task == "detect":
            self.events["shape_bounds"] += 1
            return [self._box(*points_bbox([v for r in rings for v in r]))]
        if self.task == "obb":
            if any(len(r) != 8 for r in rings):
                self.events["obb_polygon"] += 1
                return None
        return [self._coords(r) for r in rings]

    def _pose(self, points: Points, box: Bbox | None, used: set[int],
              group_shapes: list[Annotation]) -> str | None:
        if len(points.points) != 2 * self.kpt_count:
            self.events["kpt_count"] += 1
            return None
        declared = _declared_box(points, group_shapes)
        if box is not None:
            used.add(id(box))
            parts = [self._box(box.x, box.y, box.w, box.h)]
        elif declared is not None:  # the box the source gave the object (COCO's bbox)
            parts = [self._box(*declared)]
        else:
            shown = [points.points[k:k + 2] for k in range(0, len(points.points), 2)
                     if k // 2 < len(points.visibility) and points.visibility[k // 2] > 0]
            self.events["kpt_box"] += 1
            parts = [self._box(*points_bbox([v for p in shown for v in p]))]
        for k in range(self.kpt_count):
            v = points.visibility[k] if k < len(points.visibility) else 2
            x, y = points.points[2 * k], points.points[2 * k + 1]
            if v == 0 and x == 0 and y == 0:
                parts.append("0 0 0")
            else:
                parts.append(f"{self._coords([x, y])} {v if v in (0, 1, 2) else 2}")
        self._count_fields(points)
        values = " ".join(parts)
        return self._line(self.classes[points.label], values, points)  # type: ignore


def _declared_box(points: Points, group: list[Annotation]) -> list[float] | None:
    """The box the source declared for the keypoints' object, on the points or on a shape
    of their group with their label."""
    for ann in [points, *group]:
        box = ann.declared_bbox
        if ann.label == points.label and isinstance(box, list) and len(box) == 4 and \
                all(type(v) in (int, float) for v in box) and box[2] > 0 and box[3] > 0:
            return [float(v) for v in box]
    return None


def _area_rings(ann: Annotation, events: Counter) -> list[list[float]] | None:
    if isinstance(ann, Polygon):
        return [ann.points] if len(ann.points) >= 6 else None
    if isinstance(ann, Mask):
        rings = trace_mask(ann.rle, events)
        if rings is None:
            events["untraced"] += 1
        return rings
    return None


def trace_mask(rle: dict[str, Any], events: Counter) -> list[list[float]] | None:
    """Exact polygons of a mask; one with holes is traced with its holes filled.

    The tracer refuses exactly the masks with holes (background not reaching the border,
    through corners too: what ``fill_holes`` fills), so most masks are traced as they are
    and only the refused ones pay for the hole search (most of a crowd region's cost)."""
    from cococonv.contours import mask_to_polygons

    rings = mask_to_polygons(rle)
    if rings is not None:
        events["traced"] += 1
        return rings
    return trace_filled(rle, events)


def trace_filled(rle: dict[str, Any], events: Counter) -> list[list[float]] | None:
    """Exact polygons of a mask, its holes filled first when it has any."""
    from cococonv.contours import mask_to_polygons

    from .holes import fill_holes

    filled = fill_holes(rle)
    rings = mask_to_polygons(rle if filled is None else filled)
    if rings is None and filled is not None:
        filled = fill_holes(rle, corners=False)
        rings = mask_to_polygons(filled) if filled is not None else None
    if rings is not None:
        events["traced" if filled is None else "holes"] += 1
    return rings
