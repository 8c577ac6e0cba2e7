"""One item's ``Annotations/<id>.xml``: the one place that decides what the XML holds.

``annotation_nodes`` makes every decision (which tags, their text, what is lost) and returns
the document as plain nodes; two serialisations write those nodes to the same bytes: the
string writer (fast, for the usual document) and lxml's tree (``etree.indent``), taken for
raw XML kept from a source and for text the string writer does not escape as lxml does.
"""
from __future__ import annotations

import posixpath
import re
from typing import Any, Union

from cococonv.errors import DataError
from cococonv.fileio import write_bytes
from cococonv.joined import CLASH_WHY, joined_attributes
from cococonv.model import Bbox, Ellipse, Item, Mask, Polygon
from cococonv.paths import join_inside
from cococonv.xmlsafe import check_writable
from cococonv.xmlsafe import TEXT_ESCAPES

from . import layout as L
from .export_plan import Tally, VocPlan
from .importer import DEFAULT_TAGS
from .parts import ObjectUnit
from .xmlsafe import format_value, solve

#: ``(tag, text)`` is ``<tag>text</tag>`` (text None: ``<tag/>``; an int or float is
#: written as str/repr), ``(tag, [nodes])`` an element with children, ``(None, xml)`` raw
#: XML kept from the source.
Node = tuple[Union[str, None], Any]


def write_xml(plan: VocPlan, item: Item, units: list[ObjectUnit], painted: bool,
              tally: Tally) -> None:
    """Write the item's XML; a character XML 1.0 cannot hold is a DataError naming it."""
    root = ("annotation", annotation_nodes(plan, item, units, painted, tally))
    try:
        data = _as_text(root).encode("utf-8")
    except _Fallback:
        try:
            data = _as_tree(root)
        except ValueError as exc:
            if "XML compatible" not in str(exc):  # lxml's words for a NUL, U+FFFE...
                raise
            _refuse_unwritable(plan, item, units)
            raise DataError("the XML would hold a character XML 1.0 cannot hold "
                            "(docs/limits.md)", file=item.id) from None
    path = join_inside(plan.out, f"{L.ANNOTATIONS_DIR}/{item.id}.xml", what="item id")
    write_bytes(path, data)


def wants_xml(item: Item, units: list[ObjectUnit]) -> bool:
    voc = item.extra.get("voc")
    return bool(units) or voc is None or voc.get("xml", True)


def annotation_nodes(plan: VocPlan, item: Item, units: list[ObjectUnit], painted: bool,
                     tally: Tally) -> list[Node]:
    """The children of <annotation>, in the source's order when it was VOC."""
    voc = item.extra.get("voc", {})
    children = list(voc.get("children") or ["folder", "filename", "size", "segmented",
                                             "object"])
    for needed in ("filename", "size", "segmented", "object"):
        if needed not in children and (needed != "size" or plan.size(item)):
            children.append(needed)
    nodes: list[Node] = []
    for entry in children:
        if entry.startswith("<"):
            nodes.append((None, entry))
        elif entry == "folder":
            nodes.append(("folder", ""))
        elif entry == "filename":
            nodes.append(("filename", voc.get("filename") or
                          posixpath.basename(plan.image_name(item))))
        elif entry == "size":
            size = plan.size(item)
            if size is not None:
                inner: list[Node] = [("width", str(size[1])), ("height", str(size[0]))]
                depth = voc.get("depth", "3") if "voc" in item.extra else "3"
                if depth is not None:
                    inner.append(("depth", depth))
                nodes.append(("size", inner))
        elif entry == "segmented":
            text = voc.get("segmented")
            if text is None or (painted and not _flag_text(text)) or \
                    (not painted and "masks" in voc and _flag_text(text)):
                text = "1" if painted else "0"
            nodes.append(("segmented", text))
        elif entry == "object":
            nodes.extend(("object", _object_nodes(plan, unit, item, tally)) for unit in units)
    return nodes


