"""CVAT for images 1.1 importer (also reads CVAT for video 1.1 tracks).

The XML is streamed: each top-level ``<image>``/``<track>``/``<tag>`` is read when it is
complete and then freed, so memory tracks the model, not the lxml tree. Shapes carry what
the model owns in typed fields and ``attributes``; what only CVAT knows (``source``, a
mask's box, unknown XML attributes, video keyframes) sits in ``extra["cvat"]`` so the CVAT
exporter can write it back.
"""
from __future__ import annotations

import math
import posixpath
from collections import Counter
from collections.abc import Iterable
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import coordinates_problem
from cococonv.model import (MAX_IMAGE_SIDE, Annotation, Bbox, Dataset, Ellipse, Image, Item,
                            Label, Mask, Points, Polygon, Polyline)
from cococonv.paths import is_hidden, lookup_relpath
from cococonv.plugin import Importer
from cococonv.context import Context
from cococonv.report import Report
from cococonv.sources import FileTree, Tree

from . import meta as M
from . import xmlsafe

# XML attributes each element kind owns; anything else is kept verbatim in extra.
_COMMON = {"label", "occluded", "z_order", "group_id", "source"}
_TRACKED = {"frame", "outside", "keyframe"}
_OWN = {
    "box": _COMMON | {"xtl", "ytl", "xbr", "ybr", "rotation"},
    "ellipse": _COMMON | {"cx", "cy", "rx", "ry", "rotation"},
    "polygon": _COMMON | {"points"},
    "polyline": _COMMON | {"points"},
    "points": _COMMON | {"points"},
    "mask": _COMMON | {"rle", "left", "top", "width", "height"},
    "skeleton": _COMMON | {"points"},
    "tag": _COMMON,
}
_SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "mask", "skeleton")
_IMAGE_OWN = {"id", "name", "width", "height", "subset"}


def find_xml_files(tree: Tree) -> list[str]:
    """CVAT XML files at the top of the input (sniffed: root ``<annotations>`` + meta).

    A single file (or stdin) is sniffed whatever its name; in a folder only ``*.xml`` are.
    """
    single = isinstance(tree, FileTree)
    candidates = [tree.filename] if single else [rel for rel in tree.files() if "/" not in rel]
    found = []
    for rel in candidates:
        if not single and not rel.lower().endswith(".xml"):
            continue
        try:
            with tree.open(rel) as fh:
                head = fh.read(xmlsafe.SNIFF_BYTES)
        except DataError:
            continue
        if xmlsafe.looks_like_cvat(head):
            found.append(rel)
    return sorted(found)


class _Skip(Exception):
    """A bad record was reported and skipped (--on-error skip|warn)."""


