"""Streaming CVAT XML: recognising a CVAT document and iterating its top-level elements.

The hardening (no entities, no network, no DTD) and the escaping live in cococonv.xmlsafe;
this module streams with ``iterparse`` so a multi-GB annotations.xml never becomes one tree.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from cococonv.errors import DataError
from cococonv.xmlsafe import PARSER_OPTIONS, attr, refuse_entities, syntax_error, text

SNIFF_BYTES = 1 << 16
_ROOT = re.compile(rb"<annotations[\s>/]")
_MARKERS = (b"<version>", b"<meta>", b"<meta ")


def looks_like_cvat(head: bytes) -> bool:
    """True when the first bytes of a file are a CVAT ``<annotations>`` document."""
    found = _ROOT.search(head)
    if found is None:
        return False
    rest = head[found.end():]
    return any(marker in rest for marker in _MARKERS)


def check_prolog(head: bytes, display: str) -> None:
    """Refuse a document declaring entities (billion laughs, external files)."""
    found = _ROOT.search(head)
    refuse_entities(head[:found.start()] if found else head, display)


TOP_LEVEL = ("image", "track", "tag", "meta", "version")


def iter_top_level(stream: IO[bytes], display: str) -> Iterator[Any]:
    """Yield each child of the root element once it is complete, then free it.

    lxml reports only the ends of the elements named in ``TOP_LEVEL`` (filtered in C: the
    shapes inside an image cost no Python work here); any other top-level element is
    yielded when the next known one ends. The root must be ``<annotations>``; a syntax
    error becomes a DataError naming the file and line.
    """
    from lxml import etree

    context = etree.iterparse(stream, events=("end",), tag=TOP_LEVEL, **PARSER_OPTIONS)
    root = None
    try:
        for _event, elem in context:
            parent = elem.getparent()
            if root is None and parent is not None:
                root = elem.getroottree().getroot()
                _check_root(root, display)
            if parent is None or parent is not root:
                continue
            while root[0] is not elem:
                first = root[0]
                if first.tag not in TOP_LEVEL:
                    yield first
                del root[0]
            yield elem
            elem.clear()
        root = context.root
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, display) from None
    if root is None:
        raise DataError("the XML document is empty", file=display)
    _check_root(root, display)
    for child in root:
        if isinstance(child.tag, str) and child.tag not in TOP_LEVEL:
            yield child


_FEW_ATTRIBUTES = 32


def attr_items(elem: Any) -> list[tuple[str, str]]:
    """An element's attributes as (name, value) pairs, in time linear in their number.

    lxml's ``attrib.items()`` looks each value up again by name (libxml2 scans the attribute
    list), so one element with n attributes costs n**2: 80,000 attributes took 25 s. Past a
    few attributes the XPath ``@*`` result is read instead; it holds the attribute nodes
    themselves, each string knowing its (namespaced) name.
    """
    if len(elem.attrib) <= _FEW_ATTRIBUTES:
        return elem.items()  # type: ignore[no-any-return]
    return [(value.attrname, str(value)) for value in elem.xpath("@*")]


def _check_root(root: Any, display: str) -> None:
    if root.tag != "annotations":
        raise DataError(f"the root element is <{root.tag}>, expected <annotations>",
                        file=display, where=f"line {root.sourceline}")


__all__ = ["attr", "attr_items", "text", "looks_like_cvat", "check_prolog", "iter_top_level"]
