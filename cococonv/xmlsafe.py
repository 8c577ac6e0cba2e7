"""Hardened XML reading and minimal escaping for writing, shared by the XML formats.

Reading uses lxml with entity resolution, network access, DTD loading and huge-tree mode
off. A document that declares entities is refused before lxml sees it: no annotation tool
writes a DTD, and refusing is simpler to reason about than trusting every parser flag.
Syntax errors become a DataError naming the file and line. Writing is plain strings:
building an lxml tree for thousands of images costs more than the escaping done here.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import DataError, UnsafeInputError

PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                  "load_dtd": False, "remove_comments": True, "remove_pis": True}
_PARSER: Any = None


def refuse_entities(head: bytes, display: str) -> None:
    """Raise UnsafeInputError when the document (its prolog) declares entities."""
    if b"<!ENTITY" in head:
        line = head[:head.index(b"<!ENTITY")].count(b"\n") + 1
        raise UnsafeInputError("the XML declares entities; refusing to read it",
                               file=display, where=f"line {line}")


def syntax_error(exc: Any, display: str) -> DataError:
    """The DataError for an lxml XMLSyntaxError: message and line, no traceback chain."""
    line = exc.position[0] if getattr(exc, "position", None) else exc.lineno
    # libxml2 messages may end in (or hold) a newline: one line, so the CLI prints one
    message = " ".join((exc.msg or str(exc)).split(", line ")[0].split())
    if message.startswith("Excessive depth in document"):  # libxml2 names its own flag
        message = "elements nested deeper than 256 levels (docs/limits.md)"
    return DataError(f"not valid XML ({message})", file=display, where=f"line {line}")


def parser() -> Any:
    """The shared hardened lxml parser (built on first use)."""
    global _PARSER
    if _PARSER is None:
        from lxml import etree
        _PARSER = etree.XMLParser(**PARSER_OPTIONS)
    return _PARSER


def parse_bytes(data: bytes, display: str) -> Any:
    """The root element of a whole (small) document."""
    from lxml import etree

    refuse_entities(data, display)
    try:
        return etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, display) from None


_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
#: ``str.translate`` table of element text (``text``), for loops that escape many values.
TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TEXT_ESCAPES = TEXT_ESCAPES


def attr(value: str) -> str:
    """Escape an attribute value (newlines kept as character references)."""
    return value.translate(_ATTR_ESCAPES)


def text(value: str) -> str:
    """Escape element text."""
    return value.translate(_TEXT_ESCAPES)


# XML 1.0 has no way to write these, not even as character references (&#0; is invalid):
# the C0 controls but tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def unwritable(value: str) -> str | None:
    """None when XML 1.0 can hold ``value``; else which character it cannot hold, e.g.
    ``U+0000``. The one check the XML writers share (a document that holds such a
    character is refused by every XML reader, CVAT's and Datumaro's included)."""
    found = _NOT_XML.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_writable(value: str, what: str, **place: Any) -> None:
    """Raise DataError naming ``what`` (e.g. ``label 'a\\x00b'``) when XML cannot hold
    ``value``; ``place`` is the error's file/where."""
    char = unwritable(value)
    if char is not None:
        raise DataError(f"{what} holds {char}, a character XML 1.0 cannot hold "
                        f"(docs/limits.md)", **place)


def fragment_problem(fragment: str) -> str | None:
    """For written XML text: None when it is writable, else the character and the text
    around it (the value that brought it is in there), for an error line."""
    found = _NOT_XML.search(fragment)
    if found is None:
        return None
    start = max(0, found.start() - 30)
    around = fragment[start:found.end() + 30].strip()
    return (f"holds U+{ord(found.group()):04X}, a character XML 1.0 cannot hold, in "
            f"{around!r} (docs/limits.md)")