class CvatReader:
    """Reads CVAT XML files of one input into one Dataset."""

    def __init__(self, tree: Tree, report: Report):
        self.tree = tree
        self.report = report
        self.schema = M.LabelSchema()
        self.dataset = Dataset(self.schema.categories)
        self.undeclared: Counter[str] = Counter()
        self.kept_raw: Counter[str] = Counter()
        self.clipped_masks = 0
        self._image_dirs: dict[str, list[str]] = {}
        self._frame_files: dict[str, str] | None = None
        self._files: dict[int, set[str]] = {}  # id(tree) -> its files

    # -- errors --------------------------------------------------------------------------
    def error(self, message: str, elem: Any) -> DataError:
        return DataError(message, file=self.display, where=f"line {elem.sourceline}")

    def bad(self, message: str, elem: Any) -> _Skip:
        """Report a bad record (raises under --on-error fail) and return the skip signal."""
        self.report.bad_record(self.error(message, elem))
        return _Skip()

    # -- one file ------------------------------------------------------------------------
    def read(self, rel: str, fallback_subset: str) -> None:
        self.display = self.tree.display(rel)
        self.rel = rel
        self.fallback_subset = fallback_subset
        self.default_subset = fallback_subset
        self.items_by_frame: dict[Any, Item] = {}
        self.item_lines: dict[tuple[str, str], int] = {}
        self.video: dict[int, list[Annotation]] = {}
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
                        self._track(elem)
                    elif tag == "tag":
                        self._video_tag(elem)
                    elif tag == "meta":
                        self._meta(elem)
                    elif tag == "version":
                        self._version(elem)
                    elif isinstance(tag, str):
                        self._keep_top(elem)
                except _Skip:
                    continue
        self._finish_video()

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
        if not self.schema.index:
            self.schema = schema
            self.dataset.categories = schema.categories
            return
        for name, index in schema.index.items():
            if name not in self.schema.index:
                label = schema.categories.labels[index]
                new = self.schema.categories.add(label.name, attributes=label.attributes,
                                                 extra=label.extra)
                self.schema.index[name] = new
                self.schema.types[name] = schema.types[name]
                if index in schema.categories.keypoints:
                    self.schema.categories.keypoints[new] = schema.categories.keypoints[index]
                    self.schema.nodes[name] = schema.nodes.get(name, {})
                if index in schema.categories.colormap:
                    self.schema.categories.colormap[new] = schema.categories.colormap[index]
        self.schema.sublabel_types.update(schema.sublabel_types)

    def _label(self, name: str | None) -> int | None:
        if not name:
            return None
        index = self.schema.index.get(name)
        if index is None:
            index = self.schema.add_label(name)
            self.undeclared[name] += 1
        return index

    # -- images --------------------------------------------------------------------------
    def _image(self, elem: Any) -> None:
        a = elem.attrib
        name = a.get("name")
        if not name:
            raise self.bad("<image> has no name", elem)
        frame: Any = a.get("id")
        if frame is not None:
            frame = self._int(frame, "id", elem)
        width = self._dimension(a.get("width"), "width", elem)
        height = self._dimension(a.get("height"), "height", elem)
        subset = a.get("subset") or self.default_subset
        item_id = _item_id(name)
        key = (subset, item_id)
        if key in self.item_lines:
            raise self.error(f"image {name!r} (item {item_id!r}) is already defined at line "
                             f"{self.item_lines[key]} in subset {subset!r}", elem)
        size = (height, width) if height is not None and width is not None else None
        image = Image(name, size)
        self._attach(image, subset)
        attributes = {"frame": frame} if frame is not None else {}
        item = Item(item_id, subset, image, [], attributes, {})
        raw = {k: v for k, v in xmlsafe.attr_items(elem) if k not in _IMAGE_OWN}
        if raw:
            item.extra["cvat"] = {"xml": raw}
        if self.dataset.get(subset, item_id) is not None:
            raise self.error(f"image {name!r} (item {item_id!r}) is already defined in "
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
                if tag in _SHAPES:
                    anns.append(self._shape(child, tag, size))
                elif tag == "tag":
                    anns.append(self._tag(child))
                else:
                    from lxml import etree
                    item.extra.setdefault("cvat", {}).setdefault("raw", []).append(
                        etree.tostring(child, encoding="unicode").strip())
                    self.kept_raw[f"<{tag}>"] += 1
            except _Skip:
                continue

    def _dimension(self, value: str | None, what: str, elem: Any) -> int | None:
        if value is None:
            return None
        number = self._float(value, what, elem)
        if number < 0 or not number.is_integer() or number > MAX_IMAGE_SIDE:
            raise self.error(f"<{elem.tag}> {what}: expected a whole number up to "
                             f"{MAX_IMAGE_SIDE}, got {value!r}", elem)
        return int(number)

    def _image_folders(self, subset: str) -> list[str]:
        dirs = self._image_dirs.get(subset)
        if dirs is None:
            base = posixpath.dirname(self.rel)
            prefix = f"{base}/" if base else ""
            dirs = [f"{prefix}images/{subset}", f"{prefix}images", base]
            self._image_dirs[subset] = dirs
        return dirs

    def _attach(self, image: Image, subset: str) -> None:
        """Point the image at its file when the input has it; a missing image is fine.

        Only the input roots are searched (a single XML's: its folder, and the one above
        ``annotations/``); an absolute or escaping name is looked up by its tail.
        """
        name = lookup_relpath(image.name)
        if name is None:
            return
        if isinstance(self.tree, FileTree):
            candidates = (f"images/{subset}/{name}", f"images/{name}", name, f"{subset}/{name}")
            lookups: Iterable[tuple[Tree, str]] = self.tree.image_lookups(
                candidates, ("images", subset))
        else:
            lookups = ((self.tree, f"{d}/{name}" if d else name)
                       for d in self._image_folders(subset))
        for tree, rel in lookups:
            if rel in self._known_files(tree) and not is_hidden(rel.split("/")):
                tree.bind_image(image, rel)
                return

    def _known_files(self, tree: Tree) -> set[str]:
        """Every file of the tree, listed once (one walk instead of a stat per image)."""
        known = self._files.get(id(tree))
        if known is None:
            known = self._files[id(tree)] = set(tree.files())
        return known

    # -- shapes --------------------------------------------------------------------------
    def _float(self, value: str | None, what: str, elem: Any) -> float:
        if value is None:
            raise self.bad(f"<{elem.tag}> has no {what}", elem)
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise self.bad(f"<{elem.tag}> {what}: expected a number, got {value!r}", elem)
        return number

    def _int(self, value: str, what: str, elem: Any) -> int:
        try:
            return int(value)
        except ValueError:
            number = self._float(value, what, elem)
            if not number.is_integer():
                raise self.bad(f"<{elem.tag}> {what}: expected a whole number, got "
                               f"{value!r}", elem) from None
            return int(number)

    def _points(self, a: dict[str, str], elem: Any) -> list[float]:
        raw = a.get("points")
        if raw is None or not raw.strip():
            raise self.bad(f"<{elem.tag}> has no points", elem)
        try:
            values = [float(v) for v in raw.replace(";", ",").split(",")]
        except ValueError:
            raise self.bad(f"<{elem.tag}> points: expected 'x,y;x,y;...' numbers, got "
                           f"{_short(raw)!r}", elem) from None
        if len(values) % 2:
            raise self.bad(f"<{elem.tag}> points: odd number of coordinates ({len(values)}) "
                           f"in {_short(raw)!r}", elem)
        if not math.isfinite(sum(values)):
            raise self.bad(f"<{elem.tag}> points: coordinates must be finite numbers, got "
                           f"{_short(raw)!r}", elem)
        return values

    def _flag(self, value: str | None, what: str, elem: Any) -> bool:
        if value is None or value == "0":
            return False
        if value == "1":
            return True
        low = value.strip().lower()
        if low in ("0", "false"):
            return False
        if low in ("1", "true"):
            return True
        raise self.bad(f"<{elem.tag}> {what}: expected 0 or 1, got {value!r}", elem)

    def _common(self, elem: Any, a: dict[str, str], ann: Annotation, own: set[str]) -> None:
        """Fill label, group, z_order, occluded, custom attributes and extras.

        ``a`` is the element's attributes as a plain dict: one copy out of lxml is much
        cheaper than a lookup through lxml per field.
        """
        label = a.get("label")
        ann.label = self._label(label)
        z = a.get("z_order")
        if z is not None:
            ann.z_order = int(z) if z.isdigit() else self._int(z, "z_order", elem)
        group = a.get("group_id")
        if group is not None:
            ann.group = self._int(group, "group_id", elem)
        attrs = ann.attributes
        if elem.tag != "tag":
            attrs["occluded"] = self._flag(a.get("occluded"), "occluded", elem)
        cvat: dict[str, Any] = {}
        source = a.get("source")
        if source is not None:
            cvat["source"] = source
        if a.keys() - own:
            cvat["xml"] = {k: v for k, v in a.items() if k not in own}
        if len(elem):
            types = self.schema.types.get(label or "", {})
            for child in elem:
                if child.tag == "attribute":
                    name = child.get("name")
                    if name is None:
                        raise self.bad("<attribute> has no name", child)
                    attrs[name] = M.typed_value(child.text or "", types.get(name))
        if cvat:
            ann.extra["cvat"] = cvat

    def _shape(self, elem: Any, tag: str, size: tuple[int, int] | None,
               tracked: bool = False) -> Annotation:
        own = _OWN[tag] | _TRACKED if tracked else _OWN[tag]
        a = dict(xmlsafe.attr_items(elem))
        ann: Annotation
        if tag == "box":
            number = self._float
            xtl = number(a.get("xtl"), "xtl", elem)
            ytl = number(a.get("ytl"), "ytl", elem)
            xbr = number(a.get("xbr"), "xbr", elem)
            ybr = number(a.get("ybr"), "ybr", elem)
            self._in_image([xtl, ytl, xbr, ybr], size, elem)
            ann = Bbox(x=xtl, y=ytl, w=round(xbr - xtl, 10), h=round(ybr - ytl, 10))
            self._rotation(a, elem, ann)
        elif tag == "polygon":
            ann = Polygon(points=self._points(a, elem))
            self._in_image(ann.points, size, elem)
        elif tag == "polyline":
            ann = Polyline(points=self._points(a, elem))
        elif tag == "points":
            pts = self._points(a, elem)
            ann = Points(points=pts, visibility=[2] * (len(pts) // 2))
        elif tag == "ellipse":
            ann = Ellipse(cx=self._float(a.get("cx"), "cx", elem),
                          cy=self._float(a.get("cy"), "cy", elem),
                          rx=self._float(a.get("rx"), "rx", elem),
                          ry=self._float(a.get("ry"), "ry", elem))
            self._in_image([ann.cx - ann.rx, ann.cy - ann.ry, ann.cx + ann.rx,
                            ann.cy + ann.ry], size, elem)
            self._rotation(a, elem, ann)
        elif tag == "mask":
            ann, box = self._mask(a, elem, size)
            self._common(elem, a, ann, own)
            ann.extra.setdefault("cvat", {})["box"] = box
            return ann
        else:
            return self._skeleton(elem, a, tracked)
        self._common(elem, a, ann, own)
        return ann

    def _in_image(self, points: list[float], size: tuple[int, int] | None, elem: Any) -> None:
        """Refuse an area shape reaching past the margin around its image (docs/limits.md)."""
        problem = coordinates_problem(points, *size) if size else None
        if problem:
            raise self.bad(f"<{elem.tag}> {problem}", elem)

    def _rotation(self, a: dict[str, str], elem: Any, ann: Annotation) -> None:
        rotation = a.get("rotation")
        if rotation is not None:
            ann.attributes["rotation"] = self._float(rotation, "rotation", elem)

    def _mask(self, a: dict[str, str], elem: Any,
              size: tuple[int, int] | None) -> tuple[Mask, list[int]]:
        from . import rle as R

        box = [self._int(self._required(elem, key), key, elem)
               for key in ("left", "top", "width", "height")]
        if size is None:
            raise self.bad("<mask> needs the width and height of its <image>", elem)
        try:
            runs = R.parse_counts(a.get("rle") or "")
            coco, clipped = R.to_coco(runs, *box, *size)
        except R.RleError as exc:
            raise self.bad(f"<mask> {exc}", elem) from None
        if clipped:
            self.clipped_masks += 1
        return Mask(rle=coco), box

    def _required(self, elem: Any, key: str) -> str:
        value = elem.get(key)
        if value is None:
            raise self.bad(f"<{elem.tag}> has no {key}", elem)
        return value

    def _skeleton(self, elem: Any, a: dict[str, str], tracked: bool) -> Points:
        """One Points annotation; node order follows the skeleton label's schema."""
        name = a.get("label") or ""
        positions = self.schema.nodes.get(name)
        if positions is None:
            raise self.bad(f"<skeleton> label {name!r} is not a skeleton label of the meta",
                           elem)
        count = len(positions)
        points = [0.0] * (2 * count)
        visibility = [0] * count
        nodes: list[dict[str, Any] | None] = [None] * count
        node_own = _OWN["points"] | {"outside"} | (_TRACKED if tracked else set())
        for child in elem:
            if child.tag != "points":
                continue
            node_name = child.get("label") or ""
            k = positions.get(node_name)
            if k is None:
                raise self.bad(f"<points> label {node_name!r} is not a node of skeleton "
                               f"{name!r} (nodes: {', '.join(positions) or 'none'})", child)
            xy = self._points(dict(xmlsafe.attr_items(child)), child)
            if len(xy) != 2:
                raise self.bad(f"<points> of a skeleton node holds {len(xy) // 2} points, "
                               f"expected 1", child)
            points[2 * k], points[2 * k + 1] = xy
            outside = self._flag(child.get("outside"), "outside", child)
            occluded = self._flag(child.get("occluded"), "occluded", child)
            visibility[k] = 0 if outside else (1 if occluded else 2)
            nodes[k] = self._node_extra(child, name, node_name, node_own)
        ann = Points(points=points, visibility=visibility)
        self._common(elem, a, ann, _OWN["skeleton"] | (_TRACKED if tracked else set()))
        if any(nodes):
            ann.extra.setdefault("cvat", {})["nodes"] = nodes
        return ann

    def _node_extra(self, child: Any, skeleton: str, node: str,
                    own: set[str]) -> dict[str, Any] | None:
        """What a skeleton node carries beyond its point and visibility."""
        extra: dict[str, Any] = {}
        a = child.attrib
        for key in ("source", "z_order"):
            if key in a:
                extra[key] = a[key]
        raw = {k: v for k, v in xmlsafe.attr_items(child) if k not in own}
        if raw:
            extra["xml"] = raw
        types = self.schema.sublabel_types.get((skeleton, node), {})
        attrs = {c.get("name"): M.typed_value(c.text or "", types.get(c.get("name")))
                 for c in child if c.tag == "attribute" and c.get("name") is not None}
        if attrs:
            extra["attributes"] = attrs
        if "keyframe" in a:
            extra["keyframe"] = a["keyframe"] == "1"
        return extra or None

    def _tag(self, elem: Any) -> Label:
        ann = Label()
        self._common(elem, dict(xmlsafe.attr_items(elem)), ann, _OWN["tag"] | {"frame"})
        return ann

    # -- video ---------------------------------------------------------------------------
    def _video_tag(self, elem: Any) -> None:
        frame = self._int(elem.get("frame") or "", "frame", elem)
        self.video.setdefault(frame, []).append(self._tag(elem))

    def _track(self, elem: Any) -> None:
        """Each non-outside shape of a track becomes an annotation on its frame's item."""
        track_id = self._int(elem.get("id") or "", "id", elem)
        label = elem.get("label")
        group = elem.get("group_id")
        source = elem.get("source")
        for child in elem:
            tag = child.tag
            if tag not in _SHAPES:
                continue
            frame = self._int(child.get("frame") or "", "frame", child)
            bucket = self.video.setdefault(frame, [])
            if self._flag(child.get("outside"), "outside", child):
                continue
            if label is not None and "label" not in child.attrib:
                child.set("label", label)
            if group is not None and "group_id" not in child.attrib:
                child.set("group_id", group)
            if tag == "skeleton":
                self._fill_skeleton_nodes(elem, child, frame)
            try:
                ann = self._shape(child, tag, self.original_size, tracked=True)
            except _Skip:
                continue
            ann.attributes["track_id"] = track_id
            cvat = ann.extra.setdefault("cvat", {})
            cvat["keyframe"] = self._flag(child.get("keyframe"), "keyframe", child)
            if source is not None:
                cvat.setdefault("source", source)
            bucket.append(ann)

    def _fill_skeleton_nodes(self, track: Any, skeleton: Any, frame: int) -> None:
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

    def _finish_video(self) -> None:
        if not self.video:
            return
        subset = self.default_subset
        for frame in sorted(self.video):
            item = self.items_by_frame.get((subset, frame)) or self.items_by_frame.get(frame)
            if item is None:
                item_id = f"frame_{frame:06d}"
                name = self._frame_file(item_id) or item_id + self._frame_ext()
                image = Image(name, self.original_size)
                self._attach(image, subset)
                item = Item(item_id, subset, image, [], {"frame": frame}, {})
                if self.dataset.get(subset, item_id) is not None:
                    raise DataError(f"frame {frame} (item {item_id!r}) is already defined",
                                    file=self.display)
                self.dataset.add(item)
                self.items_by_frame[(subset, frame)] = item
            item.annotations.extend(self.video[frame])
        self.video = {}

    def _frame_file(self, item_id: str) -> str | None:
        """The file name of an extracted video frame (``images/frame_000010.png``)."""
        if self._frame_files is None:
            self._frame_files = {}
            tree: Tree | None = self.tree
            folder = posixpath.join(posixpath.dirname(self.rel), "images")
            if isinstance(tree, FileTree):
                tree, folder = tree.base, "images"
            for name in tree.listdir(folder) if tree is not None else []:
                self._frame_files.setdefault(posixpath.splitext(name)[0], name)
        return self._frame_files.get(item_id)

    def _frame_ext(self) -> str:
        """The extension other extracted frames use (a missing frame gets the same)."""
        self._frame_file("")
        exts = Counter(posixpath.splitext(name)[1] for name in (self._frame_files or {}).values())
        return exts.most_common(1)[0][0] if exts else ".jpg"

    # -- end -----------------------------------------------------------------------------
    def finish(self) -> Dataset:
        for name, count in self.undeclared.items():
            self.report.warn(f"{self.display}: label {name!r} is used by {count} shapes but "
                             f"not declared in <meta>; added")
        for what, count in self.kept_raw.items():
            self.report.warn(f"{count} {what} elements are not understood; they are kept "
                             f"for CVAT output only")
        if self.clipped_masks:
            self.report.approximated("CVAT masks reaching past the image", "clipped to it",
                                     self.clipped_masks)
        return self.dataset


def _item_id(name: str) -> str:
    stem, _ext = posixpath.splitext(name.replace("\\", "/"))
    return stem or name


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


class CvatImporter(Importer):
    """CVAT for images 1.1: annotations.xml (task, project or job export), also video tracks.

    Reads every `*.xml` at the top of the input whose root is `<annotations>` (a folder, a
    CVAT export `.zip`, or the XML itself). Images are looked up in `images/<subset>/`,
    `images/` and next to the XML; a missing image is fine.
    """

    name = "cvat"
    options = ()

    @classmethod
    def detect(cls, tree: Tree) -> int:
        # The content was sniffed (root <annotations> plus <version>/<meta>): a strong match,
        # above formats that only look at names.
        return 50 if find_xml_files(tree) else 0

    def load(self, tree: Tree, ctx: Context) -> Dataset:
        report = ctx.report
        files = find_xml_files(tree)
        if not files:
            raise DataError("no CVAT annotation file found (expected an .xml file at the top "
                            "of the input whose root is <annotations> with <version>1.1"
                            "</version> or <meta>)", file=tree.name)
        reader = CvatReader(tree, report)
        several = len(files) > 1
        for rel in files:
            stem = posixpath.splitext(posixpath.basename(rel))[0]
            reader.read(rel, stem if several else "default")
        return reader.finish()
