"""Hardened reading and careful writing of CVAT XML.

Reading: lxml with entity resolution, network access and huge-tree mode off, streamed with
``iterparse`` so a multi-GB annotations.xml does not become one big tree. A document that
declares entities is refused before lxml sees it: CVAT never writes a DTD, and refusing is
simpler to reason about than trusting every parser flag. Writing: plain strings, because
building an lxml tree for 5,000 images costs more than the escaping done here.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from cococonv.errors import DataError, UnsafeInputError

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
    prolog = head[:found.start()] if found else head
    if b"<!ENTITY" in prolog:
        line = prolog[:prolog.index(b"<!ENTITY")].count(b"\n") + 1
        raise UnsafeInputError("the XML declares entities; refusing to read it",
                               file=display, where=f"line {line}")


TOP_LEVEL = ("image", "track", "tag", "meta", "version")


def iter_top_level(stream: IO[bytes], display: str) -> Iterator[Any]:
    """Yield each child of the root element once it is complete, then free it.

    lxml reports only the ends of the elements named in ``TOP_LEVEL`` (filtered in C: the
    shapes inside an image cost no Python work here); any other top-level element is
    yielded when the next known one ends. The root must be ``<annotations>``; a syntax
    error becomes a DataError naming the file and line.
    """
    from lxml import etree

    context = etree.iterparse(stream, events=("end",), tag=TOP_LEVEL, resolve_entities=False,
                              no_network=True, huge_tree=False, load_dtd=False,
                              remove_comments=True, remove_pis=True)
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
        line = exc.position[0] if exc.position else exc.lineno
        message = (exc.msg or str(exc)).split(", line ")[0]
        raise DataError(f"not valid XML ({message})", file=display,
                        where=f"line {line}") from None
    if root is None:
        raise DataError("the XML document is empty", file=display)
    _check_root(root, display)
    for child in root:
        if isinstance(child.tag, str) and child.tag not in TOP_LEVEL:
            yield child


def _check_root(root: Any, display: str) -> None:
    if root.tag != "annotations":
        raise DataError(f"the root element is <{root.tag}>, expected <annotations>",
                        file=display, where=f"line {root.sourceline}")


_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def attr(value: str) -> str:
    """Escape an attribute value (newlines kept as character references)."""
    return value.translate(_ATTR_ESCAPES)


def text(value: str) -> str:
    """Escape element text."""
    return value.translate(_TEXT_ESCAPES)
