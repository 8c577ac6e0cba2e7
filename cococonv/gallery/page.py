"""The HTML file: our template with its CSS and JS inlined and the data embedded as JSON
that no dataset value can break out of, written atomically."""
from __future__ import annotations

import os
import sys
import tempfile
from importlib import resources
from typing import Any

from ..fileio import check_target, dumps_json, write_bytes
from ..staging import make_parent, os_error, place_file, usable_target

#: The page's own files, inlined in this order (no CDN, no network).
SCRIPTS = ("rle.js", "shapes.js", "panels.js", "app.js")
STYLES = ("gallery.css",)

#: Bytes that could end the <script> element or confuse an HTML/JS parser, as JSON escapes:
#: ``</script>``, ``<!--`` and the JS line terminators U+2028/U+2029 (legal in JSON strings).
_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
            ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def script_safe_json(value: Any) -> bytes:
    """JSON for inside ``<script type="application/json">``; the characters replaced only
    ever occur inside JSON strings, where the escape means the same character."""
    data = dumps_json(value)
    for raw, escaped in _ESCAPES:
        data = data.replace(raw, escaped)
    return data


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text("utf-8")


def render_html(payload: dict[str, Any], title: str) -> bytes:
    """The whole page as bytes."""
    from html import escape

    template = _asset("gallery.html")
    head, rest = template.split("<!--DATA-->", 1)
    css = "\n".join(_asset(name) for name in STYLES)
    js = "\n".join(_asset(name) for name in SCRIPTS)
    head = head.replace("/*CSS*/", css).replace("{{TITLE}}", escape(title))
    rest = rest.replace("/*JS*/", js)
    return head.encode("utf-8") + script_safe_json(payload) + rest.encode("utf-8")


def write_page(target: str, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``target`` through a temporary sibling: the file appears whole or
    not at all; an existing one is replaced only with ``overwrite``. ``-`` is stdout."""
    if target == "-":
        sys.stdout.buffer.write(data)
        return
    target = usable_target(target)
    parent = make_parent(target)
    check_target(target, overwrite)
    try:
        fd, temp = tempfile.mkstemp(dir=parent, prefix=".cococonv-", suffix=".html")
    except OSError as exc:
        raise os_error(exc, parent, "cannot create the output's temporary file here") from None
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp's 0600 would hide the page from others
        write_bytes(temp, data)
        place_file(temp, target, overwrite)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
