"""Which files of an input are per-image SA-1B JSON files, and each one's subset and item id.

SA-1B ships ``sa_<n>.jpg`` beside ``sa_<n>.json``; the JSON is an object with an ``image``
object (``image_id``, ``width``, ``height``, ``file_name``) and an ``annotations`` list.
Detection sniffs the head of a few JSON files for both keys, so a COCO file (``images``),
a LabelMe file or a Label Studio export (a list) is never claimed.

Subsets: when every JSON file lies in a top-level folder and every such folder is named like
a split (``train``, ``val``, ``test`` ...), each is a subset; otherwise there is one subset,
``default``, so the ``sa_000000/`` ... folders of unpacked SA-1B tars stay one dataset. The
item id is the file's path inside its subset folder without ``.json``.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from cococonv.errors import DataError
from cococonv.paths import is_hidden
from cococonv.sources import FileTree, Tree

#: Folder names read as subsets (what the exporter writes for subsets; ``default`` too,
#: so a dataset with subsets ``default`` and ``train`` reads back as it was written).
SPLIT_FOLDERS = frozenset({"train", "training", "val", "valid", "validation", "test",
                           "testing", "trainval", "dev", "eval", "default"})
#: How much of a file detection reads, and how many files it looks at.
SNIFF_BYTES = 1 << 16
SNIFF_FILES = 20

_IMAGE = re.compile(rb'"image"\s*:\s*\{')
_IMAGE_ID = re.compile(rb'"image_id"\s*:')
_ANNOTATIONS = re.compile(rb'"annotations"\s*:\s*\[')


@dataclass(frozen=True, slots=True)
class SaFile:
    rel: str  # the JSON file in the tree
    subset: str
    item_id: str
    root: str  # the subset folder ("" for the input root): image names are relative to it


def json_files(tree: Tree) -> list[str]:
    """The input's ``.json`` files in path order (a single file whatever its name), hidden
    ones left out."""
    if isinstance(tree, FileTree):
        return [tree.filename]
    return sorted(rel for rel in tree.files() if rel.lower().endswith(".json") and
                  not is_hidden(rel.split("/")))


def looks_like_sa(tree: Tree, rel: str) -> bool:
    """Whether the head of ``rel`` is a JSON object showing ``image``, ``image_id`` and
    ``annotations`` (SA-1B writes the small image object first)."""
    try:
        with tree.open(rel) as fh:
            head = fh.read(SNIFF_BYTES)
    except (DataError, OSError):
        return False
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    return all(pattern.search(head) for pattern in (_IMAGE, _IMAGE_ID, _ANNOTATIONS))


def detect_files(tree: Tree) -> bool:
    """Whether one of the first SNIFF_FILES JSON files looks like an SA-1B file."""
    return any(looks_like_sa(tree, rel) for rel in json_files(tree)[:SNIFF_FILES])


def layout(rels: list[str], single: bool) -> list[SaFile]:
    """Subset, item id and subset folder of each file (see the module docstring)."""
    if single:
        return [SaFile(rel, "default", _stem(posixpath.basename(rel)), "") for rel in rels]
    tops = {rel.split("/", 1)[0] for rel in rels if "/" in rel}
    by_folder = bool(rels) and all("/" in rel for rel in rels) and \
        all(top.lower() in SPLIT_FOLDERS for top in tops)
    if not by_folder:
        return [SaFile(rel, "default", _stem(rel), "") for rel in rels]
    files = []
    for rel in rels:
        top, inside = rel.split("/", 1)
        files.append(SaFile(rel, top, _stem(inside), top))
    return files


def subsets_of(files: list[SaFile]) -> list[str]:
    """Subset names in first-seen order."""
    return list(dict.fromkeys(f.subset for f in files))


def _stem(rel: str) -> str:
    return rel[:-len(".json")] if rel.lower().endswith(".json") else rel
