"""Model annotations as LabelMe shapes, and the count of what LabelMe cannot hold.

Boxes are rectangles (oriented_rectangle when turned), masks are mask shapes (the PNG of
their tight box), an ellipse is a circle when its radii are equal and otherwise a polygon on
its outline (reported), a keypoint set of a label with a keypoint schema is one point shape
per present keypoint (the keypoint's name as label, the set's group_id, and a
``cococonv_keypoint`` key LabelMe keeps, so the set reads back whole).
"""
from __future__ import annotations

import math
from typing import Any

from cococonv.errors import DataError
from cococonv.geometry import (ELLIPSE_POINTS, box_corners, ellipse_to_polygon, is_rotated,
                               rotation_of)
from cococonv.model import (Annotation, Bbox, Ellipse, Mask, Points, Polygon, Polyline)

from .mask_png import rle_to_mask
from .shapes import KEYPOINT_KEY, NAMESPACE, box_of_corners

#: ``(what, how)`` of each approximation, and the reason of each loss, for the report.
APPROXIMATIONS = {
    "ellipses": f"written as {ELLIPSE_POINTS}-point polygons (LabelMe circles have one "
                f"radius)",
    "keypoints": "occluded points written as plain LabelMe points (LabelMe has no "
                 "visibility)",
    "2-point lines": "written as 2-point LabelMe linestrips (open polylines, as the source "
                     "drew them; LabelMe's 'line' type is kept from LabelMe sources)",
}


#: LabelMe's turned-box types: its own, and X-AnyLabeling's.
_TURNED = ("oriented_rectangle", "rotation")


#: Starts a tally key that holds a ``foreign_fields.outline`` name: ``FIELDS + "image" +
#: FIELDS + name`` (or ``"annotation"``), judged by ``finish_export`` (the run's namespaces).
FIELDS = "\x01"


class Tally:
    """What one item lost and approximated, in the order first counted."""

    def __init__(self) -> None:
        self.lost: dict[str, int] = {}
        self.approx: dict[str, int] = {}

    def lose(self, what: str, count: int = 1) -> None:
        if count:
            self.lost[what] = self.lost.get(what, 0) + count

    def approximate(self, what: str) -> None:
        self.approx[what] = self.approx.get(what, 0) + 1


