"""Structure-aware mutators for JSON and XML: each edits a parsed document and says what it did.

A mutator takes the file's bytes and a `Context` and returns `(new bytes, description)`.
JSON is kept as pairs so that keys can be duplicated, and written back by hand so that
numbers such as `10**400` or `NaN` and nesting 100,000 deep reach the parser as text.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from lxml import etree

from .values import Context, tweak_string

INTERESTING_KEYS = {
    "file_name", "id", "image_id", "category_id", "width", "height", "bbox", "area",
    "segmentation", "counts", "size", "keypoints", "num_keypoints", "iscrowd", "name",
    "supercategory", "skeleton", "segments_info", "images", "annotations", "categories",
    "path", "coco_url", "caption", "score", "attributes",
}
INTERESTING_ATTRS = {
    "name", "subset", "label", "points", "xtl", "ytl", "xbr", "ybr", "width", "height",
    "id", "frame", "rle", "left", "top", "rotation", "cx", "cy", "rx", "ry", "z_order",
    "occluded", "outside", "source", "keyframe", "start_frame", "stop_frame",
}


class Obj(list):
    """A JSON object as its list of [key, value] pairs (duplicates allowed)."""


class Raw(str):
    """JSON text written as it is (a number JSON cannot hold exactly, deep nesting)."""


def _pairs(items: list[tuple[str, Any]]) -> Obj:
    return Obj([list(pair) for pair in items])


def dump(value: Any) -> str:
    """JSON text of `value`, with Obj pairs and Raw text as they are."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Obj):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def _slots(doc: Any, limit: int = 50_000) -> list[tuple[Any, int, str]]:
    """(container, index, key name) of every value, breadth first, up to `limit`."""
    found: list[tuple[Any, int, str]] = []
    todo = [doc]
    while todo and len(found) < limit:
        node = todo.pop(0) if len(todo) < 64 else todo.pop()
        if isinstance(node, Obj):
            for i, (key, value) in enumerate(node):
                found.append((node, i, key))
                todo.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                found.append((node, i, ""))
                todo.append(value)
    return found


def _get(container: Any, i: int) -> Any:
    return container[i][1] if isinstance(container, Obj) else container[i]


def _set(container: Any, i: int, value: Any) -> None:
    if isinstance(container, Obj):
        container[i][1] = value
    else:
        container[i] = value


def _pick(ctx: Context, slots: list[tuple[Any, int, str]]) -> tuple[Any, int, str]:
    keyed = [s for s in slots if s[2] in INTERESTING_KEYS]
    if keyed and ctx.rng.random() < 0.6:
        return ctx.rng.choice(keyed)
    return ctx.rng.choice(slots)


def _swap_type(ctx: Context, value: Any) -> Any:
    return ctx.rng.choice([None, True, False, "", "1", [], _pairs([]), 0, -1, [value],
                           _pairs([("x", value)]), str(value)[:50], 1.5])


def _json_edit(ctx: Context, doc: Any) -> str:
    rng = ctx.rng
    slots = _slots(doc)
    if not slots:
        return "empty document"
    container, i, key = _pick(ctx, slots)
    value = _get(container, i)
    place = key or f"[{i}]"
    op = rng.choice(["number", "number", "name", "type", "delete", "duplicate", "nest",
                     "long", "tweak", "empty", "huge_list", "swap", "append", "splice",
                     "splice"])
    if op == "number" or (op == "tweak" and isinstance(value, (int, float))):
        text = ctx.number_text(json_only=rng.random() < 0.7)
        _set(container, i, Raw(text))
        return f"{place}={text[:20]}"
    if op == "name":
        _set(container, i, ctx.name())
        return f"{place}=name {_get(container, i)[:40]!r}"
    if op == "type":
        _set(container, i, _swap_type(ctx, value))
        return f"{place} type -> {type(_get(container, i)).__name__}"
    if op == "delete":
        del container[i]
        return f"{place} deleted"
    if op == "duplicate":
        container.insert(i + 1, copy.deepcopy(container[i]))
        return f"{place} duplicated"
    if op == "nest":
        depth = rng.choice([100, 1000, 5000, 100_000])
        open_, close = rng.choice([("[", "]"), ('{"a":', "}")])
        _set(container, i, Raw(open_ * depth + "1" + close * depth))
        return f"{place} nested {depth} deep"
    if op == "long":
        _set(container, i, ctx.long_string())
        return f"{place} long string"
    if op == "tweak" and isinstance(value, str):
        _set(container, i, tweak_string(ctx, value))
        return f"{place} string edited"
    if op == "empty":
        _set(container, i, [] if isinstance(value, list) else _pairs([]))
        return f"{place} emptied"
    if op == "append" and isinstance(value, list) and not isinstance(value, Obj):
        value.append(Raw(ctx.number_text(json_only=True)) if not value or rng.random() < 0.5
                     else copy.deepcopy(value[-1]))
        return f"{place} grew to {len(value)}"
    if op == "splice":  # another place's value here: an RLE where a polygon was, ...
        other, j, other_key = rng.choice(slots)
        _set(container, i, copy.deepcopy(_get(other, j)))
        return f"{place} = copy of {other_key or f'[{j}]'}"
    if op == "huge_list":
        n = rng.choice([10_000, 1_000_000])
        _set(container, i, Raw("[" + ",".join(["1"] * n) + "]"))
        return f"{place} list of {n}"
    j = rng.randrange(len(container))
    a, b = _get(container, i), _get(container, j)
    _set(container, i, b)
    _set(container, j, a)
    return f"{place} swapped with sibling {j}"