def _object_nodes(plan: VocPlan, unit: ObjectUnit, item: Item, tally: Tally) -> list[Node]:
    leader = unit.leader
    voc = leader.extra.get("voc", {}) if leader.extra else {}
    joined, clashes = joined_attributes([leader, *unit.shapes] if unit.box is not None
                                        else unit.shapes)
    if clashes:
        tally.lost[("object attributes", CLASH_WHY)] += clashes
    attrs = dict(joined)
    empty = voc.get("empty", ())
    from_voc = "voc" in item.extra
    nodes: list[Node] = [("name", plan.names[unit.label])]  # type: ignore[index]
    if "pose" in attrs:
        nodes.append(("pose", str(attrs.pop("pose"))))
    elif "pose" in empty:
        nodes.append(("pose", None))
    for tag in ("truncated", "occluded", "difficult"):
        if tag in attrs and isinstance(attrs[tag], bool):
            nodes.append((tag, "1" if attrs.pop(tag) else "0"))
        elif tag in empty:
            nodes.append((tag, None))
        elif tag in DEFAULT_TAGS and not from_voc and tag not in attrs:
            nodes.append((tag, "0"))
    box = _box_of(unit, tally)
    if box is not None:
        nodes.append(("bndbox", _bndbox(plan, *box)))
    if L.LAYOUT in plan.active:
        for part in unit.parts:
            nodes.append(("part", [("name", plan.names[part.label]),  # type: ignore[index]
                                   ("bndbox", _bndbox(plan, part.x, part.y, part.w,
                                                      part.h))]))
    actions = plan.actions(unit) if L.ACTION in plan.active else {}
    if actions:
        nodes.append(("actions", [(action, "1" if value else "0")
                                  for action, value in actions.items()]))
        for action in actions:
            attrs.pop(action, None)
    _drop_implied(attrs, leader, from_voc)
    if attrs:
        if plan.options["allow_attributes"]:
            nodes.append(("attributes", [("attribute", [("name", str(key)),
                                                        ("value", format_value(value))])
                                         for key, value in attrs.items()]))
        else:
            tally.lost[("object attributes", "--no-allow-attributes")] += len(attrs)
    unknown = voc.get("unknown")
    if unknown:  # (no generator for the usual object: this runs for every one)
        nodes.extend((None, raw) for raw in unknown)
    return nodes


def _bndbox(plan: VocPlan, x: Any, y: Any, w: Any, h: Any) -> list[Node]:
    # solve's own first test, inline: the sum is almost always the answer (4 calls an
    # object were a tenth of the XML's time)
    if plan.one_based:
        xmin, ymin = x + 1, y + 1
        if not (isinstance(xmin, int) or xmin - 1 == x):
            xmin = solve(x, 1)
        if not (isinstance(ymin, int) or ymin - 1 == y):
            ymin = solve(y, 1)
    else:
        xmin, ymin = x, y
    xmax, ymax = w + xmin, h + ymin
    if not (isinstance(xmax, int) or xmax - xmin == w):
        xmax = solve(w, xmin)
    if not (isinstance(ymax, int) or ymax - ymin == h):
        ymax = solve(h, ymin)
    # ints and floats stay numbers (both serialisations write repr/str of them unescaped)
    return [("xmin", xmin if type(xmin) in _NUMBERS else str(xmin)),
            ("ymin", ymin if type(ymin) in _NUMBERS else str(ymin)),
            ("xmax", xmax if type(xmax) in _NUMBERS else str(xmax)),
            ("ymax", ymax if type(ymax) in _NUMBERS else str(ymax))]


_NUMBERS = (int, float)


def _box_of(unit: ObjectUnit, tally: Tally) -> tuple | None:
    """The object's <bndbox> as ``(x, y, w, h)``: its box (a rotated one by its bounds),
    else the shape's declared box, else the bounds of its shapes."""
    box = unit.box
    if type(box) is Bbox:
        if box.attributes.get("rotation"):
            from cococonv.geometry import box_corners
            from cococonv.geometry import points_bbox
            tally.approx[("rotated boxes", "written as their axis-aligned bounds")] += 1
            return tuple(points_bbox(box_corners(box)))
        return box.x, box.y, box.w, box.h
    if box is not None:
        return None  # an object without <bndbox> in the source
    shape = unit.shapes[0]
    declared = shape.declared_bbox
    if isinstance(declared, list) and len(declared) == 4 and len(unit.shapes) == 1:
        x, y, w, h = declared
        if type(x) in _NUMBERS and type(y) in _NUMBERS and type(w) in _NUMBERS and \
                type(h) in _NUMBERS:
            return x, y, w, h
    from cococonv.geometry import ellipse_to_polygon, points_bbox
    bounds: list[list[float]] = []
    for shape in unit.shapes:
        if type(shape) is Mask:
            from cococonv import masks  # here: polygons need no numpy in a worker
            bounds.append(masks.bbox(shape.rle))
        elif type(shape) is Polygon:
            bounds.append(points_bbox(shape.points))
        elif type(shape) is Ellipse:
            bounds.append(points_bbox(ellipse_to_polygon(shape)))
    x0 = min(b[0] for b in bounds)
    y0 = min(b[1] for b in bounds)
    x1 = max(b[0] + b[2] for b in bounds)
    y1 = max(b[1] + b[3] for b in bounds)
    return x0, y0, x1 - x0, y1 - y0


