"""One VOC annotation XML to an item template and its objects.

``<object>`` -> Bbox in group N (its 1-based position in the XML), with ``difficult``,
``truncated``, ``occluded`` as bools, ``pose`` as text, ``<actions>`` children as bools and
``<attributes><attribute>`` values typed; ``<part>`` -> Bbox of the part label, same group.
Unknown tags are kept as XML text in ``extra["voc"]`` so voc -> voc loses nothing. Names
wait in FoundLabels until the label map is known.
"""
from __future__ import annotations

import posixpath
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import box_problem
from cococonv.model import MAX_IMAGE_SIDE, Annotation, Bbox, Image, Item, Label
from cococonv.sources import Tree

from . import layout as L
from .label_names import FoundLabels
from .parts import PART_MARK
from .xmlsafe import parse_number, parse_value, parse_xml

_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


def _text(element: Any) -> str:
    return (element.text or "").strip()


def _raw(element: Any) -> str:
    """An unknown element as XML text without its layout whitespace (re-indented on export)."""
    import copy

    from lxml import etree

    clone = copy.deepcopy(element)
    for node in clone.iter():
        if node.text is not None and not node.text.strip() and len(node):
            node.text = None
        if node is not clone and node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(clone, encoding="unicode", with_tail=False)


def _check_in_image(obj: VocObject, size: tuple[int, int], display: str) -> None:
    """Refuse a box reaching past the margin around its image (docs/limits.md)."""
    for box in [obj.box, *(part for _name, part in obj.parts)]:
        if type(box) is Bbox and (problem := box_problem([box.x, box.y, box.w, box.h], *size)):
            raise DataError(f"<bndbox> {problem}", file=display, where=f"line {obj.line}")


class VocObject:
    """One parsed ``<object>``: its annotations and the names to resolve into labels."""

    __slots__ = ("name", "box", "parts", "line")

    def __init__(self, name: str, box: Annotation, parts: list[tuple[str, Bbox]], line: int):
        self.name, self.box, self.parts, self.line = name, box, parts, line


