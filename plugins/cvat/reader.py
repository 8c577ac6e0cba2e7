"""The walk over CVAT XML files: each top-level element in turn, into one Dataset.

The XML is streamed: each top-level ``<image>``/``<track>``/``<tag>`` is read when it is
complete and then freed, so memory tracks the model, not the lxml tree. Shapes are read by
``shapes``, video tracks by ``tracks``, image files found by ``image_files``.
"""
from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Dataset, Image, Item
from cococonv.report import Report
from cococonv.sources import Tree

from . import meta as M
from . import xmlsafe
from .fields import Skip
from .image_files import ImageFiles
from .shapes import SHAPES, ShapeReader
from .tracks import VideoFrames

_IMAGE_OWN = {"id", "name", "width", "height", "subset"}


class CvatReader:
    """Reads CVAT XML files of one input into one Dataset."""

    def __init__(self, tree: Tree, report: Report):
        self.tree = tree
        self.report = report
        self.shapes = ShapeReader(report)
        self.dataset = Dataset(self.shapes.schema.categories)
        self.images = ImageFiles(tree)
        self.kept_raw: Counter[str] = Counter()

    # -- one file ------------------------------------------------------------------------
    def read(self, rel: str, fallback_subset: str) -> None:
        self.display = self.shapes.display = self.tree.display(rel)
        self.rel = rel
        self.default_subset = fallback_subset
        self.items_by_frame: dict[Any, Item] = {}
        self.item_lines: dict[tuple[str, str], int] = {}
        self.video = VideoFrames(self.shapes)
        self.original_size: tuple[int, int] | None = None
        with self.tree.open(rel) as stream:
            xmlsafe.check_prolog(stream.read(xmlsafe.SNIFF_BYTES), self.display)
        with self.tree.open(rel) as stream:
            for elem in xmlsafe.iter_top_level(stream, self.display):
                tag = elem.tag
                try:
                    if tag == "image":
                        self._image(elem)
                    elif tag == "track":
                        self.video.track(elem, self.original_size)
                    elif tag == "tag":
                        self.video.tag(elem)
                    elif tag == "meta":
                        self._meta(elem)
                    elif tag == "version":
                        self._version(elem)
                    elif isinstance(tag, str):
                        self._keep_top(elem)
                except Skip:
                    continue
        self.video.finish(self.dataset, self.items_by_frame, self.default_subset,
                          self.original_size, self.images, rel)

    def _version(self, elem: Any) -> None:
        version = (elem.text or "").strip()
        cvat = self.dataset.meta.setdefault("cvat", {})
        cvat.setdefault("version", version)
        if version != "1.1":
            self.report.warn(f"{self.display}: line {elem.sourceline}: CVAT XML version "
                             f"{version!r}; read as 1.1")

    def _keep_top(self, elem: Any) -> None:
        from lxml import etree
        cvat = self.dataset.meta.setdefault("cvat", {})
        cvat.setdefault("unknown", []).append(etree.tostring(elem, encoding="unicode").strip())
        self.kept_raw[f"<{elem.tag}>"] += 1

    # -- meta ----------------------------------------------------------------------------
    def _meta(self, elem: Any) -> None:
        cvat = self.dataset.meta.setdefault("cvat", {})
        if "meta" in cvat:
            self.report.warn(f"{self.display}: a second <meta> block was read for its labels "
                             f"only; the first one is kept")
        node = M.to_node(elem)
        children = node[1] if isinstance(node[1], list) else []
        owner = next((n for n in children if n[0] in ("task", "project", "job")), None)
        labels = None
        if owner is not None and isinstance(owner[1], list):
            labels = M.find(owner[1], "labels")
            if labels is not None:
                owner[1] = [n if n is not labels else ["labels", None] for n in owner[1]]
            subset = M.text_of(owner[1], "subset")
            if subset and subset.strip():
                self.default_subset = subset.strip()
            width = M.text_of(owner[1], "original_size", "width")
            height = M.text_of(owner[1], "original_size", "height")
            if width and height and width.strip().isdigit() and height.strip().isdigit():
                self.original_size = (int(height), int(width))
        cvat.setdefault("meta", children)
        if labels is not None:
            try:
                schema = M.read_labels(labels)
            except DataError as exc:
                raise exc.located(file=self.display, where=f"line {elem.sourceline}")
            self._merge_labels(schema)

    def _merge_labels(self, schema: M.LabelSchema) -> None:
        """Take the labels of a file; a second file's labels are matched by name."""
        mine = self.shapes.schema
        if not mine.index:
            self.shapes.schema = schema
            self.dataset.categories = schema.categories
            return
        for name, index in schema.index.items():
            if name not in mine.index:
                label = schema.categories.labels[index]
                new = mine.categories.add(label.name, attributes=label.attributes,
                                          extra=label.extra)
                mine.index[name] = new
                mine.types[name] = schema.types[name]
                if index in schema.categories.keypoints:
                    mine.categories.keypoints[new] = schema.categories.keypoints[index]
                    mine.nodes[name] = schema.nodes.get(name, {})
                if index in schema.categories.colormap:
                    mine.categories.colormap[new] = schema.categories.colormap[index]
        mine.sublabel_types.update(schema.sublabel_types)

    # -- images --------------------------------------------------------------------------
    def _image(self, elem: Any) -> None:
        shapes = self.shapes
        a = elem.attrib
        name = a.get("name")
        if not name:
            raise shapes.bad("<image> has no name", elem)
        frame: Any = a.get("id")
        if frame is not None:
            frame = shapes.whole(frame, "id", elem)
        width = shapes.dimension(a.get("width"), "width", elem)
        height = shapes.dimension(a.get("height"), "height", elem)
        subset = a.get("subset") or self.default_subset
        item_id = _item_id(name)
        key = (subset, item_id)
        if key in self.item_lines:
            raise shapes.error(f"image {name!r} (item {item_id!r}) is already defined at "
                               f"line {self.item_lines[key]} in subset {subset!r}", elem)
        size = (height, width) if height is not None and width is not None else None
        image = Image(name, size)
        self.images.attach(image, subset, self.rel)
        attributes = {"frame": frame} if frame is not None else {}
        item = Item(item_id, subset, image, [], attributes, {})
        raw = {k: v for k, v in xmlsafe.attr_items(elem) if k not in _IMAGE_OWN}
        if raw:
            item.extra["cvat"] = {"xml": raw}
        if self.dataset.get(subset, item_id) is not None:
            raise shapes.error(f"image {name!r} (item {item_id!r}) is already defined in "
                               f"subset {subset!r} by another file", elem)
        self.dataset.add(item)
        self.item_lines[key] = elem.sourceline
        if frame is not None:
            self.items_by_frame[(subset, frame)] = item
            self.items_by_frame.setdefault(frame, item)
        anns = item.annotations
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            try:
                if tag in SHAPES:
                    anns.append(shapes.shape(child, tag, size))
                elif tag == "tag":
                    anns.append(shapes.tag(child))
                else:
                    from lxml import etree
                    item.extra.setdefault("cvat", {}).setdefault("raw", []).append(
                        etree.tostring(child, encoding="unicode").strip())
                    self.kept_raw[f"<{tag}>"] += 1
            except Skip:
                continue

    # -- end -----------------------------------------------------------------------------
    def finish(self) -> Dataset:
        for name, count in self.shapes.undeclared.items():
            self.report.warn(f"{self.display}: label {name!r} is used by {count} shapes but "
                             f"not declared in <meta>; added")
        for what, count in self.kept_raw.items():
            self.report.warn(f"{count} {what} elements are not understood; they are kept "
                             f"for CVAT output only")
        if self.shapes.clipped_masks:
            self.report.approximated("CVAT masks reaching past the image", "clipped to it",
                                     self.shapes.clipped_masks)
        return self.dataset


def _item_id(name: str) -> str:
    stem, _ext = posixpath.splitext(name.replace("\\", "/"))
    return stem or name
