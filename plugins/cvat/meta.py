"""The ``<meta>`` block: a generic kept form, label schemas, attribute typing, skeleton SVG.

The meta block (task, project or job: owner, segments, dates...) is kept as a plain nested
list so a CVAT -> CVAT run writes it back unchanged: an element is ``[tag, text]`` when it
has no children, ``[tag, [children...]]`` otherwise. Labels are not kept there: they become
the dataset's categories (the place transforms edit) and the ``<labels>`` element is left as
``["labels", None]``, a marker for where the exporter writes them back.

Per label the children other than ``name``/``parent`` are kept in ``extra["cvat"]["fields"]``
in the same form, so colour, type, SVG and attribute declarations survive as written.
"""
from __future__ import annotations

import math
import re
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Categories, KeypointSchema, LabelCategory

from . import xmlsafe

Node = list  # [tag, str | list[Node] | None]

INPUT_TYPES = ("select", "radio", "checkbox", "number", "text")


# -- generic form ---------------------------------------------------------------------------
def to_node(elem: Any) -> Node:
    """An lxml element as ``[tag, text]`` or ``[tag, [children]]`` (comments dropped)."""
    children = [child for child in elem if isinstance(child.tag, str)]
    if not children:
        raw = elem.text or ""
        return [elem.tag, raw if raw.strip() else ""]
    return [elem.tag, [to_node(child) for child in children]]


def find(nodes: list[Node] | None, *path: str) -> Node | None:
    """The first node along ``path`` (tags) under a list of nodes, or None."""
    node: Node | None = None
    for tag in path:
        if not isinstance(nodes, list):
            return None
        node = next((n for n in nodes if n[0] == tag), None)
        if node is None:
            return None
        nodes = node[1]
    return node


def text_of(nodes: list[Node] | None, *path: str) -> str | None:
    node = find(nodes, *path)
    return node[1] if node is not None and isinstance(node[1], str) else None


def with_labels_marker(nodes: list[Node]) -> list[Node]:
    """A copy of kept meta nodes that has the labels marker (added to the owner if absent)."""
    nodes = [list(n) for n in nodes]
    owner = next((n for n in nodes if n[0] in ("task", "project", "job")), None)
    if owner is None:
        owner = ["task", []]
        nodes.insert(0, owner)
    if not isinstance(owner[1], list):
        owner[1] = []
    if not any(n[0] == "labels" and n[1] is None for n in owner[1]):
        owner[1] = list(owner[1]) + [["labels", None]]
    return nodes


def for_subsets(nodes: list[Node] | None, sizes: dict[str, int]) -> tuple[list[Node], bool]:
    """Meta for an output of several subsets: a project with one task per subset.

    A CVAT project export lists its subsets as ``<project><tasks><task><subset>``; Datumaro
    (what CVAT imports with) reads one subset per listed task and, under a ``<task>`` meta,
    only the images of the subset named after the file, i.e. none. A kept project gains a
    task for each subset it lacks; a kept task or job meta is replaced (the bool says so).
    """
    owner = next((n for n in nodes or () if n[0] in ("task", "project", "job")), None)
    if owner is None or owner[0] != "project" or not isinstance(owner[1], list):
        tasks = [_subset_task(subset, size) for subset, size in sizes.items()]
        return [["project", [["tasks", tasks], ["labels", None]]]], owner is not None
    nodes = [list(n) for n in nodes or ()]
    owner = next(n for n in nodes if n[0] == "project")
    children = owner[1] = [list(n) for n in owner[1]]
    tasks_node = find(children, "tasks")
    if tasks_node is None or not isinstance(tasks_node[1], list):
        tasks_node = ["tasks", []]
        children.insert(0, tasks_node)
    else:
        tasks_node = children[children.index(tasks_node)] = ["tasks", list(tasks_node[1])]
    listed = {(text_of(task[1], "subset") or "").strip() for task in tasks_node[1]
              if task[0] == "task" and isinstance(task[1], list)}
    tasks_node[1] += [_subset_task(subset, size) for subset, size in sizes.items()
                      if subset not in listed]
    return nodes, False


def _subset_task(subset: str, size: int) -> Node:
    return ["task", [["name", subset], ["size", str(size)], ["mode", "annotation"],
                     ["subset", subset]]]


def write_nodes(nodes: list[Node], depth: int, out: list[str],
                labels_xml: str | None = None) -> None:
    """Append the XML of ``nodes`` to ``out``; the labels marker receives ``labels_xml``."""
    pad = "  " * depth
    for tag, value in nodes:
        if value is None:
            if labels_xml is not None:
                out.append(labels_xml)
            continue
        if isinstance(value, list):
            out.append(f"{pad}<{tag}>\n")
            write_nodes(value, depth + 1, out, labels_xml)
            out.append(f"{pad}</{tag}>\n")
        else:
            out.append(f"{pad}<{tag}>{xmlsafe.text(value)}</{tag}>\n")


# -- attribute values -----------------------------------------------------------------------
_INT = re.compile(r"[+-]?\d+\Z")


