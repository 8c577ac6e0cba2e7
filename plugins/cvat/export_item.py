"""The per-item phase of the CVAT export: one item's ``<image>`` element as XML text.

``write_image`` runs in forked workers with ``--jobs``, so it touches nothing but the plan
and its item, and returns what it counted (losses, approximations) for ``finish`` to add up
in item order. The XML is built as strings: it is the fast way to write hundreds of
thousands of small elements.
"""
from __future__ import annotations

from cococonv.errors import DataError
from cococonv.images import probe_size
from cococonv.model import (Annotation, Bbox, Caption, Ellipse, Item, Label, Mask, Points,
                            Polygon, Polyline)

from . import rle as R
from .export_plan import CvatPlan, implied
from .meta import number, value_text
from .xmlsafe import attr as q
from .xmlsafe import text as t

#: One item's result: its XML text, how many string parts it was built of (``finish``
#: checks the text in chunks of parts, as one pass did), its losses and approximations
#: in the order they were first counted.
ItemPiece = tuple[str, int, dict[str, int], dict[tuple[str, str], int]]


def write_image(plan: CvatPlan, entry: tuple[Item, int]) -> ItemPiece:
    """The ``<image>`` element of one item (at its planned frame) with all its shapes."""
    item, frame = entry
    writer = _ImageWriter(plan)
    writer.image(item, frame)
    return "".join(writer.out), len(writer.out), writer.lost, writer.approx


