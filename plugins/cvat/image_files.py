"""Finding the image files a CVAT XML names: in the input roots only, each listed once."""
from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable

from cococonv.model import Image
from cococonv.paths import is_hidden, lookup_relpath
from cococonv.sources import FileTree, Tree


class ImageFiles:
    """Binds images to the input's files. The folders searched per subset, and the frame
    files of a video, are worked out for the first XML file that asks and kept."""

    def __init__(self, tree: Tree):
        self.tree = tree
        self._image_dirs: dict[str, list[str]] = {}
        self._frame_files: dict[str, str] | None = None
        self._files: dict[int, set[str]] = {}  # id(tree) -> its files

    def attach(self, image: Image, subset: str, rel: str) -> None:
        """Point the image at its file when the input has it; a missing image is fine.

        Only the input root is searched (a single XML's: its folder, nothing above it); an
        absolute or escaping name is looked up by its tail. ``rel``
        is the XML file naming the image.
        """
        name = lookup_relpath(image.name)
        if name is None:
            return
        if isinstance(self.tree, FileTree):
            candidates = (f"images/{subset}/{name}", f"images/{name}", name, f"{subset}/{name}")
            lookups: Iterable[tuple[Tree, str]] = self.tree.image_lookups(candidates)
        else:
            lookups = ((self.tree, f"{d}/{name}" if d else name)
                       for d in self._image_folders(subset, rel))
        for tree, path in lookups:
            if path in self._known_files(tree) and not is_hidden(path.split("/")):
                tree.bind_image(image, path)
                return

    def _image_folders(self, subset: str, rel: str) -> list[str]:
        dirs = self._image_dirs.get(subset)
        if dirs is None:
            base = posixpath.dirname(rel)
            prefix = f"{base}/" if base else ""
            dirs = [f"{prefix}images/{subset}", f"{prefix}images", base]
            self._image_dirs[subset] = dirs
        return dirs

    def _known_files(self, tree: Tree) -> set[str]:
        """Every file of the tree, listed once (one walk instead of a stat per image)."""
        known = self._files.get(id(tree))
        if known is None:
            known = self._files[id(tree)] = set(tree.files())
        return known

    def frame_file(self, item_id: str, rel: str) -> str | None:
        """The file name of an extracted video frame (``images/frame_000010.png``)."""
        if self._frame_files is None:
            self._frame_files = {}
            tree: Tree | None = self.tree
            folder = posixpath.join(posixpath.dirname(rel), "images")
            if isinstance(tree, FileTree):
                tree, folder = tree.base, "images"
            for name in tree.listdir(folder) if tree is not None else []:
                self._frame_files.setdefault(posixpath.splitext(name)[0], name)
        return self._frame_files.get(item_id)

    def frame_ext(self, rel: str) -> str:
        """The extension other extracted frames use (a missing frame gets the same)."""
        self.frame_file("", rel)
        exts = Counter(posixpath.splitext(name)[1] for name in (self._frame_files or {}).values())
        return exts.most_common(1)[0][0] if exts else ".jpg"
