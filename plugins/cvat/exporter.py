"""CVAT for images 1.1 exporter: one ``annotations.xml`` (and ``images/`` on request).

The ``<meta>`` block read from a CVAT source is written back as it was, with the labels
regenerated from the dataset's categories (so renames and merges show). Every shape kind
CVAT holds is written; what it cannot hold (captions) is reported. The XML is produced as
strings in chunks: it is the fast way to write hundreds of thousands of small elements.
"""
from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from typing import Any

from cococonv.errors import DataError
from cococonv.images import check_image_ext, probe_size, save_images, with_safe_image_name
from cococonv.model import (Annotation, Bbox, Caption, Dataset, Ellipse, Item, Label, Mask,
                            Points, Polygon, Polyline)
from cococonv.paths import safe_segment, writable
from cococonv.plugin import Exporter, Option
from cococonv.context import Context
from cococonv.report import Report
from cococonv.tailnames import TailNames, warn_kept_as_data
from cococonv.xmlsafe import fragment_problem

from . import meta as M
from .meta import number, value_text
from .xmlsafe import attr as q
from .xmlsafe import text as t

FILE_NAME = "annotations.xml"

OPTIONS = (
    Option("save_images", bool, False, "Copy the images into images/ (images/<subset>/ when "
           "there are several subsets), byte for byte unless --image-ext changes the encoding."),
    Option("image_ext", str, None, "Write image names (and saved images) with this extension, "
           "e.g. .png; saved images are re-encoded.", check=check_image_ext),
    Option("reindex", bool, False, "Number the <image> ids 0..N-1 in output order; otherwise "
           "the source's frame ids are kept (new ones where missing or clashing)."),
    Option("allow_undeclared_attributes", bool, True, "Declare in <meta> the attributes the "
           "labels do not declare yet (input type guessed from the values); off drops them "
           "and counts them as lost."),
)

# Attributes written as XML attributes (or implied), never as <attribute> children.
_RESERVED = {"occluded"}
_ROTATABLE = (Bbox, Ellipse)


class CvatExporter(Exporter):
    """CVAT for images 1.1: annotations.xml with meta, labels and every shape kind.

    Boxes (with rotation), polygons, polylines, points, ellipses, masks (CVAT RLE over their
    box), skeletons (keypoints of a label with a keypoint schema) and tags. Captions cannot
    be held and are reported.
    """

    name = "cvat"
    single_file_suffixes = (".xml",)
    options = OPTIONS

    def save(self, dataset: Dataset, out_dir: str, ctx: Context, **options: Any) -> None:
        report = ctx.report
        writer = CvatWriter(dataset, out_dir, report, options)
        if options["save_images"]:
            writer.dataset = writable(dataset, report, writer.output_names)
            writer.tails.report(report)
        else:
            warn_kept_as_data(dataset, report)
        writer.write()