class _ImageWriter:
    """Builds one item's XML parts and counts what CVAT cannot hold."""

    def __init__(self, plan: CvatPlan):
        self.plan = plan
        self.out: list[str] = []
        self.lost: dict[str, int] = {}
        self.approx: dict[tuple[str, str], int] = {}

    def _lose(self, what: str, count: int = 1) -> None:
        self.lost[what] = self.lost.get(what, 0) + count

    def image(self, item: Item, frame: int) -> None:
        plan, out = self.plan, self.out
        size = probe_size(item.image)
        head = f'  <image id="{frame}" name="{q(plan.file_name(item))}"'
        if size is not None:
            head += f' width="{size[1]}" height="{size[0]}"'
        if plan.write_subset:
            head += f' subset="{q(item.subset)}"'
        cvat = item.extra.get("cvat") or {}
        for key, value in (cvat.get("xml") or {}).items():
            head += f' {key}="{q(value)}"'
        raw = cvat.get("raw") or []
        if item.ignore:
            self._lose("VOC void (255) regions")
        if not item.annotations and not raw:
            out.append(head + ">\n  </image>\n")
            return
        out.append(head + ">\n")
        for ann in item.annotations:
            self.annotation(ann)
        for element in raw:
            out.append(f"    {element}\n")
        out.append("  </image>\n")

    def annotation(self, ann: Annotation) -> None:
        kind = type(ann)
        if ann.id is not None and kind is not Caption:
            self._lose("annotation ids")
        if kind is Bbox:
            geometry = (f' xtl="{number(ann.x)}" ytl="{number(ann.y)}" '
                        f'xbr="{number(round(ann.x + ann.w, 10))}" '
                        f'ybr="{number(round(ann.y + ann.h, 10))}"')
            self.element("box", ann, geometry + _rotation(ann))
        elif kind is Polygon:
            self.element("polygon", ann, f' points="{_points(ann.points)}"')
        elif kind is Polyline:
            self.element("polyline", ann, f' points="{_points(ann.points)}"')
        elif kind is Ellipse:
            geometry = (f' cx="{number(ann.cx)}" cy="{number(ann.cy)}" rx="{number(ann.rx)}" '
                        f'ry="{number(ann.ry)}"')
            self.element("ellipse", ann, geometry + _rotation(ann))
        elif kind is Points:
            self.points(ann)
        elif kind is Mask:
            self.mask(ann)
        elif kind is Label:
            if ann.label is None:  # a classification answer without a class (RedBrick)
                self._lose("image labels without a class")
            else:
                self.element("tag", ann, "", occluded=False)
        elif kind is Caption:
            self._lose("captions")
        else:
            self._lose(f"{ann.kind} annotations")

    def element(self, tag: str, ann: Annotation, geometry: str, occluded: bool = True,
                children: str = "") -> None:
        label = self.plan.names[ann.label] if ann.label is not None else ""
        cvat = ann.extra.get("cvat") or {}
        head = f'    <{tag} label="{q(label)}"'
        if occluded:
            head += f' occluded="{1 if ann.attributes.get("occluded") else 0}"'
        if "source" in cvat:
            head += f' source="{q(cvat["source"])}"'
        head += geometry
        for key, value in (cvat.get("xml") or {}).items():
            head += f' {key}="{q(value)}"'
        if tag != "tag":
            head += f' z_order="{ann.z_order}"'
        if ann.group:
            head += f' group_id="{ann.group}"'
        body = self.attributes(ann, "      ") + children
        if body:
            self.out.append(f"{head}>\n{body}    </{tag}>\n")
        else:
            self.out.append(f"{head}>\n    </{tag}>\n")

    def attributes(self, ann: Annotation, pad: str) -> str:
        if not ann.attributes:
            return ""
        declared = self.plan.declared[ann.label] if ann.label is not None else None
        parts = []
        for key, value in ann.attributes.items():
            if implied(ann, key, value):
                continue
            if declared is not None and key not in declared:
                self._lose("undeclared attributes")
                continue
            parts.append(f'{pad}<attribute name="{q(str(key))}">{t(value_text(value))}'
                         f'</attribute>\n')
        return "".join(parts)

    def points(self, ann: Points) -> None:
        schema = self.plan.keypoints.get(ann.label) if ann.label is not None else None
        count = len(ann.points) // 2
        if schema is not None and schema.names and ann.points:
            # A set whose length differs from the names (kept so by the COCO importer) is
            # still the label's skeleton: missing names become absent (outside) nodes.
            if count > len(schema.names):
                self._lose("keypoints beyond their label's names", count - len(schema.names))
            elif count < len(schema.names):
                key = ("keypoint sets shorter than their label's names",
                       "the missing names written as outside points")
                self.approx[key] = self.approx.get(key, 0) + 1
            self.skeleton(ann, schema.names)
            return
        if not ann.points:
            self._lose("empty point sets")
            return
        if any(v != 2 for v in ann.visibility):
            self._lose("keypoint visibility")
        self.element("points", ann, f' points="{_points(ann.points)}"')

    def skeleton(self, ann: Points, names: list[str]) -> None:
        cvat = ann.extra.get("cvat") or {}
        nodes = cvat.get("nodes") or [None] * len(names)
        parts = []
        visibility = ann.visibility or [2] * len(names)
        for k, name in enumerate(names):
            node = nodes[k] if k < len(nodes) and nodes[k] else {}
            present = 2 * k + 1 < len(ann.points)
            v = (visibility[k] if k < len(visibility) else 2) if present else 0
            head = (f'      <points label="{q(name)}" occluded="{1 if v == 1 else 0}"')
            if "source" in node:
                head += f' source="{q(node["source"])}"'
            head += f' outside="{1 if v == 0 else 0}"'
            xy = f"{number(ann.points[2 * k])},{number(ann.points[2 * k + 1])}" if present \
                else "0,0"
            head += f' points="{xy}"'
            for key, value in (node.get("xml") or {}).items():
                head += f' {key}="{q(value)}"'
            head += f' z_order="{q(str(node.get("z_order", ann.z_order)))}"'
            attrs = "".join(f'        <attribute name="{q(str(key))}">{t(value_text(val))}'
                            f'</attribute>\n' for key, val in
                            (node.get("attributes") or {}).items())
            parts.append(f"{head}>\n{attrs}      </points>\n")
        self.element("skeleton", ann, ' points=""', children="".join(parts))

    def mask(self, ann: Mask) -> None:
        cvat = ann.extra.get("cvat") or {}
        try:
            written = R.from_coco(ann.rle, cvat.get("box"))
        except (ValueError, KeyError, TypeError) as exc:
            label = self.plan.names[ann.label] if ann.label is not None else "(none)"
            raise DataError(f"cannot write a mask of label {label}: {exc}") from None
        if written is None:
            self._lose("empty masks")
            return
        if type(ann.rle.get("counts")) is list:
            key = ("masks in uncompressed (list-count) RLE",
                   "written as CVAT masks, which keep no RLE form: read back, compressed RLE")
            self.approx[key] = self.approx.get(key, 0) + 1
        counts, left, top, width, height = written
        geometry = (f' rle="{counts}" left="{left}" top="{top}" width="{width}" '
                    f'height="{height}"')
        self.element("mask", ann, geometry)


def _points(flat: list[float]) -> str:
    return ";".join(f"{number(flat[k])},{number(flat[k + 1])}" for k in range(0, len(flat) - 1, 2))


def _rotation(ann: Annotation) -> str:
    rotation = ann.attributes.get("rotation")
    if rotation is None:
        return ""
    return f' rotation="{number(float(rotation))}"'
