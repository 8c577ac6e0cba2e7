"""CVAT for video 1.1: ``<track>`` and frame ``<tag>`` elements onto the items of their
frames (each non-outside shape of a track becomes an annotation of its frame's item)."""
from __future__ import annotations

from typing import Any

from cococonv.errors import DataError
from cococonv.model import Annotation, Dataset, Image, Item

from .fields import Skip
from .image_files import ImageFiles
from .shapes import SHAPES, ShapeReader


class VideoFrames:
    """The annotations of one file's tracks and tags, by frame, until ``finish`` puts them
    on the items (made for frames without an ``<image>``)."""

    def __init__(self, shapes: ShapeReader):
        self.shapes = shapes
        self.by_frame: dict[int, list[Annotation]] = {}

    def tag(self, elem: Any) -> None:
        frame = self.shapes.whole(elem.get("frame") or "", "frame", elem)
        self.by_frame.setdefault(frame, []).append(self.shapes.tag(elem))

    def track(self, elem: Any, size: tuple[int, int] | None) -> None:
        """Each non-outside shape of a track becomes an annotation on its frame's item."""
        shapes = self.shapes
        track_id = shapes.whole(elem.get("id") or "", "id", elem)
        label = elem.get("label")
        group = elem.get("group_id")
        source = elem.get("source")
        for child in elem:
            tag = child.tag
            if tag not in SHAPES:
                continue
            frame = shapes.whole(child.get("frame") or "", "frame", child)
            bucket = self.by_frame.setdefault(frame, [])
            if shapes.flag(child.get("outside"), "outside", child):
                continue
            if label is not None and "label" not in child.attrib:
                child.set("label", label)
            if group is not None and "group_id" not in child.attrib:
                child.set("group_id", group)
            if tag == "skeleton":
                _fill_skeleton_nodes(elem, child, frame)
            try:
                ann = shapes.shape(child, tag, size, tracked=True)
            except Skip:
                continue
            ann.attributes["track_id"] = track_id
            cvat = ann.extra.setdefault("cvat", {})
            cvat["keyframe"] = shapes.flag(child.get("keyframe"), "keyframe", child)
            if source is not None:
                cvat.setdefault("source", source)
            bucket.append(ann)

    def finish(self, dataset: Dataset, items_by_frame: dict[Any, Item], subset: str,
               size: tuple[int, int] | None, images: ImageFiles, rel: str) -> None:
        """Put each frame's annotations on its item, adding an item for a frame that has
        no ``<image>`` (its file found among the extracted frames)."""
        for frame in sorted(self.by_frame):
            item = items_by_frame.get((subset, frame)) or items_by_frame.get(frame)
            if item is None:
                item_id = f"frame_{frame:06d}"
                name = images.frame_file(item_id, rel) or item_id + images.frame_ext(rel)
                image = Image(name, size)
                images.attach(image, subset, rel)
                item = Item(item_id, subset, image, [], {"frame": frame}, {})
                if dataset.get(subset, item_id) is not None:
                    raise DataError(f"frame {frame} (item {item_id!r}) is already defined",
                                    file=self.shapes.display)
                dataset.add(item)
                items_by_frame[(subset, frame)] = item
            item.annotations.extend(self.by_frame[frame])
        self.by_frame = {}


def _fill_skeleton_nodes(track: Any, skeleton: Any, frame: int) -> None:
    """Copy each node track's shape at ``frame`` under the skeleton shape."""
    from lxml import etree

    frame_text = str(frame)
    for sub in track:
        if sub.tag != "track":
            continue
        for node in sub:
            if node.tag == "points" and node.get("frame") == frame_text:
                copy = etree.SubElement(skeleton, "points", dict(node.attrib))
                copy.set("label", sub.get("label") or "")
                for attr_elem in node:
                    if attr_elem.tag == "attribute":
                        etree.SubElement(copy, "attribute", dict(attr_elem.attrib)).text = \
                            attr_elem.text
                break
