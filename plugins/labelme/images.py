"""The image of a LabelMe file: its ``imagePath`` inside the input, or its ``imageData``.

``imagePath`` is relative to the JSON file (LabelMe on Windows writes backslashes, and
scripts write absolute paths): a name that leaves the input is looked up by its tail
(``cococonv.paths.lookup_relpath``), never outside. When the file is not there, an embedded
``imageData`` is the image: it is decoded again from the JSON only when an exporter needs
the bytes, and for the size only its header is read.
"""
from __future__ import annotations

import io
import posixpath
from typing import Any

from cococonv.errors import DataError
from cococonv.fileio import loads_json
from cococonv.limits import declared_image_size
from cococonv.model import MAX_IMAGE_SIDE, Image
from cococonv.paths import is_hidden, lookup_relpath
from cococonv.sources import FileTree, Tree

from .mask_png import decode_base64, iter_base64

def image_rel(json_rel: str, image_path: str) -> str | None:
    """Where ``image_path`` (written relative to ``json_rel``) is in the input, or None."""
    folder = posixpath.dirname(json_rel)
    name = image_path.replace("\\", "/")
    if name and not name.startswith("/") and not (len(name) > 1 and name[1] == ":"):
        joined = posixpath.normpath(posixpath.join(folder, name))
        if joined != ".." and not joined.startswith("../") and \
                not is_hidden(joined.split("/")):
            return joined
    tail = lookup_relpath(image_path)
    return None if tail is None else posixpath.normpath(posixpath.join(folder, tail))


class ImageBinder:
    """Points images at the input's files (each tree's file list read once)."""

    def __init__(self, tree: Tree):
        self.tree = tree
        self._files: set[str] | None = None

    def bind(self, image: Image, rel: str | None) -> bool:
        """Bind ``image`` to file ``rel`` of the input when it exists there."""
        if rel is None:
            return False
        tree = self.tree
        if isinstance(tree, FileTree):
            for base, candidate in tree.image_lookups([rel], ()):
                if base.exists(candidate):
                    base.bind_image(image, candidate)
                    return True
            return False
        if self._files is None:
            self._files = set(tree.files())
        if rel in self._files:
            tree.bind_image(image, rel)
            return True
        return False


def declared_size(doc: dict[str, Any]) -> tuple[int, int] | None:
    """``(imageHeight, imageWidth)`` when both are given (old files have neither)."""
    return declared_image_size(doc, "imageHeight", "imageWidth")


def embedded_loader(tree: Tree, rel: str):
    """A loader of the image embedded in file ``rel`` (the JSON is read again)."""
    def load() -> bytes:
        doc = loads_json(tree.read_bytes(rel), file=tree.display(rel))
        try:
            return decode_base64(doc.get("imageData"), "imageData")
        except DataError as err:
            raise err.located(file=tree.display(rel)) from None
    return load


def check_embedded(text: str) -> tuple[tuple[int, int] | None, str]:
    """Check that ``imageData`` is base64, and read its image's ``(height, width)`` and
    file extension (``.jpg``) from the header in its first piece (None and ``""`` when
    Pillow cannot tell from that)."""
    size, ext = None, ""
    for index, piece in enumerate(iter_base64(text, "imageData")):
        if index == 0:
            size, ext = _header(piece)
    return size, ext


_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif",
               "TIFF": ".tif", "WEBP": ".webp"}


def _header(data: bytes) -> tuple[tuple[int, int] | None, str]:
    """The size and format Pillow reads from the header (it decodes no pixels)."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            ext = _EXTENSIONS.get(opened.format or "", "")
    except Exception:  # not an image Pillow knows, or cut short: no size
        return None, ""
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        return None, ext
    return (height, width), ext
