"""Text shown to a person: names from a dataset are untrusted and may carry terminal controls."""
from __future__ import annotations

__all__ = ["printable"]


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every character Python calls non-printable written as an escape.

    Why: a label named ``ESC ] 52 ; c ; ... BEL`` printed raw sets the terminal's clipboard,
    and bidi overrides reorder what a reader sees. The rule is ``repr``'s (str.isprintable:
    C0/C1 controls, ESC, DEL, format characters such as U+202A-U+202E and U+2066-U+2069, line
    and paragraph separators), without quotes and without doubling backslashes, so ordinary
    names, paths and non-Latin letters read as they are.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def printable_lines(text: str) -> str:
    """:func:`printable` per line, keeping the line breaks (help texts of plugins)."""
    return "\n".join(printable(line) for line in text.split("\n"))


#: How much of a value an error line quotes.
SHOWN_CHARS = 200


def shown(name: object) -> str:
    """``repr(name)``, cut to about SHOWN_CHARS characters with an ellipsis: an error line
    names the value without quoting 5 KB of it."""
    text = repr(name)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS - 1]}…"