class ShapeWriter:
    """Writes the shapes of one item."""

    def __init__(self, names: list[str], keypoints: dict[int, list[str]], tally: Tally,
                 next_group: int):
        self.names = names
        self.keypoints = keypoints
        self.tally = tally
        self.next_group = next_group

    def shapes(self, ann: Annotation) -> list[dict[str, Any]]:
        """The shapes of one annotation (none when LabelMe cannot hold it: counted)."""
        kind = type(ann)
        own = ann.extra.get(NAMESPACE) or {}
        if kind is Bbox:
            return [self._box(ann, own)]  # type: ignore[arg-type]
        if kind is Polygon:
            if len(ann.points) < 6:  # type: ignore[attr-defined]
                self.tally.lose("polygons with fewer than 3 points")
                return []
            return [self.shape(ann, "polygon", ann.points)]  # type: ignore[attr-defined]
        if kind is Polyline:
            points = ann.points  # type: ignore[attr-defined]
            if len(points) < 4:
                self.tally.lose("polylines with fewer than 2 points")
                return []
            line = len(points) == 4 and own.get("shape_type") == "line"
            if len(points) == 4 and not line and own.get("shape_type") != "linestrip":
                self.tally.approximate("2-point lines")
            return [self.shape(ann, "line" if line else "linestrip", points)]
        if kind is Ellipse:
            return [self._ellipse(ann)]  # type: ignore[arg-type]
        if kind is Points:
            return self._points(ann, own)  # type: ignore[arg-type]
        if kind is Mask:
            return self._mask(ann)  # type: ignore[arg-type]
        self.tally.lose(f"{ann.kind}s")
        return []

    def shape(self, ann: Annotation, shape_type: str, flat: list[float], *,
              label: str | None = None, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """A shape dict in LabelMe's key order; ``skip`` names attributes the geometry
        holds (a box's rotation)."""
        own = ann.extra.get(NAMESPACE) or {}
        out: dict[str, Any] = dict(own.get("keys") or {})
        flags: dict[str, bool] = {}
        others: dict[str, Any] = {}
        description = ""
        top = own.get("top_attributes") or ()
        for key, value in ann.attributes.items():
            if key in skip:
                continue
            if key in top:
                out[key] = value
                continue
            if isinstance(value, bool):
                flags[key] = value
            elif key == "description" and isinstance(value, str):
                description = value
            else:
                others[key] = value
        if others or own.get("attributes_key"):
            out["attributes"] = others
        if label is None:
            label = self.names[ann.label] if ann.label is not None else ""
        group: Any = ann.group or None
        if group is not None and "group_id" in own:
            group = own["group_id"]
        out.update(label=label, points=[[float(flat[k]), float(flat[k + 1])] for k in
                                        range(0, len(flat) - 1, 2)],
                   group_id=group, description=description, shape_type=shape_type,
                   flags=flags, mask=None)
        return out

    def _box(self, box: Bbox, own: dict[str, Any]) -> dict[str, Any]:
        kept = _kept_corners(box, own.get("corners"))
        hint = own.get("shape_type")
        if is_rotated(box) or hint in _TURNED:
            kind = hint if hint in _TURNED else "oriented_rectangle"
            return self.shape(box, kind, kept or box_corners(box), skip=("rotation",))
        x2, y2 = box.x + box.w, box.y + box.h
        if own.get("shape_type") == "rectangle4":
            corners = kept or [box.x, box.y, x2, box.y, x2, y2, box.x, y2]
        else:
            corners = [box.x, box.y, x2, y2]
        return self.shape(box, "rectangle", corners, skip=("rotation",))

    def _ellipse(self, ellipse: Ellipse) -> dict[str, Any]:
        if abs(ellipse.rx - ellipse.ry) <= 1e-9:
            rim = (ellipse.extra.get(NAMESPACE) or {}).get("rim")
            # the rim point it was read with, while it still lies on the circle
            if not (isinstance(rim, list) and len(rim) == 2 and math.isclose(
                    math.hypot(rim[0] - ellipse.cx, rim[1] - ellipse.cy), ellipse.rx,
                    rel_tol=1e-9)):
                rim = [ellipse.cx + ellipse.rx, ellipse.cy]
            return self.shape(ellipse, "circle", [ellipse.cx, ellipse.cy, *rim])
        self.tally.approximate("ellipses")
        return self.shape(ellipse, "polygon", ellipse_to_polygon(ellipse),
                          skip=("rotation",))

    def _points(self, ann: Points, own: dict[str, Any]) -> list[dict[str, Any]]:
        visibility = ann.visibility or [2] * (len(ann.points) // 2)
        present = [k for k in range(len(ann.points) // 2)
                   if (visibility[k] if k < len(visibility) else 2) > 0]
        self.tally.lose("absent keypoints", len(ann.points) // 2 - len(present))
        if not present:
            self.tally.lose("empty point sets")
            return []
        names = self.keypoints.get(ann.label) if ann.label is not None else None
        if names is None:
            if any(visibility[k] == 1 for k in present if k < len(visibility)):
                self.tally.approximate("keypoints")
            flat = [v for k in present for v in ann.points[2 * k:2 * k + 2]]
            single = len(present) == 1 and own.get("shape_type") == "point"
            return [self.shape(ann, "point" if single else "points", flat)]
        if ann.attributes:
            self.tally.lose("keypoint set attributes")
        group = ann.group
        if not group:
            group, self.next_group = self.next_group, self.next_group + 1
        of = self.names[ann.label] if ann.label is not None else ""
        out = []
        for k in present:
            name = names[k] if k < len(names) else f"point{k + 1}"
            shape = self.shape(Points(group=group), "point", ann.points[2 * k:2 * k + 2],
                               label=name)
            shape[KEYPOINT_KEY] = {"of": of, "index": k,
                                   "visibility": visibility[k] if k < len(visibility) else 2}
            out.append(shape)
        return out

    def _mask(self, ann: Mask) -> list[dict[str, Any]]:
        try:
            written = rle_to_mask(ann.rle, (ann.extra.get(NAMESPACE) or {}).get("mask_box"))
        except (ValueError, KeyError, TypeError) as exc:
            label = self.names[ann.label] if ann.label is not None else "(none)"
            raise DataError(f"cannot write a mask of label {label}: {exc}") from None
        if written is None:
            self.tally.lose("empty masks")
            return []
        corners, png = written
        shape = self.shape(ann, "mask", corners)
        shape["mask"] = png
        return [shape]


def _kept_corners(box: Bbox, corners: Any) -> list[float] | None:
    """The 4 corners a box was read from, while they still make that box (an edit or a
    transform since then makes them stale)."""
    if not (isinstance(corners, list) and len(corners) == 8):
        return None
    again = box_of_corners(corners)
    same = all(math.isclose(a, b, abs_tol=1e-6) for a, b in
               zip(again.bounds(), box.bounds())) and math.isclose(
        rotation_of(again), rotation_of(box), abs_tol=1e-6)
    return corners if same else None