def typed_value(raw: str, input_type: str | None) -> Any:
    """A CVAT attribute's text as the type its declaration says.

    checkbox -> bool, number -> int (when integral text) or float, anything else -> str.
    Text that does not fit its declared type stays a str rather than being lost.
    """
    if input_type == "checkbox":
        low = raw.strip().lower()
        if low == "true":
            return True
        if low == "false":
            return False
        return raw
    if input_type == "number":
        stripped = raw.strip()
        if _INT.match(stripped):
            return int(stripped)
        try:
            value = float(stripped)
        except ValueError:
            return raw
        return value if math.isfinite(value) else raw
    return raw


def value_text(value: Any) -> str:
    """An attribute value as CVAT writes it (booleans lowercase, floats shortest)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return number(value)
    return str(value)


def number(value: float) -> str:
    """Shortest text that reads back to the same float; integral values without ``.0``."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# -- labels ---------------------------------------------------------------------------------
def attribute_specs(fields: list[Node] | None) -> list[dict[str, str]]:
    """The ``<attributes>`` declarations of a label as dicts of their child texts."""
    node = find(fields, "attributes")
    if node is None or not isinstance(node[1], list):
        return []
    specs = []
    for attr_node in node[1]:
        if attr_node[0] != "attribute" or not isinstance(attr_node[1], list):
            continue
        specs.append({tag: value for tag, value in attr_node[1] if isinstance(value, str)})
    return specs


def parse_color(value: str | None) -> tuple[int, int, int] | None:
    if not value or not re.fullmatch(r"#[0-9a-fA-F]{6}", value.strip()):
        return None
    v = value.strip()
    return int(v[1:3], 16), int(v[3:5], 16), int(v[5:7], 16)


def color_text(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class LabelSchema:
    """What the importer needs to know of the declared labels."""

    def __init__(self) -> None:
        self.categories = Categories()
        self.index: dict[str, int] = {}
        # label name -> {attribute name -> input_type}
        self.types: dict[str, dict[str, str]] = {}
        # skeleton label name -> {sublabel name -> node position}
        self.nodes: dict[str, dict[str, int]] = {}
        self.sublabel_types: dict[tuple[str, str], dict[str, str]] = {}

    def add_label(self, name: str, fields: list[Node] | None = None) -> int:
        specs = attribute_specs(fields)
        cvat: dict[str, Any] = {"fields": fields} if fields is not None else {}
        index = self.categories.add(name, attributes=[s.get("name", "") for s in specs],
                                    extra={"cvat": cvat} if cvat else {})
        self.index[name] = index
        self.types[name] = {s.get("name", ""): s.get("input_type", "") for s in specs}
        rgb = parse_color(text_of(fields, "color"))
        if rgb is not None:
            self.categories.colormap[index] = rgb
        return index


def read_labels(labels: Node | None) -> LabelSchema:
    """Categories, attribute types and skeleton schemas from a ``<labels>`` node."""
    schema = LabelSchema()
    if labels is None or not isinstance(labels[1], list):
        return schema
    children: list[tuple[str, str, list[Node]]] = []
    for label_node in labels[1]:
        if label_node[0] != "label":
            continue
        fields = label_node[1] if isinstance(label_node[1], list) else []
        name = text_of(fields, "name") or ""
        parent = text_of(fields, "parent")
        rest = [f for f in fields if f[0] not in ("name", "parent")]
        if parent:
            children.append((parent, name, rest))
        else:
            schema.add_label(name, rest)
    for parent, name, rest in children:
        index = schema.index.get(parent)
        if index is None:  # a sublabel of an undeclared skeleton: keep it as a label
            schema.add_label(name, rest)
            continue
        cvat = schema.categories.labels[index].extra.setdefault("cvat", {})
        cvat.setdefault("sublabels", []).append({"name": name, "fields": rest})
        nodes = schema.nodes.setdefault(parent, {})
        if name in nodes:  # node positions would clash: a skeleton's points are by name
            raise DataError(f"skeleton label {parent!r} declares the node {name!r} twice")
        nodes[name] = len(nodes)
        schema.sublabel_types[(parent, name)] = {
            s.get("name", ""): s.get("input_type", "") for s in attribute_specs(rest)}
    for parent, nodes in schema.nodes.items():
        index = schema.index[parent]
        names = list(nodes)
        svg = text_of(schema.categories.labels[index].extra["cvat"]["fields"], "svg") or ""
        schema.categories.keypoints[index] = KeypointSchema(names, svg_edges(svg, names))
    for name, index in schema.index.items():
        fields = schema.categories.labels[index].extra.get("cvat", {}).get("fields")
        if text_of(fields, "type") == "skeleton" and index not in schema.categories.keypoints:
            schema.categories.keypoints[index] = KeypointSchema([], [])
            schema.nodes.setdefault(name, {})
    return schema


# -- skeleton SVG ---------------------------------------------------------------------------
_EDGE = re.compile(r"<line\b[^>]*>")
_NODE = re.compile(r"<circle\b[^>]*>")
_ATTR = re.compile(r'([\w:-]+)\s*=\s*"([^"]*)"')


def svg_edges(svg: str, names: list[str]) -> list[list[int]]:
    """Skeleton edges as 1-based positions in ``names`` from CVAT's label SVG.

    CVAT's SVG draws each node as a ``<circle data-node-id data-label-name>`` and each edge
    as a ``<line data-node-from data-node-to>``; node ids are not positions, so they are
    mapped through the node's label name. Only attributes are read (no XML parser needed).
    """
    position = {name: k + 1 for k, name in enumerate(names)}
    node_pos: dict[str, int] = {}
    for match in _NODE.finditer(svg):
        attrs = dict(_ATTR.findall(match.group(0)))
        name = attrs.get("data-label-name")
        node_id = attrs.get("data-node-id")
        if name in position and node_id is not None:
            node_pos[node_id] = position[name]
    edges = []
    for match in _EDGE.finditer(svg):
        attrs = dict(_ATTR.findall(match.group(0)))
        a = node_pos.get(attrs.get("data-node-from", ""))
        b = node_pos.get(attrs.get("data-node-to", ""))
        if a is not None and b is not None:
            edges.append([a, b])
    return edges


def make_svg(names: list[str], edges: list[list[int]]) -> str:
    """A CVAT skeleton SVG: nodes on a circle, one line per edge (node id = position)."""
    count = max(len(names), 1)
    places = []
    for k in range(len(names)):
        angle = 2 * math.pi * k / count
        places.append((round(50 + 40 * math.cos(angle), 3), round(50 + 40 * math.sin(angle), 3)))
    parts = []
    for edge in edges:
        if len(edge) != 2 or not all(1 <= v <= len(names) for v in edge):
            continue
        (x1, y1), (x2, y2) = places[edge[0] - 1], places[edge[1] - 1]
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="black" '
                     f'data-type="edge" data-node-from="{edge[0]}" stroke-width="0.5" '
                     f'data-node-to="{edge[1]}"></line>')
    for k, name in enumerate(names):
        x, y = places[k]
        parts.append(f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x}" cy="{y}" '
                     f'stroke-width="0.1" data-type="element node" data-element-id="{k + 1}" '
                     f'data-node-id="{k + 1}" data-label-name="{xmlsafe.attr(name)}"></circle>')
    return "".join(parts)