def mutate_json(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """Parse, apply 1-3 edits, write back; text that does not parse is edited as text."""
    rng = ctx.rng
    try:
        doc = json.loads(data, object_pairs_hook=_pairs)
    except (ValueError, RecursionError):
        return tweak_string(ctx, data.decode("utf-8", "replace")).encode(), "json text edit"
    done = [_json_edit(ctx, doc) for _ in range(rng.choice([1, 1, 2, 3, 5]))]
    text = dump(doc)
    roll = rng.random()
    if roll < 0.05:
        cut = rng.randrange(len(text) + 1)
        done.append(f"truncated at {cut}")
        text = text[:cut]
    elif roll < 0.08:
        done.append("utf-16")
        return text.encode("utf-16"), "json " + "; ".join(done)
    elif roll < 0.10:
        done.append("BOM")
        text = "\ufeff" + text
    return text.encode("utf-8", "surrogatepass"), "json " + "; ".join(done)


# -- XML ---------------------------------------------------------------------------------
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _xml_edit(ctx: Context, root: Any) -> str:
    rng = ctx.rng
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    with_attrs = [e for e in elements if set(e.attrib) & INTERESTING_ATTRS]
    el = rng.choice(with_attrs) if with_attrs and rng.random() < 0.5 else rng.choice(elements)
    op = rng.choice(["attr", "attr", "text", "text", "delete", "duplicate", "rename", "nest",
                     "long", "add_attr", "splice"])
    place = f"<{el.tag}> line {el.sourceline}"
    if op == "attr" and el.attrib:
        key = rng.choice(sorted(el.attrib))
        roll = rng.random()
        if roll < 0.3:
            del el.attrib[key]
            return f"{place} @{key} deleted"
        value = ctx.number_text() if roll < 0.55 else ctx.name() if roll < 0.8 \
            else tweak_string(ctx, el.attrib[key])
        return _assign(lambda v: el.set(key, v), value, f"{place} @{key}")
    if op in ("attr", "text"):
        value = ctx.number_text() if rng.random() < 0.4 else ctx.name() \
            if rng.random() < 0.5 else tweak_string(ctx, el.text or "")
        return _assign(lambda v: setattr(el, "text", v), value, f"{place} text")
    parent = el.getparent()
    if op == "delete" and parent is not None:
        parent.remove(el)
        return f"{place} deleted"
    if op == "duplicate" and parent is not None:
        parent.insert(parent.index(el), copy.deepcopy(el))
        return f"{place} duplicated"
    if op == "rename":
        el.tag = rng.choice(["image", "box", "polygon", "object", "meta", "x", "size",
                             "annotation", "labels", "label", "bndbox", "task"])
        return f"{place} renamed <{el.tag}>"
    if op == "nest":
        depth = rng.choice([200, 300, 2000])
        node = el
        for _ in range(depth):
            node = etree.SubElement(node, el.tag)
        return f"{place} nested {depth} deep"
    if op == "splice" and with_attrs and el.attrib:  # another element's value here
        donor = rng.choice(with_attrs)
        donor_key = rng.choice(sorted(donor.attrib))
        key = rng.choice(sorted(el.attrib))
        el.set(key, donor.get(donor_key))
        return f"{place} @{key} = <{donor.tag}> @{donor_key}"
    if op == "long":
        key = rng.choice(sorted(el.attrib)) if el.attrib else "name"
        el.set(key, ctx.long_string())
        return f"{place} @{key} long"
    key = rng.choice(sorted(INTERESTING_ATTRS))
    return _assign(lambda v: el.set(key, v), ctx.name(), f"{place} @{key} added")


def _assign(setter: Any, value: str, place: str) -> str:
    """Set an XML value; characters XML cannot hold (NUL) are replaced by their name."""
    try:
        setter(value)
    except ValueError:
        value = value.replace("\x00", "NUL")
        setter(value)
    return f"{place}={value[:30]!r}"


def _xml_text_edit(ctx: Context, text: bytes) -> tuple[bytes, str]:
    """Edits below the tree: entities, truncation, stray bytes, a lying encoding."""
    rng = ctx.rng
    op = rng.randrange(6)
    body = text.split(b"?>", 1)[1] if text.startswith(b"<?xml") else text
    start = body.find(b"<", body.find(b"<") + 1)
    if op == 0:
        dtd = (b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
               b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;">]>')
        return dtd + body[:start] + b"&d;" + body[start:], "xml entity expansion"
    if op == 1:
        dtd = b'<!DOCTYPE r [<!ENTITY s SYSTEM "file://' + str(ctx.secret).encode() + b'">]>'
        return dtd + body[:start] + b"&s;" + body[start:], "xml external entity"
    if op == 2:
        cut = rng.randrange(len(text) + 1)
        return text[:cut], f"xml truncated at {cut}"
    if op == 3:
        at = rng.randrange(len(text) + 1)
        junk = rng.choice([b"\x00", b"\xff\xfe", b"&#0;", b"<", b"&", b"]]>", b"\n<x>"])
        return text[:at] + junk + text[at:], f"xml {junk!r} inserted at {at}"
    if op == 4:
        return b'<?xml version="1.0" encoding="UTF-16"?>' + body, "xml lying encoding"
    return b"<?xml version='1.0'?><!-- " + b"-" * 10 + b" -->" + body, "xml comment prolog"


def mutate_xml(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """Parse with the same hardening as cococonv, edit 1-3 times, write back."""
    rng = ctx.rng
    if rng.random() < 0.2:
        return _xml_text_edit(ctx, data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return _xml_text_edit(ctx, data)
    done = [_xml_edit(ctx, root) for _ in range(rng.choice([1, 1, 2, 3, 5]))]
    return etree.tostring(root, xml_declaration=True, encoding="utf-8"), \
        "xml " + "; ".join(done)
