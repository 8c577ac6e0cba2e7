"""The CVAT export plan: what the parent decides before any ``<image>`` is written.

CVAT's layout needs one pass over the items before the first one is written: the ``<meta>``
block (it comes first in the file) lists the subsets with their sizes and declares every
attribute the shapes use, and frame ids are renumbered only when two items clash, which is
known at the end of the pass. That pass keeps each item with its frame in ``CvatPlan.items``;
the per-item phase and ``finish`` walk that list (forked workers index it), not the source.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cococonv import foreign_fields as FF
from cococonv.errors import DataError
from cococonv.images import with_safe_image_name
from cococonv.model import (Annotation, Bbox, Caption, Ellipse, Item, KeypointSchema, Label,
                            Source)
from cococonv.paths import safe_segment, writable
from cococonv.report import Report
from cococonv.tailnames import TailNames, warn_kept_as_data
from cococonv.xmlsafe import fragment_problem

from . import meta as M
from .label_names import one_per_name, report_merged
from .xmlsafe import text as t

# Attributes written as XML attributes (or implied), never as <attribute> children.
_RESERVED = {"occluded"}
_ROTATABLE = (Bbox, Ellipse)


@dataclass(slots=True)
class CvatPlan:
    """One CVAT export run, decided in the parent (forked workers inherit it)."""

    out: str
    save_images: bool
    ext: str | None  # --image-ext with its dot, or None
    names: list[str]  # label names by index
    keypoints: dict[int, KeypointSchema]
    declared: list[dict[str, str]]  # per label: attribute name -> input type
    write_subset: bool  # whether each <image> names its subset
    per_subset_images: bool  # saved images go to images/<subset>/
    head: str  # everything before the first <image>
    tail: str  # kept unknown top-level elements and the closing tag
    items: list[tuple[Item, int]]  # each item with its frame id, in output order
    lost: dict[str, int]  # what planning lost (reported first, merged with the items')

    def file_name(self, item: Item) -> str:
        return image_file_name(item, self.ext)


def image_file_name(item: Item, ext: str | None) -> str:
    """The image name written in the XML (and the saved image's name)."""
    name = item.image.name if item.image is not None else item.id + ".jpg"
    return posixpath.splitext(name)[0] + ext if ext else name


def implied(ann: Annotation, key: str, value: Any) -> bool:
    """Attributes that live in XML attributes or that CVAT implies by the shape kind."""
    if key in _RESERVED:
        return True
    if key == "rotation" and isinstance(ann, _ROTATABLE):
        return True
    # A crowd flag is written (as a checkbox) only when set, so crowd masks survive.
    return key == "is_crowd" and value is False


def make_plan(source: Source, out_dir: str, report: Report, options: dict[str, Any],
              namespaces: Callable[[], frozenset[str]] = frozenset) -> CvatPlan:
    """Plan the export of ``source`` into ``out_dir``: checks the saved images' names
    (``paths.writable``), then one pass for the meta, declarations and frames.
    ``namespaces`` gives the run's extra namespaces (``Context.namespaces``)."""
    ext = options["image_ext"]
    ext = ("." + ext.lstrip(".")) if ext else None
    if options["save_images"]:
        names = _OutputNames(ext, len(_subsets(source)) > 1)
        source = writable(source, report, names.of)
        names.tails.report(report)
    else:
        warn_kept_as_data(source, report)
    planner = _Planner(source, options, ext, namespaces)
    plan = planner.plan(out_dir)
    report_merged(report, planner.merged)
    return plan


class _OutputNames:
    """Where --save-images writes each item's image, for ``paths.writable``: images/, or
    images/<subset>/ when the source has several subsets."""

    def __init__(self, ext: str | None, per_subset: bool):
        self.ext = ext
        self.per_subset = per_subset
        self.tails = TailNames("image name")

    def of(self, item: Item) -> tuple[Item, tuple[str, ...]]:
        image = item.image
        if image is None or not image.has_data:
            return item, ()
        item = with_safe_image_name(item, self.tails)
        folder = f"images/{safe_segment(item.subset, what='subset')}" if self.per_subset \
            else "images"
        return item, (f"{folder}/{image_file_name(item, self.ext)}",)


class _Planner:
    """The decisions made over the whole source: meta, attribute declarations, frames."""

    def __init__(self, source: Source, options: dict[str, Any], ext: str | None,
                 namespaces: Callable[[], frozenset[str]]):
        self.source = source
        self.namespaces = namespaces
        self.opts = options
        self.ext = ext
        self.labels = source.categories.labels
        self.lost: dict[str, int] = {}
        self.merged = 0  # labels declared once for their name (label_names.py)

    def _source_fields(self, item: Item) -> bool:
        """Whether the item keeps its source format's own fields at the top level of
        ``extra`` (COCO's image record keys), or source data in another format's namespace
        (``Plugin.source_fields``): CVAT has no place for them. The rest of a namespace
        (``extra["voc"]``) is that format's to write, not a field of the image."""
        return bool(FF.dropped_fields({k: v for k, v in item.extra.items() if v}, "cvat",
                                      self.namespaces))

    def plan(self, out_dir: str) -> CvatPlan:
        items = list(self.source)  # the one pass; kept for the per-item phase
        sizes: dict[str, int] = {}
        for item in items:
            sizes[item.subset] = sizes.get(item.subset, 0) + 1
        subsets = list(sizes)
        cvat = self.source.meta.get("cvat") or {}
        kept_meta = cvat.get("meta")
        owner_subset = _owner_subset(kept_meta)
        single = subsets[0] if len(subsets) == 1 else None
        if kept_meta is None and len(subsets) <= 1:
            kept_meta = _new_meta(len(items), single)
            owner_subset = single if single and single != "default" else None
        write_subset = len(subsets) > 1 or (
            single is not None and single != (owner_subset or "default"))
        if write_subset:
            # images name their subset: the meta must list it, as a project task
            kept_meta, replaced = M.for_subsets(kept_meta, sizes)
            if replaced:
                self.lost["task meta"] = 1
        declared, added = self._declarations(items)
        frames = self._frames(items)
        self.lost["image ids and fields"] = sum(1 for item in items if item.image_id is not None
                                                or set(item.attributes) - {"frame"}
                                                or self._source_fields(item))
        fields: dict[str, int] = {}
        for item in items:
            # fields of what CVAT drops whole (captions, classless tags) are no extra loss
            FF.count_dropped([a for a in item.annotations if type(a) is not Caption and not (
                type(a) is Label and a.label is None)], "cvat", self.namespaces, fields)
        for name, count in fields.items():
            self.lost[FF.what(name)] = count
        head = ['<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n',
                f"  <version>{t(cvat.get('version') or '1.1')}</version>\n", "  <meta>\n"]
        M.write_nodes(M.with_labels_marker(kept_meta), 2, head, self._labels_xml(added))
        head.append("  </meta>\n")
        tail = "".join(f"  {raw}\n" for raw in cvat.get("unknown") or []) + "</annotations>\n"
        cats = self.source.categories
        return CvatPlan(out_dir, self.opts["save_images"], self.ext,
                        [label.name for label in self.labels], cats.keypoints, declared,
                        write_subset, len(subsets) > 1, "".join(head), tail,
                        list(zip(items, frames)), self.lost)

    def _declarations(self, items: list[Item]) -> tuple[list[dict[str, str]], list[list]]:
        """Declared attribute types per label, plus declarations to add for undeclared ones."""
        labels = self.labels
        declared: list[dict[str, str]] = []
        for label in labels:
            fields = (label.extra.get("cvat") or {}).get("fields")
            types = {s.get("name", ""): s.get("input_type", "") for s in
                     M.attribute_specs(fields)}
            for name in label.attributes:
                types.setdefault(name, "")
            declared.append(types)
        seen: list[dict[str, list[Any]]] = [{} for _ in labels]
        for item in items:
            for ann in item.annotations:
                if ann.label is None or not ann.attributes:
                    continue
                types = declared[ann.label]
                for key, value in ann.attributes.items():
                    if key in types or implied(ann, key, value):
                        continue
                    seen[ann.label].setdefault(key, []).append(value)
        added: list[list] = [[] for _ in labels]
        if self.opts["allow_undeclared_attributes"]:
            for index, found in enumerate(seen):
                for key, values in found.items():
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

    def _labels_xml(self, added: list[list]) -> str:
        cats = self.source.categories
        kept = [(i, label) for i, label in enumerate(cats.labels)
                if not label.placeholder]
        kept, self.merged = one_per_name(kept, added)
        body = [M.label_xml(label, cats.colormap.get(i), cats.keypoints.get(i), added[i])
                for i, label in kept]
        if fragment_problem("".join(body)) is not None:
            for (_i, label), piece in zip(kept, body):
                problem = fragment_problem(piece)
                if problem:  # no item to skip: the label list is one for all images
                    raise DataError(problem, where=f"label {label.name!r}")
        return "      <labels>\n" + "".join(body) + "      </labels>\n"

    def _frames(self, items: list[Item]) -> list[int]:
        """The source's frame ids, or new ones from past the largest where one is missing
        or clashes (or 0..N-1 with --reindex)."""
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
        next_frame = max((f for _s, f in used), default=-1) + 1
        seen: set[tuple[str, int]] = set()
        out = []
        for item, frame in zip(items, frames):
            if type(frame) is not int or frame < 0 or (item.subset, frame) in seen:
                frame = next_frame
                next_frame += 1
            seen.add((item.subset, frame))
            out.append(frame)
        return out


def _subsets(source: Source) -> list[str]:
    seen: dict[str, None] = {}
    for item in source:
        seen.setdefault(item.subset, None)
    return list(seen)


def _owner_subset(nodes: list | None) -> str | None:
    for tag in ("task", "job"):
        found = M.text_of(nodes, tag, "subset")
        if found and found.strip():
            return found.strip()
    return None


def _new_meta(size: int, subset: str | None) -> list:
    task: list = [["size", str(size)], ["mode", "annotation"]]
    if subset and subset != "default":
        task.append(["subset", subset])
    task.append(["labels", None])
    return [["task", task]]


def _declared_names(nodes: list[list]) -> set[str | None]:
    return {M.text_of(node[1], "name") for node in nodes}


def _input_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "checkbox"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"
