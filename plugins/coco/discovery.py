"""Where the COCO annotation files of an input are, and which task and subset each holds.

Standard ``annotations/<task>_<subset>.json`` first, then Roboflow's per-subset files, then
any JSON near the top that looks like COCO: the order decides which layout an input is read as.
"""
from __future__ import annotations

import posixpath
import re

from cococonv.errors import DataError
from cococonv.sources import FileTree, Tree

from . import tasks as T

_SNIFF = re.compile(rb'"(images|annotations|categories)"\s*:')


class AnnotationFile:
    """One annotation file to read: where it is, its task and subset."""

    __slots__ = ("rel", "task", "subset")

    def __init__(self, rel: str, task: str | None, subset: str):
        self.rel, self.task, self.subset = rel, task, subset


def find_annotation_files(tree: Tree, tasks: tuple[str, ...],
                          relpaths: list[str] | None = None, *,
                          sniff: bool = True) -> list[AnnotationFile]:
    """The COCO annotation files of a tree, in a stable order (task, then subset).

    A single-file input is taken as COCO only when its first bytes look like it, unless
    ``sniff`` is off (the user named the format: a broken file should say why it is broken).
    Files the user named (``-r``, or the input itself) are returned whatever task their
    name says: the importer reads them as its own task.
    """
    if relpaths:
        found = []
        for rel in relpaths:
            rel = rel.replace("\\", "/").removeprefix("./")
            if not tree.exists(rel):
                raise DataError("no such annotation file in the input", file=tree.display(rel))
            found.append(_describe(rel))
        return found
    if isinstance(tree, FileTree):
        if sniff and not _looks_like_coco(tree, tree.filename):
            return []
        return [_describe(tree.filename)]
    files = tree.files()
    standard = []
    for rel in files:
        parsed = T.parse_filename(posixpath.basename(rel))
        if parsed and parsed[0] in tasks and _in_annotations_dir(rel):
            standard.append(AnnotationFile(rel, *parsed))
    if standard:
        order = {task: i for i, task in enumerate(T.TASKS)}
        standard.sort(key=lambda f: (order[f.task], f.subset, f.rel))
        return standard
    # Roboflow: <subset>/_annotations.coco.json
    roboflow = [AnnotationFile(rel, None, posixpath.basename(posixpath.dirname(rel)) or "default")
                for rel in files if posixpath.basename(rel) == "_annotations.coco.json"]
    if roboflow:
        return roboflow
    # Anything else: JSON files near the top that look like COCO.
    loose = []
    for rel in files:
        if rel.lower().endswith(".json") and rel.count("/") <= 1 and _looks_like_coco(tree, rel):
            loose.append(_describe(rel))
    if len(loose) > 1:
        # Several unrelated files: each is its own subset, named after the file.
        for found in loose:
            if found.task is None or T.parse_filename(posixpath.basename(found.rel)) is None:
                found.subset = posixpath.splitext(posixpath.basename(found.rel))[0]
    return [f for f in loose if f.task is None or f.task in tasks]


def _in_annotations_dir(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 1 or parts[-2] == "annotations" or len(parts) <= 2


def _describe(rel: str) -> AnnotationFile:
    parsed = T.parse_filename(posixpath.basename(rel))
    if parsed:
        return AnnotationFile(rel, *parsed)
    return AnnotationFile(rel, None, "default")


def _looks_like_coco(tree: Tree, rel: str) -> bool:
    try:
        with tree.open(rel) as fh:
            head = fh.read(1 << 16)
    except DataError:
        return False
    return bool(_SNIFF.search(head) or b'"image_id"' in head) and coco_shape(head)


#: JSON tokens of a file's head: a string (group 1) and whether a colon follows (a key,
#: group 2), or a bracket (group 3). Numbers and literals are skipped.
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*(:)?|([][{}])')


def coco_shape(head: bytes) -> bool:
    """Whether the first bytes of a JSON file have COCO's shape: an object with an
    ``images`` or ``categories`` list at the top, or whose top ``annotations`` list holds
    records with an ``image_id``; or a list of records with an ``image_id`` (a results
    file). Keys are matched by their nesting, not anywhere: a Label Studio export (a list
    of tasks, or one task, with ``annotations`` of ``result`` records) and other tools'
    JSON that merely mention these keys are not COCO."""
    stack: list[bytes] = []  # the open brackets
    top_key = b""  # the key of the root object being read
    pending = b""  # a top-level key whose value comes next
    for match in _TOKEN.finditer(head):
        bracket = match.group(3)
        if bracket is None:
            key = match.group(1) if match.group(2) else None
            depth = len(stack)
            if key is not None and depth == 1 and stack[0] == b"{":
                top_key = pending = key
                continue
            if key == b"image_id" and (
                    (depth == 2 and stack == [b"[", b"{"]) or
                    (depth == 3 and stack == [b"{", b"[", b"{"] and top_key == b"annotations")):
                return True
            pending = b""
            continue
        if bracket in b"[{":
            if pending in (b"images", b"categories") and bracket == b"[" and len(stack) == 1:
                return True
            stack.append(bracket)
        elif stack:
            stack.pop()
            if not stack:
                return False  # the root closed without a COCO key
        pending = b""
    return False
