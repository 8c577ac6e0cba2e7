"""Every annotation kind of one item drawn over its canvas with Pillow.

Three passes, each in ``z_order`` (stable): translucent fills (masks, polygons by the
even-odd rule, ellipses), lines (outlines of boxes, rotated too, polygons and ellipses;
polylines; keypoints with their skeleton), then a tag with the label name at each shape. Crowd regions
are filled with stripes and tagged ``crowd``. Image-level labels and captions are not
drawn here but returned for the caption band (``pngtext``). What cannot be drawn (a value
that is no finite number, a ring of fewer than 3 points, an unreadable RLE) and what lies
wholly outside the image is counted in ``notes.lost``.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from ..geometry import box_corners, ellipse_to_polygon
from ..limits import finite_coordinates
from ..model import (Annotation, Bbox, Caption, Categories, Ellipse, Item, Label, Mask,
                     Points, Polygon, Polyline)
from . import pngareas
from .pngcanvas import Frame
from .pngclip import clipped_runs, scaled

RGB = tuple[int, int, int]

#: Opacity of a filled area (of 255), and of a crowd region's stripes and gaps.
FILL_ALPHA = 96
CROWD_ALPHA = (176, 32)
#: Shapes of one item that get a name tag (a crowd of tags hides the image and costs a
#: font rendering each), and the characters of a tag.
MAX_TAGS = 300
TAG_CHARS = 40
#: Why an annotation is not drawn, as the report says it.
NOT_DRAWN = ("not drawn in the PNG overlay: a coordinate is no finite number, or the shape "
             "is beyond docs/limits.md")
TOO_FEW_POINTS = ("not drawn in the PNG overlay: a polygon of fewer than 3 points or a line "
                  "of fewer than 2")
BAD_RLE = ("not drawn in the PNG overlay: the RLE cannot be decoded (unreadable, or beyond "
           "docs/limits.md)")
OUTSIDE = "not visible in the PNG overlay: wholly outside the image"


def line_width(frame: Frame) -> int:
    """Outline width in canvas pixels: 2 up to 640-pixel canvases, thicker beyond."""
    return max(2, round(max(frame.canvas) / 320))


class Painter:
    """Draws one item's annotations; ``notes`` counts what it could not draw."""

    def __init__(self, picture: Any, frame: Frame, categories: Categories,
                 colour: Callable[[int | None], RGB], name: Callable[[int | None], str]):
        from PIL import ImageDraw

        self.picture = picture
        self.draw = ImageDraw.Draw(picture)
        self.frame = frame
        self.categories = categories
        self.colour = colour
        self.name = name
        self.width = line_width(frame)
        margin = 4 * self.width + 4
        self.box = (-margin, -margin, frame.canvas[0] + margin, frame.canvas[1] + margin)
        self.tags: list[tuple[float, float, str, RGB]] = []
        self.notes: Counter[tuple[str, str]] = Counter()
        self.untagged = 0  # shapes past MAX_TAGS, drawn without their name

    def paint(self, item: Item) -> tuple[list[int | None], list[str]]:
        """Draw every annotation; returns the image-level labels and the captions."""
        anns = sorted(item.annotations, key=_z)
        labels = [ann.label for ann in anns if isinstance(ann, Label)]
        captions = [ann.caption for ann in anns if isinstance(ann, Caption)]
        shapes = [ann for ann in anns if not isinstance(ann, (Label, Caption))]
        outlines: dict[int, list[float]] = {}  # id(ann) -> its ring in canvas pixels
        failed: set[int] = set()
        groups = {id(ann): group for group in _polygon_groups(shapes) for ann in group}
        for ann in shapes:  # fills first, in z-order, so no outline is tinted by them
            group = groups.get(id(ann), [ann])
            if group[0] is not ann or not isinstance(ann, (Polygon, Ellipse, Mask)):
                continue
            try:
                self._fill_area(group, outlines)
            except (ValueError, TypeError, OverflowError):  # LimitError too: beyond what
                for member in group:                      # may be rasterised, or no number
                    failed.add(id(member))
                    self._lost(member, BAD_RLE if isinstance(member, Mask) else NOT_DRAWN)
        for ann in shapes:
            if id(ann) in failed or isinstance(ann, Mask):
                continue
            try:
                self._draw(ann, outlines)
            except (ValueError, TypeError, OverflowError):
                self._lost(ann, NOT_DRAWN)
        for x, y, text, colour in self.tags:
            self._tag(x, y, text, colour)
        return labels, captions

    # -- areas ---------------------------------------------------------------------------
    def _fill_area(self, group: list[Annotation], outlines: dict[int, list[float]]) -> None:
        """A mask, an ellipse, or one even-odd fill for the rings of a group and label
        (holes stay open); the rings are kept for the outline pass."""
        if isinstance(group[0], Mask):
            found = pngareas.mask_pixels(group[0].rle, self.frame)
            if found is None:
                return self._lost(group[0], OUTSIDE)
            self._fill(found[0], found[1], group[0])
            return self._tagged(group[0], found[1][0], found[1][1], self.colour(group[0].label))
        rings = []
        for ann in group:
            try:
                ring = scaled(finite_coordinates(_ring_of(ann)), self.frame.scale)
            except ValueError:
                continue  # counted when the outline pass meets it
            if len(ring) >= 6:
                outlines[id(ann)] = ring
                rings.append(ring)
        region = pngareas.ring_region(rings, self.frame.canvas) if rings else None
        if region is not None:
            self._fill(pngareas.even_odd(rings, region), region, group[0])

    def _fill(self, inside: Any, region: pngareas.Region, ann: Annotation) -> None:
        import numpy as np
        from PIL import Image as PILImage

        x0, y0, x1, y1 = region
        if _crowd(ann):
            rows, cols = np.ogrid[y0:y1, x0:x1]
            stripe = ((rows + cols) // 4) % 2 == 0
            alpha = np.where(stripe, CROWD_ALPHA[0], CROWD_ALPHA[1]).astype(np.uint8) * inside
        else:
            alpha = inside * np.uint8(FILL_ALPHA)
        layer = PILImage.new("RGBA", (x1 - x0, y1 - y0), self.colour(ann.label) + (0,))
        layer.putalpha(PILImage.fromarray(alpha.astype(np.uint8), "L"))
        self.picture.alpha_composite(layer, dest=(x0, y0))

    # -- one annotation ------------------------------------------------------------------
    def _draw(self, ann: Annotation, outlines: dict[int, list[float]]) -> None:
        """The lines of one shape: an outline, a polyline, or keypoints and bones."""
        colour = self.colour(ann.label)
        if isinstance(ann, Points):
            return self._keypoints(ann, colour)
        if isinstance(ann, Polyline):
            line = scaled(finite_coordinates(ann.points), self.frame.scale)
            if len(line) < 4:
                return self._lost(ann, TOO_FEW_POINTS)
            return self._outline(ann, line, colour, closed=False)
        ring = outlines.get(id(ann))
        if ring is None:  # a box, or a ring the fill pass could not use
            ring = scaled(finite_coordinates(_ring_of(ann)), self.frame.scale)
            if len(ring) < 6:
                return self._lost(ann, TOO_FEW_POINTS)
        self._outline(ann, ring, colour, closed=True)

    def _outline(self, ann: Annotation, coords: list[float], colour: RGB, *,
                 closed: bool) -> None:
        runs = clipped_runs(coords, self.box, closed=closed)
        if not runs or not self._on_canvas(coords):
            return self._lost(ann, OUTSIDE)
        for run in runs:
            self.draw.line(run, fill=colour + (255,), width=self.width, joint="curve")
        xs, ys = coords[0::2], coords[1::2]
        self._tagged(ann, min(xs), min(ys), colour)

    def _keypoints(self, ann: Points, colour: RGB) -> None:
        coords = scaled(finite_coordinates(ann.points), self.frame.scale)
        points = list(zip(coords[0::2], coords[1::2]))
        shown = {k for k in range(len(points)) if _visibility(ann, k) > 0}
        schema = self.categories.keypoints.get(ann.label) if ann.label is not None else None
        radius = self.width + 2
        for edge in schema.skeleton if schema is not None else ():
            ends = [e - 1 for e in edge if type(e) is int] if isinstance(edge, list) else []
            if len(ends) == 2 and all(e in shown for e in ends):
                bone = _between(points[ends[0]], points[ends[1]], radius)
                for run in clipped_runs(bone, self.box, closed=False):
                    self.draw.line(run, fill=colour + (255,), width=self.width)
        visible = []
        for k in sorted(shown):
            x, y = points[k]
            if -radius <= x <= self.frame.canvas[0] + radius and \
                    -radius <= y <= self.frame.canvas[1] + radius:
                visible.append((x, y))
                spot = (x - radius, y - radius, x + radius, y + radius)
                if _visibility(ann, k) == 1:  # occluded: hollow
                    self.draw.ellipse(spot, outline=colour + (255,), width=2)
                else:
                    self.draw.ellipse(spot, fill=colour + (255,), outline=(0, 0, 0, 255))
        if shown and not visible:
            return self._lost(ann, OUTSIDE)
        if visible:
            self._tagged(ann, min(p[0] for p in visible), min(p[1] for p in visible), colour)

    # -- tags ----------------------------------------------------------------------------
    def _tagged(self, ann: Annotation, x: float, y: float, colour: RGB) -> None:
        if len(self.tags) >= MAX_TAGS:
            self.untagged += 1
            return
        name = self.name(ann.label)
        name = name if len(name) <= TAG_CHARS else name[:TAG_CHARS - 1] + "…"
        self.tags.append((x, y, name + (" crowd" if _crowd(ann) else ""), colour))

    def _tag(self, x: float, y: float, text: str, colour: RGB) -> None:
        from .pngtext import font, ink_on

        face = font(self.frame.canvas)
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=face)
        w, h = right - left + 4, bottom - top + 2
        x = min(max(0.0, x), max(0.0, self.frame.canvas[0] - w))
        y = y - h if y - h >= 0 else min(max(0.0, y), max(0.0, self.frame.canvas[1] - h))
        self.draw.rectangle((x, y, x + w - 1, y + h - 1), fill=colour + (255,))
        self.draw.text((x + 2 - left, y + 1 - top), text, font=face, fill=ink_on(colour))

    def _on_canvas(self, coords: Sequence[float]) -> bool:
        xs, ys = coords[0::2], coords[1::2]
        return pngareas.clamp_region(min(xs), min(ys), max(xs) + 1, max(ys) + 1,
                               self.frame.canvas) is not None

    def _lost(self, ann: Annotation, why: str) -> None:
        self.notes[(f"{ann.kind} annotations", why)] += 1