class CvatWriter:
    """One export run."""

    def __init__(self, dataset: Dataset, out_dir: str, report: Report, options: dict[str, Any]):
        self.dataset = dataset
        self.out_dir = out_dir
        self.report = report
        self.opts = options
        ext = options["image_ext"]
        self.ext = ("." + ext.lstrip(".")) if ext else None
        cats = dataset.categories
        self.names = [label.name for label in cats.labels]
        self.lost: defaultdict[str, int] = defaultdict(int)
        self._per_subset: bool | None = None
        self.tails = TailNames("image name")

    # -- plan ----------------------------------------------------------------------------
    def write(self) -> None:
        items = list(self.dataset)
        subsets = self.dataset.subsets
        cvat = self.dataset.meta.get("cvat") or {}
        kept_meta = cvat.get("meta")
        owner_subset = self._owner_subset(kept_meta)
        single = subsets[0] if len(subsets) == 1 else None
        if kept_meta is None and len(subsets) <= 1:
            kept_meta = self._new_meta(len(items), single)
            owner_subset = single if single and single != "default" else None
        self.write_subset = len(subsets) > 1 or (
            single is not None and single != (owner_subset or "default"))
        if self.write_subset:
            # images name their subset: the meta must list it, as a project task
            sizes = {subset: 0 for subset in subsets}
            for item in items:
                sizes[item.subset] += 1
            kept_meta, replaced = M.for_subsets(kept_meta, sizes)
            if replaced:
                self.lost["task meta"] += 1
        self.declared, self.added = self._declarations(items)
        frames = self._frames(items)
        self.lost["image ids and fields"] += sum(
            1 for item in items if set(item.attributes) - {"frame"} or item.extra.get("coco_image"))
        path = os.path.join(self.out_dir, FILE_NAME)
        os.makedirs(self.out_dir, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n')
            fh.write(f"  <version>{t(cvat.get('version') or '1.1')}</version>\n")
            out: list[str] = ["  <meta>\n"]
            M.write_nodes(M.with_labels_marker(kept_meta), 2, out, self._labels_xml())
            out.append("  </meta>\n")
            fh.write("".join(out))
            chunk: list[str] = []
            starts: list[tuple[int, Item]] = []  # where each item's pieces begin in chunk
            for item, frame in zip(items, frames):
                starts.append((len(chunk), item))
                self._image(item, frame, chunk)
                if len(chunk) > 4096:
                    fh.write(self._writable(chunk, starts))
                    chunk, starts = [], []
            fh.write(self._writable(chunk, starts))
            chunk = []
            for raw in cvat.get("unknown") or []:
                chunk.append(f"  {raw}\n")
            chunk.append("</annotations>\n")
            fh.write("".join(chunk))
        if self.opts["save_images"]:
            self._save_images(items, len(subsets) > 1)
        self._report()

    def _writable(self, chunk: list[str], starts: list[tuple[int, Item]]) -> str:
        """The chunk's text without the images XML cannot hold (a NUL in a name or an
        attribute): one scan of the joined text, and per image only when it fails."""
        text = "".join(chunk)
        if fragment_problem(text) is None:
            return text
        kept = []
        for k, (start, item) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(chunk)
            piece = "".join(chunk[start:end])
            problem = fragment_problem(piece)
            if problem is None:
                kept.append(piece)
            else:
                self.report.bad_record(DataError(problem, where=f"image {item.id!r}"))
        return "".join(kept)

    def _owner_subset(self, nodes: list | None) -> str | None:
        for tag in ("task", "job"):
            found = M.text_of(nodes, tag, "subset")
            if found and found.strip():
                return found.strip()
        return None

    def _new_meta(self, size: int, subset: str | None) -> list:
        task: list = [["size", str(size)], ["mode", "annotation"]]
        if subset and subset != "default":
            task.append(["subset", subset])
        task.append(["labels", None])
        return [["task", task]]

    # -- labels and their attribute declarations -----------------------------------------
    def _declarations(self, items: list[Item]) -> tuple[list[dict[str, str]], list[list]]:
        """Declared attribute types per label, plus declarations to add for undeclared ones."""
        labels = self.dataset.categories.labels
        declared: list[dict[str, str]] = []
        for label in labels:
            fields = (label.extra.get("cvat") or {}).get("fields")
            types = {s.get("name", ""): s.get("input_type", "") for s in
                     M.attribute_specs(fields)}
            for name in label.attributes:
                types.setdefault(name, "")
            declared.append(types)
        seen: list[dict[str, list[Any]]] = [{} for _ in labels]
        allow = self.opts["allow_undeclared_attributes"]
        for item in items:
            for ann in item.annotations:
                if ann.label is None or not ann.attributes:
                    continue
                types = declared[ann.label]
                for key, value in ann.attributes.items():
                    if key in types or self._implied(ann, key, value):
                        continue
                    seen[ann.label].setdefault(key, []).append(value)
        added: list[list] = [[] for _ in labels]
        for index, found in enumerate(seen):
            for key, values in found.items():
                if not allow:
                    continue
                kind = _input_type(values)
                declared[index][key] = kind
                added[index].append(M.attribute_node(key, kind, values))
        # Names in LabelCategory.attributes that no <attribute> declares become text ones.
        for index, label in enumerate(labels):
            fields = (label.extra.get("cvat") or {}).get("fields")
            specified = {s.get("name") for s in M.attribute_specs(fields)}
            for name in label.attributes:
                if name not in specified and name not in _declared_names(added[index]):
                    added[index].append(M.attribute_node(name, "text", []))
        return declared, added

    @staticmethod
    def _implied(ann: Annotation, key: str, value: Any) -> bool:
        """Attributes that live in XML attributes or that CVAT implies by the shape kind."""
        if key in _RESERVED:
            return True
        if key == "rotation" and isinstance(ann, _ROTATABLE):
            return True
        # A crowd flag is written (as a checkbox) only when set, so crowd masks survive.
        return key == "is_crowd" and value is False

    def _labels_xml(self) -> str:
        cats = self.dataset.categories
        body = [M.label_xml(label, cats.colormap.get(i), cats.keypoints.get(i), self.added[i])
                for i, label in enumerate(cats.labels) if not label.extra.get("placeholder")]
        text = "".join(body)
        if fragment_problem(text) is not None:
            kept = [label for label in cats.labels if not label.extra.get("placeholder")]
            for label, piece in zip(kept, body):
                problem = fragment_problem(piece)
                if problem:  # no item to skip: the label list is one for all images
                    raise DataError(problem, where=f"label {label.name!r}")
        return "      <labels>\n" + text + "      </labels>\n"

    # -- frames --------------------------------------------------------------------------
    def _frames(self, items: list[Item]) -> list[int]:
        if self.opts["reindex"]:
            return list(range(len(items)))
        frames: list[Any] = [item.attributes.get("frame") for item in items]
        used: set[tuple[str, int]] = set()
        clash = False
        for item, frame in zip(items, frames):
            if type(frame) is not int or frame < 0 or (item.subset, frame) in used:
                clash = True
                continue
            used.add((item.subset, frame))
        if not clash:
            return frames
        taken = {f for _s, f in used}
        next_frame = max(taken, default=-1) + 1
        seen: set[tuple[str, int]] = set()
        out = []
        for item, frame in zip(items, frames):
            if type(frame) is not int or frame < 0 or (item.subset, frame) in seen:
                frame = next_frame
                next_frame += 1
            seen.add((item.subset, frame))
            out.append(frame)
        return out

    # -- images --------------------------------------------------------------------------
    def output_names(self, item: Item) -> tuple[Item, tuple[str, ...]]:
        """Where --save-images writes the item's image (``paths.writable``): images/, or
        images/<subset>/ when there are several subsets."""
        image = item.image
        if image is None or not image.has_data:
            return item, ()
        item = with_safe_image_name(item, self.tails)
        if self._per_subset is None:
            self._per_subset = len(self.dataset.subsets) > 1
        folder = f"images/{safe_segment(item.subset, what='subset')}" if self._per_subset \
            else "images"
        return item, (f"{folder}/{self._file_name(item)}",)

    def _file_name(self, item: Item) -> str:
        name = item.image.name if item.image is not None else item.id + ".jpg"
        if self.ext:
            name = posixpath.splitext(name)[0] + self.ext
        return name

    def _image(self, item: Item, frame: int, out: list[str]) -> None:
        size = probe_size(item.image)
        head = f'  <image id="{frame}" name="{q(self._file_name(item))}"'
        if size is not None:
            head += f' width="{size[1]}" height="{size[0]}"'
        if self.write_subset:
            head += f' subset="{q(item.subset)}"'
        cvat = item.extra.get("cvat") or {}
        for key, value in (cvat.get("xml") or {}).items():
            head += f' {key}="{q(value)}"'
        raw = cvat.get("raw") or []
        voc = item.extra.get("voc") or {}
        if voc.get("void_class") or voc.get("void_object"):
            self.lost["VOC void (255) regions"] += 1
        if not item.annotations and not raw:
            out.append(head + ">\n  </image>\n")
            return
        out.append(head + ">\n")
        for ann in item.annotations:
            self._annotation(ann, size, out)
        for element in raw:
            out.append(f"    {element}\n")
        out.append("  </image>\n")

    def _annotation(self, ann: Annotation, size: tuple[int, int] | None,
                    out: list[str]) -> None:
        kind = type(ann)
        if ann.id is not None and kind is not Caption:
            self.lost["annotation ids"] += 1
        if kind is Bbox:
            geometry = (f' xtl="{number(ann.x)}" ytl="{number(ann.y)}" '
                        f'xbr="{number(round(ann.x + ann.w, 10))}" '
                        f'ybr="{number(round(ann.y + ann.h, 10))}"')
            self._element("box", ann, geometry + _rotation(ann), out)
        elif kind is Polygon:
            self._element("polygon", ann, f' points="{_points(ann.points)}"', out)
        elif kind is Polyline:
            self._element("polyline", ann, f' points="{_points(ann.points)}"', out)
        elif kind is Ellipse:
            geometry = (f' cx="{number(ann.cx)}" cy="{number(ann.cy)}" rx="{number(ann.rx)}" '
                        f'ry="{number(ann.ry)}"')
            self._element("ellipse", ann, geometry + _rotation(ann), out)
        elif kind is Points:
            self._points(ann, out)
        elif kind is Mask:
            self._mask(ann, out)
        elif kind is Label:
            self._element("tag", ann, "", out, occluded=False)
        elif kind is Caption:
            self.lost["captions"] += 1
        else:
            self.lost[f"{ann.kind} annotations"] += 1

    def _element(self, tag: str, ann: Annotation, geometry: str, out: list[str],
                 occluded: bool = True, children: str = "") -> None:
        label = self.names[ann.label] if ann.label is not None else ""
        cvat = ann.extra.get("cvat") or {}
        head = f'    <{tag} label="{q(label)}"'
        if occluded:
            head += f' occluded="{1 if ann.attributes.get("occluded") else 0}"'
        if "source" in cvat:
            head += f' source="{q(cvat["source"])}"'
        head += geometry
        for key, value in (cvat.get("xml") or {}).items():
            head += f' {key}="{q(value)}"'
        if tag != "tag":
            head += f' z_order="{ann.z_order}"'
        if ann.group:
            head += f' group_id="{ann.group}"'
        body = self._attributes(ann, "      ") + children
        if body:
            out.append(f"{head}>\n{body}    </{tag}>\n")
        else:
            out.append(f"{head}>\n    </{tag}>\n")

    def _attributes(self, ann: Annotation, pad: str) -> str:
        if not ann.attributes:
            return ""
        declared = self.declared[ann.label] if ann.label is not None else None
        parts = []
        for key, value in ann.attributes.items():
            if self._implied(ann, key, value):
                continue
            if declared is not None and key not in declared:
                self.lost["undeclared attributes"] += 1
                continue
            parts.append(f'{pad}<attribute name="{q(str(key))}">{t(value_text(value))}'
                         f'</attribute>\n')
        return "".join(parts)

    def _points(self, ann: Points, out: list[str]) -> None:
        schema = self.dataset.categories.keypoints.get(ann.label) \
            if ann.label is not None else None
        count = len(ann.points) // 2
        if schema is not None and schema.names and ann.points:
            # A set whose length differs from the names (kept so by the COCO importer) is
            # still the label's skeleton: missing names become absent (outside) nodes.
            if count > len(schema.names):
                self.lost["keypoints beyond their label's names"] += count - len(schema.names)
            elif count < len(schema.names):
                self.report.approximated("keypoint sets shorter than their label's names",
                                         "the missing names written as outside points")
            self._skeleton(ann, schema.names, out)
            return
        if not ann.points:
            self.lost["empty point sets"] += 1
            return
        if any(v != 2 for v in ann.visibility):
            self.lost["keypoint visibility"] += 1
        self._element("points", ann, f' points="{_points(ann.points)}"', out)

    def _skeleton(self, ann: Points, names: list[str], out: list[str]) -> None:
        cvat = ann.extra.get("cvat") or {}
        nodes = cvat.get("nodes") or [None] * len(names)
        parts = []
        visibility = ann.visibility or [2] * len(names)
        for k, name in enumerate(names):
            node = nodes[k] if k < len(nodes) and nodes[k] else {}
            present = 2 * k + 1 < len(ann.points)
            v = (visibility[k] if k < len(visibility) else 2) if present else 0
            head = (f'      <points label="{q(name)}" occluded="{1 if v == 1 else 0}"')
            if "source" in node:
                head += f' source="{q(node["source"])}"'
            head += f' outside="{1 if v == 0 else 0}"'
            xy = f"{number(ann.points[2 * k])},{number(ann.points[2 * k + 1])}" if present \
                else "0,0"
            head += f' points="{xy}"'
            for key, value in (node.get("xml") or {}).items():
                head += f' {key}="{q(value)}"'
            head += f' z_order="{q(str(node.get("z_order", ann.z_order)))}"'
            attrs = "".join(f'        <attribute name="{q(str(key))}">{t(value_text(val))}'
                            f'</attribute>\n' for key, val in
                            (node.get("attributes") or {}).items())
            parts.append(f"{head}>\n{attrs}      </points>\n")
        geometry = ' points=""'
        self._element("skeleton", ann, geometry, out, children="".join(parts))

    def _mask(self, ann: Mask, out: list[str]) -> None:
        from . import rle as R

        cvat = ann.extra.get("cvat") or {}
        try:
            written = R.from_coco(ann.rle, cvat.get("box"))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"cannot write a mask of label "
                            f"{self.names[ann.label] if ann.label is not None else '(none)'}:"
                            f" {exc}") from None
        if written is None:
            self.lost["empty masks"] += 1
            return
        counts, left, top, width, height = written
        geometry = (f' rle="{counts}" left="{left}" top="{top}" width="{width}" '
                    f'height="{height}"')
        self._element("mask", ann, geometry, out)

    # -- images on disk ------------------------------------------------------------------
    def _save_images(self, items: list[Item], per_subset: bool) -> None:
        def destination(item: Item) -> str:
            folder = f"images/{item.subset}" if per_subset else "images"
            return f"{folder}/{self._file_name(item)}"

        save_images(items, self.out_dir, destination, self.report, ext=self.ext)

    def _report(self) -> None:
        reasons = {
            "captions": "CVAT has no captions",
            "image ids and fields": "CVAT numbers images by frame and keeps no other image "
                                    "fields (e.g. COCO image id, license)",
            "annotation ids": "CVAT for images has no annotation ids",
            "task meta": "images that name their subset need a project meta, one task per "
                         "subset (Datumaro reads none of them under a task meta)",
            "undeclared attributes": "--no-allow-undeclared-attributes",
            "empty masks": "CVAT cannot hold an empty mask",
            "VOC void (255) regions": "CVAT has no void; import VOC with --void-regions crowd "
                                      "to carry them as masks of the background label",
            "empty point sets": "CVAT cannot hold an empty points shape",
            "keypoints beyond their label's names": "a CVAT skeleton has one node per name",
            "keypoint visibility": "CVAT <points> are all visible (no keypoint schema for "
                                   "a skeleton)",
        }
        for what, count in self.lost.items():
            self.report.lost(what, reasons.get(what, "CVAT cannot hold them"), count)


def _declared_names(nodes: list[list]) -> set[str | None]:
    return {M.text_of(node[1], "name") for node in nodes}


def _input_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "checkbox"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _points(flat: list[float]) -> str:
    return ";".join(f"{number(flat[k])},{number(flat[k + 1])}" for k in range(0, len(flat) - 1, 2))


def _rotation(ann: Annotation) -> str:
    rotation = ann.attributes.get("rotation")
    if rotation is None:
        return ""
    return f' rotation="{number(float(rotation))}"'
