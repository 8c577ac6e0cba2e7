"""The walk over LabelMe files: each JSON into one item of one Dataset.

A bad value names the file and the place (``a.json: shapes[3].points: a rectangle needs
2 points, got 3``) and is a bad record: under ``--on-error skip`` the shape (or, for a
file-level field, the file) is dropped and counted.
"""
from __future__ import annotations

import posixpath

from typing import Any

from cococonv.errors import DataError
from cococonv.fileio import loads_json
from cococonv.images import probe_size
from cococonv.model import (Categories, Dataset, Image, Item, KeypointSchema, Label,
                            Points)
from cococonv.report import Report
from cococonv.sources import Tree

from .images import ImageBinder, check_embedded, declared_size, embedded_loader, image_rel
from .keypoint_groups import KeypointGroups
from .layout import LabelmeFile, is_labelme
from .shapes import NAMESPACE, GroupIds, KeypointPart, ShapeReader

#: Top-level keys read here; every other one is kept in ``extra["labelme"]["keys"]``.
OWN_KEYS = frozenset({"version", "flags", "shapes", "imagePath", "imageData", "imageHeight",
                      "imageWidth"})


#: A file's keypoint sets hold their highest index + 1 keypoints each, absent ones too:
#: at most this many per point shape drawn, beyond the free ones (a set of 1 visible point
#: of 133 is fine; 3000 points each claiming index 9999 would be 30 million keypoints).
KEYPOINT_SLOTS_PER_POINT = 64
KEYPOINT_SLOTS_FREE = 10000


class LabelmeReader:
    """Reads the LabelMe files of one input into one Dataset."""

    def __init__(self, tree: Tree, report: Report, *, keypoint_groups: bool = False):
        self.tree = tree
        self.report = report
        self.categories = Categories()
        self.shapes = ShapeReader(self.categories)
        self.images = ImageBinder(tree)
        self.dataset = Dataset(self.categories)
        self.not_labelme: list[str] = []
        self._keypoint_names: dict[int, dict[int, str]] = {}
        self.groups = KeypointGroups(self.categories) if keypoint_groups else None

    def read(self, files: list[LabelmeFile]) -> Dataset:
        for source in self.report.progress(files, desc="labelme files"):
            display = self.tree.display(source.rel)
            try:  # one image's file: a broken one (cut short by a crash) is one bad record
                doc = loads_json(self.tree.read_bytes(source.rel), file=display)
            except DataError as err:
                self.report.bad_record(err)
                continue
            if not is_labelme(doc):
                self.not_labelme.append(display)
                continue
            try:
                item = self._item(source, doc)
            except DataError as err:
                self.report.bad_record(err.located(file=display))
                continue
            if self.groups is not None:
                self.groups.join(item)
            self.dataset.add(item)
        for label, names in self._keypoint_names.items():
            count = max(names) + 1
            self.categories.keypoints[label] = KeypointSchema(
                names=[names.get(k, f"point{k + 1}") for k in range(count)])
        if self.groups is None:
            return self.dataset
        self.report.lost("keypoint attributes", "a keypoint set keeps no fields per point "
                         "(--keypoint-groups)", self.groups.dropped)
        return self.groups.finish(self.dataset)

    def _item(self, source: LabelmeFile, doc: dict[str, Any]) -> Item:
        display = self.tree.display(source.rel)
        image, embedded = self._image(source, doc)
        item = Item(id=source.item_id, subset=source.subset, image=image)
        own: dict[str, Any] = {"embedded": True} if embedded else {}
        if "version" in doc:
            own["version"] = doc["version"]
        keys = {k: v for k, v in doc.items() if k not in OWN_KEYS}
        if keys:
            own["keys"] = keys
        flags = doc.get("flags")
        if flags is not None:
            if not isinstance(flags, dict) or not all(isinstance(v, bool)
                                                      for v in flags.values()):
                raise DataError("must be an object of true/false values", where="flags")
            own["flags"] = dict(flags)
            item.annotations.extend(Label(label=self.shapes.label_index(name))
                                    for name, value in flags.items() if value)
        if own:
            item.extra[NAMESPACE] = own
        size = image.size
        groups = GroupIds(doc["shapes"])
        parts: list[KeypointPart] = []
        for index, shape in enumerate(doc["shapes"]):
            try:
                ann = self.shapes.read(shape, size, groups)
            except DataError as err:
                place = f"shapes[{index}]" + (f".{err.where}" if err.where else "")
                err.where = None
                self.report.bad_record(err.located(file=display, where=place))
                continue
            if isinstance(ann, KeypointPart):
                parts.append(ann)
            else:
                item.annotations.append(ann)
        item.annotations.extend(self._keypoint_sets(parts))
        return item

    def _image(self, source: LabelmeFile, doc: dict[str, Any]) -> tuple[Image, bool]:
        """The item's image, and whether it exists only as the file's imageData."""
        path = doc.get("imagePath")
        if path is not None and not isinstance(path, str):
            raise DataError(f"must be text, got {type(path).__name__}", where="imagePath")
        rel = image_rel(source.rel, path) if path else None
        if rel is not None and posixpath.splitext(rel)[1].lower() == ".json":
            # LabelMe's own tutorial file (examples/tutorial/apc2016_obj3.json) names
            # itself: its image is the imageData only.
            rel = None
        name = _name_in_subset(rel, source.root) if rel else source.item_id + ".jpg"
        image = Image(name=name, size=declared_size(doc))
        data = doc.get("imageData")
        bound = self.images.bind(image, rel)
        if data:  # null, or "" as some scripts write: no embedded image
            try:
                embedded_size, ext = check_embedded(data)
            except DataError as err:
                raise err.located(where="imageData") from None
            if not bound:
                image.loader = embedded_loader(self.tree, source.rel)
                if rel is None and ext:
                    image.name = posixpath.splitext(name)[0] + ext
                if image.size is None:
                    image.size = embedded_size
        if image.size is None and bound:
            probe_size(image)
        return image, bool(data) and not bound

    def _keypoint_sets(self, parts: list[KeypointPart]) -> list[Points]:
        """Point shapes cococonv wrote for keypoint sets, joined into one Points each (by
        group and label); a missing index is an absent point (visibility 0)."""
        sets: dict[tuple[int, str], list[KeypointPart]] = {}
        for part in parts:
            sets.setdefault((part.group, part.of), []).append(part)
        slots = sum(max(p.index for p in members) + 1 for members in sets.values())
        if slots > KEYPOINT_SLOTS_PER_POINT * len(parts) + KEYPOINT_SLOTS_FREE:
            raise DataError(f"{len(sets)} keypoint sets would hold {slots} keypoints for "
                            f"the {len(parts)} point shapes drawn (their indices run far "
                            f"past the points; docs/limits.md)", where="shapes")
        out = []
        for (group, of), members in sets.items():
            label = self.shapes.label_index(of)
            names = self._keypoint_names.setdefault(label, {})
            count = max(p.index for p in members) + 1
            points, visibility = [0.0] * (2 * count), [0] * count
            for part in members:
                points[2 * part.index:2 * part.index + 2] = [part.x, part.y]
                visibility[part.index] = part.visibility
                names.setdefault(part.index, part.name)
            out.append(Points(label=label, group=group, points=points, visibility=visibility))
        return out


def _name_in_subset(rel: str, root: str) -> str:
    """The image's name relative to its subset folder (as exporters write it); an image
    outside that folder (``annotations/a.json`` naming ``../images/a.jpg``) by its path in
    the input."""
    prefix = root + "/"
    return rel[len(prefix):] if root and rel.startswith(prefix) else rel
