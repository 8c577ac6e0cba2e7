"""Which files of an input are LabelMe's, and which subset and item id each one is.

LabelMe writes one JSON per image, next to it, in any folder layout. A file is LabelMe's
when it is a JSON object with a ``shapes`` list and an ``imagePath`` (every version since
the first writes both), so a COCO file or a config JSON beside the annotations is never
claimed. Subsets: when every LabelMe file lies in a top-level folder, and there are several
such folders or the one is named like a split (``train``, ``val``, ...), each top-level
folder is a subset; otherwise there is one subset, ``default``. The item id is the file's
path inside its subset folder (for ``default``: inside the folder all files share, e.g.
``annotations/``) without ``.json``.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from cococonv.errors import DataError
from cococonv.fileio import loads_json
from cococonv.paths import is_hidden
from cococonv.sources import FileTree, Tree

#: Folder names read as a subset even when they are the only top-level folder.
SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test",
                         "testing", "trainval", "dev", "eval"})
#: How much of a file detection reads; and files past this size are not fully parsed
#: when the head does not show both keys (an image embedded before ``shapes``).
SNIFF_BYTES = 1 << 16
PARSE_LIMIT = 64 << 20
#: How many JSON files detection looks at before it gives up.
SNIFF_FILES = 20

_SHAPES = re.compile(rb'"shapes"\s*:\s*\[')
_IMAGE_PATH = re.compile(rb'"imagePath"\s*:')


@dataclass(frozen=True, slots=True)
class LabelmeFile:
    rel: str  # the file in the tree
    subset: str
    item_id: str
    root: str  # the subset folder ("" for the input root): image names are relative to it


def json_files(tree: Tree) -> list[str]:
    """The input's ``.json`` files (a single file whatever its name), hidden ones left out."""
    if isinstance(tree, FileTree):
        return [tree.filename]
    return sorted(rel for rel in tree.files() if rel.lower().endswith(".json") and
                  not is_hidden(rel.split("/")))


def looks_like_labelme(tree: Tree, rel: str) -> bool | None:
    """Whether the head of ``rel`` shows both of LabelMe's keys; None when it may still be
    one (a JSON object showing one key, or none in a head cut at SNIFF_BYTES, as when a
    long shape list or an embedded image comes first); False when it cannot be."""
    try:
        with tree.open(rel) as fh:
            head = fh.read(SNIFF_BYTES)
    except (DataError, OSError):
        return False
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start != b"{":
        return False
    shapes, image = _SHAPES.search(head), _IMAGE_PATH.search(head)
    if shapes and image:
        return True
    return None if shapes or image or len(head) == SNIFF_BYTES else False


def detect_files(tree: Tree) -> bool:
    """Whether one of the first SNIFF_FILES JSON files is LabelMe's: by its head, or
    parsed whole when the head cannot tell and the file is at most PARSE_LIMIT bytes."""
    for rel in json_files(tree)[:SNIFF_FILES]:
        seen = looks_like_labelme(tree, rel)
        if seen is None:
            seen = _parsed_is_labelme(tree, rel)
        if seen:
            return True
    return False


def is_labelme(doc: object) -> bool:
    """Whether a parsed JSON document is a LabelMe file."""
    return isinstance(doc, dict) and isinstance(doc.get("shapes"), list) and \
        "imagePath" in doc


def _parsed_is_labelme(tree: Tree, rel: str) -> bool:
    try:
        with tree.open(rel) as fh:
            data = fh.read(PARSE_LIMIT + 1)
        return len(data) <= PARSE_LIMIT and is_labelme(loads_json(data, file=rel))
    except (DataError, OSError):
        return False


def candidates(tree: Tree) -> list[str]:
    """The JSON files that may be LabelMe's (read and judged whole by the reader)."""
    return [rel for rel in json_files(tree) if looks_like_labelme(tree, rel) is not False]


def subset_layout(rels: list[str], single: bool) -> list[LabelmeFile]:
    """Subset, item id and subset folder of each LabelMe file (see the module docstring)."""
    if single:
        return [LabelmeFile(rel, "default", _stem(posixpath.basename(rel)), "") for rel in rels]
    tops = {rel.split("/", 1)[0] for rel in rels if "/" in rel}
    nested = bool(rels) and all("/" in rel for rel in rels)
    by_folder = nested and (len(tops) > 1 or next(iter(tops)).lower() in SPLIT_NAMES)
    if by_folder:
        return [LabelmeFile(rel, rel.split("/", 1)[0], _stem(rel.split("/", 1)[1]),
                            rel.split("/", 1)[0]) for rel in rels]
    folders = [posixpath.dirname(rel) for rel in rels]
    common = posixpath.commonpath(folders) if all(folders) else ""
    cut = len(common) + 1 if common else 0
    return [LabelmeFile(rel, "default", _stem(rel[cut:]), common) for rel in rels]


def _stem(rel: str) -> str:
    return rel[:-len(".json")] if rel.lower().endswith(".json") else rel