# -- writing labels -------------------------------------------------------------------------
def attribute_node(name: str, input_type: str, values: list[Any]) -> Node:
    """A declaration for an attribute the source did not declare, guessed from its values."""
    if input_type == "checkbox":
        default, choices = "false", "false\ntrue"
    elif input_type == "number":
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        low, high = (min(nums), max(nums)) if nums else (0, 0)
        step = 1 if all(isinstance(v, int) for v in nums) else 0.001
        default = number(low)
        choices = f"{number(low)}\n{number(high)}\n{number(step)}"
    else:
        default, choices = "", ""
    return ["attribute", [["name", name], ["mutable", "False"], ["input_type", input_type],
                          ["default_value", default], ["values", choices]]]


def label_xml(label: LabelCategory, color: tuple[int, int, int] | None,
              schema: KeypointSchema | None, added: list[Node]) -> str:
    """``<label>`` elements (the label, then its skeleton sublabels) inside meta/task/labels.

    Kept fields are written back as read; ``added`` attribute declarations are appended
    to ``<attributes>``; a keypoint schema without CVAT fields becomes a skeleton label.
    """
    cvat = label.extra.get("cvat") or {}
    fields: list[Node] = [list(f) for f in (cvat.get("fields") or [])]
    if color is not None:
        node = find(fields, "color")
        if node is None:
            fields.insert(0, ["color", color_text(color)])
        elif parse_color(node[1]) != color:
            node[1] = color_text(color)
    sublabels = cvat.get("sublabels")
    if schema is not None and schema.names and sublabels is None:
        sublabels = [{"name": n, "fields": [["type", "points"], ["attributes", ""]]}
                     for n in schema.names]
        if find(fields, "type") is None:
            fields.append(["type", "skeleton"])
        if find(fields, "svg") is None:
            fields.append(["svg", make_svg(schema.names, schema.skeleton)])
    if added:
        node = find(fields, "attributes")
        if node is None:
            fields.append(["attributes", list(added)])
        else:
            node[1] = (node[1] if isinstance(node[1], list) else []) + added
    elif "fields" not in cvat and find(fields, "attributes") is None:
        fields.append(["attributes", ""])
    out: list[str] = []
    _write_label(label.name, fields, None, out)
    for sub in sublabels or []:
        _write_label(sub["name"], sub.get("fields") or [], label.name, out)
    return "".join(out)


def _write_label(name: str, fields: list[Node], parent: str | None, out: list[str]) -> None:
    out.append("        <label>\n")
    out.append(f"          <name>{xmlsafe.text(name)}</name>\n")
    write_nodes(fields, 5, out)
    if parent is not None:
        out.append(f"          <parent>{xmlsafe.text(parent)}</parent>\n")
    out.append("        </label>\n")