def _drop_implied(attrs: dict[str, Any], leader: Any, from_voc: bool) -> None:
    """Remove from ``attrs`` what is not a custom <attribute>: a false crowd flag, and a
    rotation that is geometry, consumed by the box/ellipse bounds (a CVAT-style
    "rotation": 0.0 of a non-VOC box is not an <attribute> either)."""
    if attrs.get("is_crowd") is False:
        attrs.pop("is_crowd")
    rotation = attrs.get("rotation")
    if type(leader) is Ellipse or (type(leader) is Bbox and (
            rotation or (not from_voc and type(rotation) in (int, float)))):
        attrs.pop("rotation", None)


def _flag_text(text: str) -> bool:
    return text.strip() not in ("", "0")


def _refuse_unwritable(plan: VocPlan, item: Item, units: list[ObjectUnit]) -> None:
    """Name the value lxml refused: the file name, a label, an attribute."""
    voc = item.extra.get("voc", {})
    values = [("file name", voc.get("filename") or plan.image_name(item))]
    for unit in units:
        labels = [unit.label] + [part.label for part in unit.parts]
        values += [("label", plan.names[i]) for i in labels if i is not None]
        for key, value in unit.leader.attributes.items():
            values += [("attribute name", str(key)),
                       (f"attribute {key!r}", format_value(value))]
    for what, value in values:
        if isinstance(value, str):
            check_writable(value, f"{what} {value!r}", file=item.id)


# -- the two serialisations ------------------------------------------------------------------

class _Fallback(Exception):
    """The nodes need lxml's tree writer (raw XML, or text the string writer avoids)."""


# Text the string writer handles exactly as lxml: no CR (lxml writes &#13;), no characters
# lxml refuses (control characters, surrogates, U+FFFE/U+FFFF).
_PLAIN = re.compile("[^\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]*")
_CONTROLS = bytes(c for c in range(0x20) if c not in (0x09, 0x0A))  # _PLAIN's ASCII part
_SIMPLE_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SIMPLE_TAGS: set[str] = set()  # tags seen to match _SIMPLE_TAG (most are the fixed ones)


def _as_text(root: Node) -> str:
    """The document as ``etree.indent(space="  ")`` + ``tostring`` would write it."""
    out: list[str] = []
    _add_text([root], "", out.append)
    document = "".join(out)
    # One check of the whole document, not one per value: the markup around the values
    # (simple tags, spaces, newlines, numbers) is plain, so it is plain when they all are.
    # An ASCII one can only hold control characters: deleting them (one C pass over its
    # bytes) is ~4x quicker than the regular expression's loop.
    if document.isascii():
        if len(document.encode("ascii").translate(None, _CONTROLS)) != len(document):
            raise _Fallback
    elif not _PLAIN.fullmatch(document):
        raise _Fallback
    return document


def _add_text(nodes: list[Node], pad: str, add: Any) -> None:
    # Leaves inline, one call per element with children: this loop runs ~20 times an object.
    for tag, value in nodes:
        if tag not in _SIMPLE_TAGS:
            if tag is None or not _SIMPLE_TAG.fullmatch(tag):  # raw XML, or an odd tag
                raise _Fallback
            _SIMPLE_TAGS.add(tag)
        kind = type(value)
        if kind is str:  # _as_text checks that it is plain
            if "&" in value or "<" in value or ">" in value:  # (rare: 3 scans < 1 translate)
                value = value.translate(TEXT_ESCAPES)
            add(f"{pad}<{tag}>{value}</{tag}>\n")
        elif kind is float:
            add(f"{pad}<{tag}>{value!r}</{tag}>\n")
        elif kind is int:
            add(f"{pad}<{tag}>{value}</{tag}>\n")
        elif value is None:
            add(f"{pad}<{tag}/>\n")
        elif kind is list and value:  # lxml writes an empty one as <tag/>
            add(f"{pad}<{tag}>\n")
            _add_text(value, pad + "  ", add)
            add(f"{pad}</{tag}>\n")
        else:
            raise _Fallback


def _as_tree(root: Node) -> bytes:
    from lxml import etree

    element = _element(root, None)
    etree.indent(element, space="  ")
    return etree.tostring(element, encoding="utf-8") + b"\n"


def _element(node: Node, parent: Any) -> Any:
    from lxml import etree

    from .xmlsafe import parse_xml

    tag, value = node
    if tag is None:
        element = parse_xml(value.encode(), "extra")
        parent.append(element)
        return element
    element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    if type(value) is list:
        for child in value:
            _element(child, element)
    elif type(value) is float:
        element.text = repr(value)
    elif type(value) is int:
        element.text = str(value)
    elif value is not None:
        element.text = value
    return element
