"""Where a YOLO dataset's files are: image <-> label paths, and the paths its lists and
YAML name resolved inside the input tree only.

Ultralytics finds an image's labels by replacing the last ``images`` folder of its path
with ``labels`` and the extension with ``.txt``; darknet keeps the ``.txt`` beside the
image. Paths in a YAML or list may be relative to another root (``../train/images`` in
Roboflow exports, ``data/obj_train_data/1.jpg`` in darknet lists, ``/content/...`` from a
notebook): they are looked up inside the tree, by their tail when they lead out of it,
and never outside it.
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterable

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                        ".dng", ".mpo", ".pfm", ".jpe", ".jfif"})


def is_image(rel: str) -> bool:
    return posixpath.splitext(rel)[1].lower() in IMAGE_EXTS


def label_of(image_rel: str) -> str:
    """The label file Ultralytics reads for an image (darknet's when no ``images``)."""
    parts = image_rel.split("/")
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] == "images":
            parts[k] = "labels"
            break
    return posixpath.splitext("/".join(parts))[0] + ".txt"


def labels_folder(images_folder: str) -> str | None:
    """The labels folder beside an images folder (``a/images/b`` -> ``a/labels/b``)."""
    parts = images_folder.split("/") if images_folder else []
    if "images" not in parts:
        return None
    k = len(parts) - 1 - parts[::-1].index("images")
    parts[k] = "labels"
    return "/".join(parts)


class Index:
    """The tree's files and folders, for lookups by path."""

    def __init__(self, files: Iterable[str]):
        self.files = sorted(f for f in files if not any(
            p.startswith(".") for p in f.split("/")))
        self.file_set = set(self.files)
        self.folders: set[str] = {""}
        for rel in self.files:
            parts = rel.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                self.folders.add("/".join(parts[:k]))

    def under(self, folder: str) -> list[str]:
        """The files below ``folder`` (all of them for the root), in sorted order."""
        if not folder:
            return self.files
        prefix = folder + "/"
        return [f for f in self.files if f.startswith(prefix)]

    def exists(self, rel: str) -> bool:
        return rel in self.file_set or rel in self.folders

    def resolve(self, value: str, bases: Iterable[str]) -> str | None:
        """The tree path ``value`` names, looked up from each base in turn, then by its
        tails (``a/b/c``, ``b/c``, ``c``) from each base; None when none is in the tree."""
        slashed = value.strip().replace("\\", "/")
        if len(slashed) > 1 and slashed[1] == ":":
            slashed = slashed[2:]
        bases = list(dict.fromkeys(bases))
        for base in bases:
            found = self._inside(base, slashed)
            if found is not None:
                return found
        segments = [s for s in slashed.split("/") if s not in ("", ".", "..")]
        for start in range(len(segments)):
            tail = "/".join(segments[start:])
            for base in bases:
                found = self._inside(base, tail)
                if found is not None:
                    return found
        return None

    def _inside(self, base: str, value: str) -> str | None:
        if value.startswith("/"):
            return None
        joined = posixpath.normpath(posixpath.join(base, value)) if value else base
        if joined == ".":
            joined = ""
        if joined.startswith("../") or joined == "..":
            return None
        return joined if self.exists(joined) else None


def parent(rel: str) -> str:
    return posixpath.dirname(rel)


def common_folder(paths: list[str]) -> str:
    """The deepest folder every path lies in."""
    if not paths:
        return ""
    folders = [p.split("/")[:-1] for p in paths]
    first = folders[0]
    size = len(first)
    for other in folders[1:]:
        size = min(size, len(other))
        for k in range(size):
            if other[k] != first[k]:
                size = k
                break
    return "/".join(first[:size])


def item_id(rel: str, root: str) -> str:
    """``rel`` relative to ``root``, without its extension: the item's id."""
    inner = rel[len(root) + 1:] if root and rel.startswith(root + "/") else rel
    return posixpath.splitext(inner)[0]
