"""Which files of an input are Label Studio task exports, where the labeling config is,
and which file inside the input a task's ``data.image`` URL names."""
from __future__ import annotations

import os
import posixpath
import re
from urllib.parse import parse_qs, unquote, urlsplit

from cococonv.errors import DataError
from cococonv.paths import lookup_relpath
from cococonv.sources import FileTree, Tree

SNIFF_BYTES = 1 << 16
# Keys only Label Studio's task and result records have (COCO's have none of them);
# annotation_id is JSON-MIN's.
_MARKERS = re.compile(rb'"(from_name|to_name|was_cancelled|completed_by|'
                      rb'original_width|annotation_id)"\s*:|"data"\s*:\s*\{')
# COCO's lists; "images": [ alone is no sign, a multi-image task has it in its data.
_COCO = re.compile(rb'"categories"\s*:\s*\[|"image_id"\s*:')
_UPLOAD_PREFIX = re.compile(r"[0-9a-f]{8}-(.+)")


def looks_like_tasks(head: bytes) -> bool:
    """True when a file's first bytes are a JSON list of tasks or one task object."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped[:1] in (b"[", b"{"):
        return False
    return bool(_MARKERS.search(head)) and not _COCO.search(head)


def _sniff(tree: Tree, rel: str) -> bool:
    try:
        with tree.open(rel) as fh:
            return looks_like_tasks(fh.read(SNIFF_BYTES))
    except DataError:
        return False


def find_task_files(tree: Tree, *, sniff: bool = True) -> list[str]:
    """The task files: a single input file whatever its name (sniffed unless the user
    named the format), else the ``*.json`` files at the top of a folder or archive."""
    if isinstance(tree, FileTree):
        return [tree.filename] if not sniff or _sniff(tree, tree.filename) else []
    found = [rel for rel in tree.files()
             if "/" not in rel and rel.lower().endswith(".json") and _sniff(tree, rel)]
    return sorted(found)


def find_config(tree: Tree) -> tuple[Tree, str] | None:
    """A labeling config beside the tasks: the one top-level ``*.xml`` whose root is
    ``<View>`` (for a single file: in its folder). None when there is none."""
    if isinstance(tree, FileTree):
        if tree.base is None:
            return None
        base: Tree = tree.base
        try:
            names = sorted(entry.name for entry in os.scandir(tree.base.root)
                           if entry.name.lower().endswith(".xml") and entry.is_file())
        except OSError:
            return None
    else:
        base = tree
        names = sorted(rel for rel in tree.files() if "/" not in rel and
                       rel.lower().endswith(".xml"))
    for name in names:
        try:
            with base.open(name) as fh:
                head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        except DataError:
            continue
        if re.match(rb"(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<View[\s>]", head, re.S | re.I):
            return base, name
    return None


def image_candidates(url: str) -> list[str]:
    """Relative paths a ``data.image`` value may name inside the input, best first: the
    path the URL carries (local-files ``?d=``, an upload's name, an s3/http key), then
    its shorter tails. Nothing outside the input: each goes through lookup_relpath."""
    text = url.strip().replace("\\", "/")
    parts = urlsplit(text)
    path = text
    if parts.scheme in ("http", "https", "s3", "gs", "azure-blob", "file"):
        path = unquote(parts.path)
    if "/data/local-files/" in path or path.startswith("data/local-files"):
        given = parse_qs(parts.query).get("d")
        path = unquote(given[0]) if given else ""
    elif parts.scheme not in ("http", "https", "s3", "gs", "azure-blob", "file"):
        path = unquote(parts.path) if parts.query or "%" in text else text
    upload = re.match(r"/?data/upload/\d+/(.+)", path)
    names: list[str] = []
    if upload:
        name = upload.group(1)
        short = _UPLOAD_PREFIX.fullmatch(posixpath.basename(name))
        # Label Studio names an upload <8 hex digits>-<the user's file name>: the user's
        # own name first (the image folder beside an export holds that one).
        names += ([short.group(1)] if short else []) + [name]
    else:
        segments = [s for s in path.split("/") if s]
        names += ["/".join(segments[i:]) for i in range(len(segments))]
    found: list[str] = []
    for name in names:
        rel = lookup_relpath(name)
        if rel and rel not in found:
            found.append(rel)
    return found


def find_image(tree: Tree, candidates: list[str]) -> tuple[Tree, str] | None:
    """The first candidate that is a file of the input (a single file's: its folder)."""
    if isinstance(tree, FileTree):
        for base, rel in tree.image_lookups(candidates, ("images",)):
            if base.exists(rel):
                return base, rel
        return None
    for rel in candidates:
        for folder in ("", "images/"):
            if tree.exists(folder + rel):
                return tree, folder + rel
    return None
