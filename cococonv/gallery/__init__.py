"""`cococonv show`: one self-contained HTML gallery with a dataset's annotations drawn over its
images (no server, no network), and the label colours its renderers share."""
from __future__ import annotations

from .palette import label_colours
from .writer import GalleryResult, show, write_gallery

__all__ = ["GalleryResult", "label_colours", "show", "write_gallery"]
