"""One safe, unique PNG file name per item, decided in the parent in item order.

Item ids and subsets are untrusted (``../../x``, ``/etc/passwd``, ``CON``, 5 KB of text, a
NUL), so the name an overlay is written under is never the raw id: it is
``<subset>/<id>.png`` when :func:`cococonv.paths.safe_relpath` accepts that unchanged, and
otherwise a cleaned form of it (unsafe characters replaced, segments cut, ``~2``, ``~3``
added to keep it unique). Uniqueness is decided without case, and a file never takes the
name of a folder another file needs (ids ``a.png`` and ``a.png/b``), so no overlay replaces
another on any file system.
"""
from __future__ import annotations

import re

from ..errors import DataError
from ..paths import safe_relpath
from ..winnames import windows_problem

#: Characters a cleaned segment keeps; any other becomes ``_``.
_UNSAFE = re.compile(r"[^\w.\- ]", re.ASCII)
#: A cleaned segment is cut to this many characters (the suffix and ``.png`` come on top),
#: and a cleaned name to this many folders: file systems take 255 bytes a name.
SEGMENT_CHARS = 120
MAX_DEPTH = 8
#: The longest last segment kept as it is: ``~NNNNNN.png`` must fit in 255 bytes.
_LAST_BYTES = 240


def _cleaned(subset: str, item_id: str) -> str:
    """``subset/id`` made of plain characters only, with no empty, hidden or ``..`` part."""
    parts = []
    for raw in [str(subset)] + str(item_id).replace("\\", "/").split("/"):
        part = _UNSAFE.sub("_", raw).strip(" .")[:SEGMENT_CHARS].rstrip(" .")
        if part and windows_problem(part):  # CON, nul.txt: reserved names on Windows
            part = f"_{part}"
        if part:
            parts.append(part)
    if len(parts) < 2:
        parts.append("item")
    return "/".join(parts[:MAX_DEPTH])


class PngNames:
    """Hands out file names relative to the output folder; remembers what was renamed."""

    def __init__(self) -> None:
        self._files: set[str] = set()
        self._folders: set[str] = set()
        self._next: dict[str, int] = {}  # the number to try next per stem: no rescans
        #: ``(subset, item id, name given)`` for each item not written as ``subset/id.png``.
        self.renamed: list[tuple[str, str, str]] = []

    def name_for(self, subset: str, item_id: str) -> str:
        """The relative PNG path for an item (``/``-separated, contained, unique)."""
        wanted = f"{subset}/{item_id}.png"
        raw = f"{subset}/{item_id}"
        try:
            stem = safe_relpath(raw, what="item id")
        except DataError:
            stem = ""
        last = stem.rsplit("/", 1)[-1].encode("utf-8", "surrogatepass")
        if stem != raw or len(last) > _LAST_BYTES:  # normalised, refused or too long for
            stem = _cleaned(subset, item_id)        # ".png" and a number: cleaned instead
        if self._blocked(stem):  # a folder of it is another item's file: flatten the id
            head, _, tail = stem.partition("/")
            stem = f"{head}/{tail.replace('/', '_')}"
        name = self._unique(stem)
        if name != wanted:
            self.renamed.append((subset, item_id, name))
        return name

    def _unique(self, stem: str) -> str:
        key = stem.casefold()
        number = self._next.get(key, 1)
        while True:
            name = f"{stem}.png" if number == 1 else f"{stem}~{number}.png"
            number += 1
            if self._free(name):
                self._next[key] = number
                self._take(name)
                return name

    def _blocked(self, stem: str) -> bool:
        """Whether a folder the name needs is a file already (ids ``a`` and ``a.png/b``);
        a flattened ``subset/name`` never is: no file lies directly in the output."""
        parts = stem.casefold().split("/")
        return any("/".join(parts[:k]) in self._files for k in range(1, len(parts)))

    def _free(self, name: str) -> bool:
        key = name.casefold()
        return key not in self._files and key not in self._folders

    def _take(self, name: str) -> None:
        key = name.casefold()
        self._files.add(key)
        parts = key.split("/")
        for k in range(1, len(parts)):
            self._folders.add("/".join(parts[:k]))


def set_folder(index: int, name: str) -> str:
    """The folder of the ``index``-th dataset of several: ``2-coco_out`` for ``../coco_out/``
    (its last path segment, cleaned), so two inputs of one name still get two folders."""
    base = str(name).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    part = _UNSAFE.sub("_", base).strip(" .")[:SEGMENT_CHARS]
    return f"{index + 1}-{part}" if part else str(index + 1)