def _between(a: tuple[float, float], b: tuple[float, float], gap: float) -> list[float]:
    """The bone from joint ``a`` to joint ``b``, ``gap`` short at both ends, so a hollow
    (occluded) joint stays hollow; empty when the joints touch."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length <= 2 * gap:
        return []
    ux, uy = dx / length * gap, dy / length * gap
    return [a[0] + ux, a[1] + uy, b[0] - ux, b[1] - uy]


def _ring_of(ann: Annotation) -> list[float]:
    if isinstance(ann, Bbox):
        return box_corners(ann)
    if isinstance(ann, Ellipse):
        return ellipse_to_polygon(ann)
    return ann.points  # type: ignore[attr-defined]


def _polygon_groups(shapes: Sequence[Annotation]) -> list[list[Annotation]]:
    """Polygons bucketed by (group, label) in first-seen order; ungrouped ones alone."""
    groups: dict[Any, list[Annotation]] = {}
    for index, ann in enumerate(shapes):
        if isinstance(ann, Polygon):
            key = (ann.group, ann.label) if ann.group else ("alone", index)
            groups.setdefault(key, []).append(ann)
    return list(groups.values())


def _visibility(ann: Points, k: int) -> int:
    v = ann.visibility[k] if k < len(ann.visibility) else 2
    return v if type(v) is int else 2


def _crowd(ann: Annotation) -> bool:
    return bool(ann.attributes.get("is_crowd"))


def _z(ann: Annotation) -> Any:
    z = ann.z_order
    return z if type(z) in (int, float) and not (isinstance(z, float) and math.isnan(z)) else 0
