"""Finding a VOC dataset in a tree: its root, its XMLs, lists, masks and images.

One pass over the tree's file names, no file opened except to sniff a flat XML. Two
layouts are recognised:
- standard: ``Annotations/``, ``ImageSets/``, ``SegmentationClass/`` ... under a root that
  may sit a few folders down (``VOCdevkit/VOC2012/``);
- flat: ``<annotation>`` XMLs next to their images, with no ImageSets (Roboflow, labelImg);
  XMLs one folder down are read as ``<subset>/<id>.xml`` (Roboflow's train/valid/test).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from cococonv.errors import DataError
from cococonv.sources import FileTree, Tree

from .layout import (ANNOTATIONS_DIR, CLASS_DIRS, CLASS_NAMES_FILE, IMAGE_EXTS, IMAGES_DIR,
                     IMAGESETS_DIR, LABELMAP_FILE, LIST_FOLDERS, OBJECT_DIRS)

ROOT_MARKERS = (ANNOTATIONS_DIR, IMAGESETS_DIR) + CLASS_DIRS + OBJECT_DIRS
_VOC_ROOT = re.compile(rb"<annotation[\s>]")
MAX_ROOT_DEPTH = 3


@dataclass
class VocSource:
    """Where each part of a VOC dataset is, as tree-relative paths keyed by item id."""

    prefix: str = ""
    flat: bool = False
    xmls: dict[str, str] = field(default_factory=dict)
    flat_subsets: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)  # folder -> list file paths
    class_masks: dict[str, str] = field(default_factory=dict)
    object_masks: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    labelmap: str | None = None
    class_names: str | None = None

    @property
    def has_masks(self) -> bool:
        return bool(self.class_masks or self.object_masks)

    def data_key(self, subset: str, item_id: str) -> str:
        """An item's key in the path maps: flat sets with subset folders key by both."""
        if self.flat and self.flat_subsets:
            return f"{subset}/{item_id}"
        return item_id


def _stem(path: str) -> tuple[str, str]:
    stem, ext = posixpath.splitext(path)
    return stem, ext.lower()


def find_roots(files: list[str]) -> list[str]:
    """Prefixes (``""`` or ``"a/b/"``) under which a VOC marker folder sits, shallowest first."""
    roots: dict[str, int] = {}
    for rel in files:
        parts = rel.split("/")
        for depth, part in enumerate(parts[:-1][:MAX_ROOT_DEPTH + 1]):
            if part in ROOT_MARKERS:
                if part == ANNOTATIONS_DIR and not rel.lower().endswith(".xml"):
                    break
                prefix = "/".join(parts[:depth]) + "/" if depth else ""
                roots.setdefault(prefix, depth)
                break
    return sorted(roots, key=lambda p: (roots[p], p))


def sniff_voc_xml(tree: Tree, rel: str) -> bool:
    """True when the file starts like a VOC ``<annotation>`` document (not CVAT's
    ``<annotations>``)."""
    try:
        with tree.open(rel) as fh:
            head = fh.read(4096)
    except DataError:
        return False
    return bool(_VOC_ROOT.search(head))


def scan(tree: Tree, *, sniff_all: bool = False) -> VocSource | None:
    """The VOC layout of ``tree``, or None when it holds no VOC dataset.

    Raises DataError when several VOC roots sit side by side (VOC2007 and VOC2012 in one
    VOCdevkit): the user must pick one.
    """
    files = tree.files()
    roots = find_roots(files)
    if roots:
        best_depth = roots[0].count("/")
        same = [r for r in roots if r.count("/") == best_depth]
        if len(same) > 1:
            raise DataError("several VOC datasets found here (" + ", ".join(
                r.rstrip("/") for r in same) + "); pass one of them with -i", file=tree.name)
        return _standard(files, roots[0])
    return _flat(tree, files, sniff_all)


def _standard(files: list[str], prefix: str) -> VocSource:
    source = VocSource(prefix=prefix)
    cut = len(prefix)
    image_rank: dict[str, int] = {}
    for rel in files:
        if not rel.startswith(prefix):
            continue
        inner = rel[cut:]
        top, _sep, rest = inner.partition("/")
        if not rest:
            if inner == LABELMAP_FILE:
                source.labelmap = rel
            elif inner == CLASS_NAMES_FILE:
                source.class_names = rel
            continue
        stem, ext = _stem(rest)
        if top == ANNOTATIONS_DIR and ext == ".xml":
            source.xmls[stem] = rel
        elif top == IMAGESETS_DIR:
            folder, _sep, name = rest.partition("/")
            if folder in LIST_FOLDERS and name.endswith(".txt") and "/" not in name:
                source.lists.setdefault(folder, []).append(rel)
        elif top in CLASS_DIRS and ext in (".png", ".npy"):
            _prefer_png(source.class_masks, stem, rel, ext)
        elif top in OBJECT_DIRS and ext in (".png", ".npy"):
            _prefer_png(source.object_masks, stem, rel, ext)
        elif top == IMAGES_DIR and ext in IMAGE_EXTS:
            rank = IMAGE_EXTS.index(ext)
            if stem not in image_rank or rank < image_rank[stem]:
                image_rank[stem] = rank
                source.images[stem] = rel
    for paths in source.lists.values():
        paths.sort()
    return source


def _prefer_png(table: dict[str, str], stem: str, rel: str, ext: str) -> None:
    if stem not in table or ext == ".png":
        table[stem] = rel


def _flat(tree: Tree, files: list[str], sniff_all: bool) -> VocSource | None:
    xmls = [rel for rel in files if rel.lower().endswith(".xml") and rel.count("/") <= 2]
    if not xmls:
        return None
    candidates = xmls if sniff_all else xmls[:1]
    if not any(sniff_voc_xml(tree, rel) for rel in candidates):
        return None
    source = VocSource(flat=True)
    one_down = all(rel.count("/") == 1 for rel in xmls)
    for rel in xmls:
        if sniff_all and not sniff_voc_xml(tree, rel):
            continue
        stem, _ext = _stem(rel)
        if one_down:
            subset, _sep, item_id = stem.partition("/")
            key = f"{subset}/{item_id}"
            source.flat_subsets[key] = subset
        else:
            key = stem
        source.xmls[key] = rel
    if not isinstance(tree, FileTree):
        ranks: dict[str, int] = {}
        for rel in files:
            stem, ext = _stem(rel)
            if ext in IMAGE_EXTS:
                rank = IMAGE_EXTS.index(ext)
                if stem not in ranks or rank < ranks[stem]:
                    ranks[stem] = rank
                    source.images[stem] = rel
        for rel in files:
            if posixpath.basename(rel) == LABELMAP_FILE and rel.count("/") == 0:
                source.labelmap = rel
            elif posixpath.basename(rel) == CLASS_NAMES_FILE and rel.count("/") == 0:
                source.class_names = rel
    return source