class XmlReader:
    """Reads the XMLs of one run; counts boxes at 0 that a 1-based source should not have."""

    def __init__(self, tree: Tree, tasks: set[str], one_based: bool, found: FoundLabels):
        self.tree = tree
        self.tasks = tasks
        self.one_based = one_based
        self.found = found
        self.zero_boxes = 0

    def read(self, rel: str, item_id: str) -> tuple[Item, list[VocObject]]:
        display = self.tree.display(rel)
        root = parse_xml(self.tree.read_bytes(rel), display)
        if root.tag != "annotation":
            raise DataError(f"the root element is <{root.tag}>, expected <annotation>",
                            file=display, where=f"line {root.sourceline}")
        children: list[str] = []
        voc: dict[str, Any] = {"children": children}
        size = None
        filename = None
        objects: list[VocObject] = []
        for child in root:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "filename":
                filename = _text(child)
                children.append(tag)
            elif tag == "size":
                parsed = self._read_size(child)
                if parsed is None:
                    children.append(_raw(child))
                else:
                    size, depth = parsed
                    voc["depth"] = depth
                    children.append(tag)
            elif tag == "segmented":
                voc["segmented"] = _text(child)
                children.append(tag)
            elif tag == "object":
                if "object" not in children:
                    children.append("object")
                objects.append(self._read_object(child, len(objects) + 1, display))
            else:
                children.append(_raw(child))
                if len(child) or child.attrib or (child.text or "").strip():
                    # named for the report (an empty <folder/> holds nothing to lose)
                    voc.setdefault("unknown_tags", []).append(tag)
        if size is not None:
            for obj in objects:
                _check_in_image(obj, size, display)
        image = Image(item_id + ".jpg", size)
        if filename is not None:
            ext = posixpath.splitext(filename)[1]
            image.name = item_id + (ext or ".jpg")
            if filename != posixpath.basename(image.name):
                voc["filename"] = filename
        item = Item(item_id, extra={"voc": voc}, image=image)
        return item, objects

    def _read_size(self, element: Any) -> tuple[tuple[int, int], str] | None:
        values: dict[str, str] = {}
        for child in element:
            if isinstance(child.tag, str):
                values[child.tag] = _text(child)
        try:
            width = parse_number(values.get("width", ""))
            height = parse_number(values.get("height", ""))
        except ValueError:
            return None
        if set(values) - {"width", "height", "depth"} or float(width) != int(width) or \
                float(height) != int(height) or not 0 < width <= MAX_IMAGE_SIDE or \
                not 0 < height <= MAX_IMAGE_SIDE:
            return None
        return (int(height), int(width)), values.get("depth", None)  # type: ignore[return-value]

    def _read_object(self, element: Any, index: int, display: str) -> VocObject:
        name = None
        attrs: dict[str, Any] = {}
        unknown: list[str] = []
        empty: list[str] = []
        box: tuple | None = None
        parts: list[tuple[str, Bbox]] = []
        actions: list[str] = []
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "name":
                name = _text(child)
            elif tag in L.FLAG_TAGS:
                text = _text(child)
                if not text:
                    empty.append(tag)
                else:
                    attrs[tag] = self._flag(text, child, display)
            elif tag == "pose":
                text = _text(child)
                if text:
                    attrs["pose"] = text
                else:
                    empty.append(tag)
            elif tag == "bndbox":
                box = self._read_box(child, display)
            elif tag == "part" and L.LAYOUT in self.tasks:
                parts.append(self._read_part(child, index, display))
            elif tag == "actions" and L.ACTION in self.tasks:
                for action in child:
                    if isinstance(action.tag, str):
                        attrs[action.tag] = self._flag(_text(action), action, display)
                        actions.append(action.tag)
            elif tag == "attributes":
                for attribute in child:
                    if attribute.tag != "attribute":
                        continue
                    key = attribute.findtext("name")
                    if not key or not key.strip():
                        raise DataError("<attribute> has no <name>", file=display,
                                        where=f"line {attribute.sourceline}")
                    attrs[key.strip()] = parse_value(attribute.findtext("value") or "")
            else:
                unknown.append(_raw(child))
        if not name:
            raise DataError("<object> has no <name>", file=display,
                            where=f"line {element.sourceline}")
        if actions:
            self.found.add_actions(name, actions)
        extra: dict[str, Any] = {}
        voc: dict[str, Any] = {}
        if unknown:
            voc["unknown"] = unknown
        if empty:
            voc["empty"] = empty
        ann: Annotation
        if box is None:
            voc["no_bndbox"] = True
            ann = Label(group=index, attributes=attrs)
        else:
            ann = Bbox(group=index, attributes=attrs, x=box[0], y=box[1], w=box[2], h=box[3])
        if voc:
            extra["voc"] = voc
        ann.extra = extra
        self.found.add_object(ann, name)
        for part_name, part in parts:
            if part_name == name:
                # A part of its object's own label (a person's "person" part) cannot be
                # told from a second object once the layout is gone (COCO): say it.
                part.attributes[PART_MARK] = True
            self.found.add_part(part, part_name, name)
        return VocObject(name, ann, parts, element.sourceline)

    def _read_part(self, element: Any, index: int, display: str) -> tuple[str, Bbox]:
        name = _text(element.find("name")) if element.find("name") is not None else ""
        bndbox = element.find("bndbox")
        if not name or bndbox is None:
            raise DataError("<part> needs a <name> and a <bndbox>", file=display,
                            where=f"line {element.sourceline}")
        x, y, w, h = self._read_box(bndbox, display)
        return name, Bbox(group=index, x=x, y=y, w=w, h=h)

    def _flag(self, text: str, element: Any, display: str) -> bool:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise DataError(f"<{element.tag}> must be 0 or 1, got {text!r}", file=display,
                        where=f"line {element.sourceline}")

    def _read_box(self, element: Any, display: str) -> tuple:
        values: dict[str, int | float] = {}
        for child in element:
            tag = child.tag
            if tag in ("xmin", "ymin", "xmax", "ymax"):
                try:
                    values[tag] = parse_number(child.text or "")
                except ValueError:
                    raise DataError(f"<{tag}> must be a number, got {_text(child)!r}",
                                    file=display, where=f"line {child.sourceline}") from None
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            if tag not in values:
                raise DataError(f"<bndbox> has no <{tag}>", file=display,
                                where=f"line {element.sourceline}")
        xmin, ymin, xmax, ymax = values["xmin"], values["ymin"], values["xmax"], values["ymax"]
        if xmax < xmin or ymax < ymin:
            raise DataError(f"box ({xmin}, {ymin}, {xmax}, {ymax}) has xmax < xmin or "
                            f"ymax < ymin", file=display, where=f"line {element.sourceline}")
        shift = 1 if self.one_based else 0
        if shift and (xmin == 0 or ymin == 0):
            self.zero_boxes += 1
        return xmin - shift, ymin - shift, xmax - xmin, ymax - ymin
