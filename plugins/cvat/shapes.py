"""CVAT shape elements (``<box>``, ``<polygon>`` ... ``<skeleton>``, ``<tag>``) into model
annotations.

Shapes carry what the model owns in typed fields and ``attributes``; what only CVAT knows
(``source``, a mask's box, unknown XML attributes, skeleton node extras) sits in
``extra["cvat"]`` so the CVAT exporter can write it back.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from cococonv.limits import coordinates_problem
from cococonv.model import Annotation, Bbox, Ellipse, Label, Mask, Points, Polygon, Polyline
from cococonv.report import Report

from . import meta as M
from . import xmlsafe
from .fields import FieldReader

# XML attributes each element kind owns; anything else is kept verbatim in extra.
_COMMON = {"label", "occluded", "z_order", "group_id", "source"}
TRACKED = {"frame", "outside", "keyframe"}
_OWN = {
    "box": _COMMON | {"xtl", "ytl", "xbr", "ybr", "rotation"},
    "ellipse": _COMMON | {"cx", "cy", "rx", "ry", "rotation"},
    "polygon": _COMMON | {"points"},
    "polyline": _COMMON | {"points"},
    "points": _COMMON | {"points"},
    "mask": _COMMON | {"rle", "left", "top", "width", "height"},
    "skeleton": _COMMON | {"points"},
    "tag": _COMMON,
}
SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "mask", "skeleton")


class ShapeReader(FieldReader):
    """Reads shapes against the labels of the meta (``schema``); a label the meta does not
    declare is added and counted in ``undeclared``."""

    def __init__(self, report: Report):
        super().__init__(report)
        self.schema = M.LabelSchema()
        self.undeclared: Counter[str] = Counter()
        self.clipped_masks = 0

    def label(self, name: str | None) -> int | None:
        if not name:
            return None
        index = self.schema.index.get(name)
        if index is None:
            index = self.schema.add_label(name)
            self.undeclared[name] += 1
        return index

    def common(self, elem: Any, a: dict[str, str], ann: Annotation, own: set[str]) -> None:
        """Fill label, group, z_order, occluded, custom attributes and extras.

        ``a`` is the element's attributes as a plain dict: one copy out of lxml is much
        cheaper than a lookup through lxml per field.
        """
        label = a.get("label")
        ann.label = self.label(label)
        z = a.get("z_order")
        if z is not None:
            ann.z_order = int(z) if z.isdigit() else self.whole(z, "z_order", elem)
        group = a.get("group_id")
        if group is not None:
            ann.group = self.whole(group, "group_id", elem)
        attrs = ann.attributes
        if elem.tag != "tag":
            attrs["occluded"] = self.flag(a.get("occluded"), "occluded", elem)
        cvat: dict[str, Any] = {}
        source = a.get("source")
        if source is not None:
            cvat["source"] = source
        if a.keys() - own:
            cvat["xml"] = {k: v for k, v in a.items() if k not in own}
        if len(elem):
            types = self.schema.types.get(label or "", {})
            for child in elem:
                if child.tag == "attribute":
                    name = child.get("name")
                    if name is None:
                        raise self.bad("<attribute> has no name", child)
                    attrs[name] = M.typed_value(child.text or "", types.get(name))
        if cvat:
            ann.extra["cvat"] = cvat

    def shape(self, elem: Any, tag: str, size: tuple[int, int] | None,
              tracked: bool = False) -> Annotation:
        """One shape element of an image (or, ``tracked``, of a track) as an annotation."""
        own = _OWN[tag] | TRACKED if tracked else _OWN[tag]
        a = dict(xmlsafe.attr_items(elem))
        ann: Annotation
        if tag == "box":
            number = self.number
            xtl = number(a.get("xtl"), "xtl", elem)
            ytl = number(a.get("ytl"), "ytl", elem)
            xbr = number(a.get("xbr"), "xbr", elem)
            ybr = number(a.get("ybr"), "ybr", elem)
            self._in_image([xtl, ytl, xbr, ybr], size, elem)
            ann = Bbox(x=xtl, y=ytl, w=round(xbr - xtl, 10), h=round(ybr - ytl, 10))
            self._rotation(a, elem, ann)
        elif tag == "polygon":
            ann = Polygon(points=self.points(a, elem))
            self._in_image(ann.points, size, elem)
        elif tag == "polyline":
            ann = Polyline(points=self.points(a, elem))
        elif tag == "points":
            pts = self.points(a, elem)
            ann = Points(points=pts, visibility=[2] * (len(pts) // 2))
        elif tag == "ellipse":
            ann = Ellipse(cx=self.number(a.get("cx"), "cx", elem),
                          cy=self.number(a.get("cy"), "cy", elem),
                          rx=self.number(a.get("rx"), "rx", elem),
                          ry=self.number(a.get("ry"), "ry", elem))
            self._in_image([ann.cx - ann.rx, ann.cy - ann.ry, ann.cx + ann.rx,
                            ann.cy + ann.ry], size, elem)
            self._rotation(a, elem, ann)
        elif tag == "mask":
            ann, box = self._mask(a, elem, size)
            self.common(elem, a, ann, own)
            if box != _tight_box(ann.rle):  # the exporter computes the tight box itself
                ann.extra.setdefault("cvat", {})["box"] = box
            return ann
        else:
            return self._skeleton(elem, a, tracked)
        self.common(elem, a, ann, own)
        return ann

    def tag(self, elem: Any) -> Label:
        ann = Label()
        self.common(elem, dict(xmlsafe.attr_items(elem)), ann, _OWN["tag"] | {"frame"})
        return ann

    def _in_image(self, points: list[float], size: tuple[int, int] | None, elem: Any) -> None:
        """Refuse an area shape reaching past the margin around its image (docs/limits.md)."""
        problem = coordinates_problem(points, *size) if size else None
        if problem:
            raise self.bad(f"<{elem.tag}> {problem}", elem)

    def _rotation(self, a: dict[str, str], elem: Any, ann: Annotation) -> None:
        rotation = a.get("rotation")
        if rotation is not None:
            ann.attributes["rotation"] = self.number(rotation, "rotation", elem)

    def _mask(self, a: dict[str, str], elem: Any,
              size: tuple[int, int] | None) -> tuple[Mask, list[int]]:
        from . import rle as R

        box = [self.whole(self.required(elem, key), key, elem)
               for key in ("left", "top", "width", "height")]
        if size is None:
            raise self.bad("<mask> needs the width and height of its <image>", elem)
        try:
            runs = R.parse_counts(a.get("rle") or "")
            coco, clipped = R.to_coco(runs, *box, *size)
        except R.RleError as exc:
            raise self.bad(f"<mask> {exc}", elem) from None
        if clipped:
            self.clipped_masks += 1
        return Mask(rle=coco), box

    def _skeleton(self, elem: Any, a: dict[str, str], tracked: bool) -> Points:
        """One Points annotation; node order follows the skeleton label's schema."""
        name = a.get("label") or ""
        positions = self.schema.nodes.get(name)
        if positions is None:
            raise self.bad(f"<skeleton> label {name!r} is not a skeleton label of the meta",
                           elem)
        count = len(positions)
        points = [0.0] * (2 * count)
        visibility = [0] * count
        nodes: list[dict[str, Any] | None] = [None] * count
        node_own = _OWN["points"] | {"outside"} | (TRACKED if tracked else set())
        for child in elem:
            if child.tag != "points":
                continue
            node_name = child.get("label") or ""
            k = positions.get(node_name)
            if k is None:
                raise self.bad(f"<points> label {node_name!r} is not a node of skeleton "
                               f"{name!r} (nodes: {', '.join(positions) or 'none'})", child)
            xy = self.points(dict(xmlsafe.attr_items(child)), child)
            if len(xy) != 2:
                raise self.bad(f"<points> of a skeleton node holds {len(xy) // 2} points, "
                               f"expected 1", child)
            points[2 * k], points[2 * k + 1] = xy
            outside = self.flag(child.get("outside"), "outside", child)
            occluded = self.flag(child.get("occluded"), "occluded", child)
            visibility[k] = 0 if outside else (1 if occluded else 2)
            nodes[k] = self._node_extra(child, name, node_name, node_own)
        ann = Points(points=points, visibility=visibility)
        self.common(elem, a, ann, _OWN["skeleton"] | (TRACKED if tracked else set()))
        nodes = [_beyond_skeleton(node, ann.z_order) for node in nodes]
        if any(nodes):
            ann.extra.setdefault("cvat", {})["nodes"] = nodes
        return ann

    def _node_extra(self, child: Any, skeleton: str, node: str,
                    own: set[str]) -> dict[str, Any] | None:
        """What a skeleton node carries beyond its point and visibility."""
        extra: dict[str, Any] = {}
        a = child.attrib
        for key in ("source", "z_order"):
            if key in a:
                extra[key] = a[key]
        raw = {k: v for k, v in xmlsafe.attr_items(child) if k not in own}
        if raw:
            extra["xml"] = raw
        types = self.schema.sublabel_types.get((skeleton, node), {})
        attrs = {c.get("name"): M.typed_value(c.text or "", types.get(c.get("name")))
                 for c in child if c.tag == "attribute" and c.get("name") is not None}
        if attrs:
            extra["attributes"] = attrs
        if "keyframe" in a:
            extra["keyframe"] = a["keyframe"] == "1"
        return extra or None


def _tight_box(rle: dict[str, Any]) -> list[int]:
    """The ``[left, top, width, height]`` CVAT's exporter gives a mask without a kept box."""
    from cococonv import masks
    return [int(v) for v in masks.bbox(rle)]


def _beyond_skeleton(node: dict[str, Any] | None, z_order: int) -> dict[str, Any] | None:
    """A node's extras without a z_order equal to its skeleton's, which the exporter
    writes anyway: kept, it would be counted lost by every other format as a CVAT field."""
    if node is None or node.get("z_order") != str(z_order):
        return node
    rest = {key: value for key, value in node.items() if key != "z_order"}
    return rest or None
