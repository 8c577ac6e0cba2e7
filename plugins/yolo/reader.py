"""One YOLO read: the layout, then every label file parsed and every image size read
(from the meta file, the image header, or ``--image-size``) on the run's workers."""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Any

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.images import probe_size
from cococonv.model import (Bbox, Categories, Dataset, Image, Item, KeypointSchema,
                            LabelCategory, Points, Polygon)
from cococonv.sources import Tree

from .layout import Entry, Layout, find_layout
from .lines import LabelLine, parse_file

NAMESPACE = "yolo"
#: The largest label file read (a million objects of 20 points still fit).
MAX_LABEL_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class ReadPlan:
    tree: Tree
    names: int | None
    kpt_shape: tuple[int, int] | None
    sizes: dict[tuple[str, str], tuple[int, int]]
    image_size: tuple[int, int] | None  # (height, width) from --image-size


def read_entry(plan: ReadPlan, job: tuple[str, Entry]) -> tuple[Any, ...]:
    """One item's objects (normalised), read errors and image size: runs in workers."""
    subset, entry = job
    tree = plan.tree
    size = plan.sizes.get((subset, entry.id))
    image = None
    if entry.image is not None:
        image = Image(name=entry.image)
        tree.bind_image(image, entry.image)
        if size is None:
            size = probe_size(image)
    if size is None:
        size = plan.image_size
    lines: list[LabelLine] = []
    errors: list[DataError] = []
    if entry.label is not None:
        display = tree.display(entry.label)
        try:
            local = tree.local_path(entry.label)
            if local is not None and os.path.getsize(local) > MAX_LABEL_BYTES:
                raise DataError(f"more than {MAX_LABEL_BYTES} bytes, too large for a label "
                                f"file", file=display)
            lines, errors = parse_file(tree.read_bytes(entry.label), display, plan.names,
                                       plan.kpt_shape)
        except DataError as err:
            errors = [err]
    return size, lines, errors


def parse_image_size(text: str | None) -> tuple[int, int] | None:
    """``--image-size WxH`` as (height, width)."""
    if not text:
        return None
    from cococonv.errors import OptionError
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise OptionError(f"--image-size: {text!r} is not WIDTHxHEIGHT (e.g. 640x480)") \
            from None
    if not (0 < width <= 1 << 20 and 0 < height <= 1 << 20):
        raise OptionError(f"--image-size: {text!r} is out of range")
    return height, width


class YoloReader:
    def __init__(self, tree: Tree, ctx: Context, image_size: tuple[int, int] | None,
                 yaml_rel: str | None = None):
        self.tree, self.ctx, self.image_size = tree, ctx, image_size
        self.yaml_rel = yaml_rel  # the dataset YAML the user named, if any

    def read(self) -> Dataset:
        layout = find_layout(self.tree, self.yaml_rel)
        for message in layout.warnings:
            self.ctx.report.warn(message)
        sizes = _meta_sizes(layout)
        _meta_order(layout)
        plan = ReadPlan(self.tree, len(layout.names) if layout.names is not None else None,
                        layout.kpt_shape, sizes, self.image_size)
        jobs = [(subset, entry) for subset, entries in layout.splits.items()
                for entry in entries]
        results = list(self.ctx.map(read_entry, plan, self.ctx.progress(
            jobs, total=len(jobs), desc="labels")))
        if layout.names is None:
            top = max((line.cls for _, lines, _ in results for line in lines), default=-1)
            layout.names = [f"class_{k}" for k in range(top + 1)]
        dataset = Dataset(_categories(layout), meta={NAMESPACE: {"task": _task(layout)}})
        for (subset, entry), (size, lines, errors) in zip(jobs, results):
            for err in errors:
                self.ctx.report.bad_record(err)
            self._add(dataset, layout, subset, entry, size, lines)
        return dataset

    def _add(self, dataset: Dataset, layout: Layout, subset: str, entry: Entry,
             size: tuple[int, int] | None, lines: list[LabelLine]) -> None:
        record = (layout.meta.images.get(subset, {}).get(entry.id, {})
                  if layout.meta else {})
        name = record.get("file") if isinstance(record.get("file"), str) else None
        if name is None:
            ext = posixpath.splitext(entry.image)[1] if entry.image else ".jpg"
            name = entry.id + ext
        image = Image(name=name, size=size)
        if entry.image is not None:
            self.tree.bind_image(image, entry.image)
        item = Item(id=entry.id, subset=subset, image=image)
        if type(record.get("image_id")) in (int, str):
            item.image_id = record["image_id"]
        if entry.label is None:
            item.extra[NAMESPACE] = {"unlabelled": True}
        if lines and size is None:
            self.ctx.report.bad_record(DataError(
                "no image to read the size from, so the normalised coordinates cannot be "
                "turned into pixels; give --image-size WIDTHxHEIGHT",
                file=self.tree.display(entry.label or entry.id)))
            lines = []
        if size is not None:
            boxes = record.get("boxes")
            boxes = set(boxes) if isinstance(boxes, list) else set()
            groups = record.get("groups")
            if not (isinstance(groups, list) and len(groups) == len(lines) and
                    all(type(g) is int and g >= 0 for g in groups)):
                groups = [0] * len(lines)
            item.annotations = _annotations(lines, size, layout.kpt_shape, self.ctx, boxes,
                                            groups)
        try:
            dataset.add(item)
        except KeyError:
            raise DataError(f"two images of subset {subset!r} give item id {entry.id!r}",
                            file=self.tree.display(entry.image or entry.label or "")) \
                from None


def _meta_order(layout: Layout) -> None:
    """Items in the order the meta file lists them (the source's order: the folders give
    them sorted by name); items it does not list come after, as found."""
    if layout.meta is None:
        return
    for subset, entries in layout.splits.items():
        order = {item_id: k for k, item_id in enumerate(layout.meta.images.get(subset, {}))}
        if order:
            entries.sort(key=lambda e: order.get(e.id, len(order)))


def _meta_sizes(layout: Layout) -> dict[tuple[str, str], tuple[int, int]]:
    sizes = {}
    if layout.meta is not None:
        for subset, records in layout.meta.images.items():
            for item_id, record in records.items():
                size = record.get("size")
                if size:
                    sizes[(subset, item_id)] = (size[0], size[1])
    return sizes


def _task(layout: Layout) -> str:
    if layout.meta is not None and layout.meta.task:
        return layout.meta.task
    return "pose" if layout.kpt_shape is not None else ""


def _categories(layout: Layout) -> Categories:
    categories = Categories()
    names = layout.names or []
    meta = layout.meta
    classes = meta.classes if meta is not None and len(meta.classes) == len(names) else []
    for index, name in enumerate(names):
        record = classes[index] if classes else {}
        parent = record.get("supercategory")
        categories.labels.append(LabelCategory(
            name, parent if isinstance(parent, str) else "", record.get("id")))
    if meta is not None and meta.keypoints:
        for index, schema in meta.keypoints.items():
            if 0 <= index < len(names):
                categories.keypoints[index] = KeypointSchema(list(schema["names"]),
                                                             [list(e) for e in
                                                              schema["skeleton"]])
    elif layout.kpt_shape is not None:
        for index in range(len(names)):
            given = layout.keypoint_names.get(index, [])  # Label Studio's notes.json
            categories.keypoints[index] = KeypointSchema(
                given + [str(k + 1) for k in range(len(given), layout.kpt_shape[0])], [])
    return categories


def _annotations(lines: list[LabelLine], size: tuple[int, int],
                 kpt_shape: tuple[int, int] | None, ctx: Context,
                 boxes: set[int], groups: list[int]) -> list:
    """The model annotations of a file's lines; ``boxes`` numbers the lines (from 0) the
    meta file says were boxes written as 4-corner polygons (segment task), ``groups``
    gives each line's object group (the meta file's, else 0)."""
    height, width = size
    out: list = []
    group = max(groups, default=0)  # pose lines without one get groups above these
    for index, line in enumerate(lines):
        attributes = {"score": line.score} if line.score is not None else {}
        if line.kind == "polygon":
            values = line.values
            points = values[:]
            points[0::2] = [x * width for x in values[0::2]]
            points[1::2] = [y * height for y in values[1::2]]
            if index in boxes and len(points) == 8:
                x0, y0 = min(points[0::2]), min(points[1::2])
                out.append(Bbox(label=line.cls, x=x0, y=y0, w=max(points[0::2]) - x0,
                                h=max(points[1::2]) - y0, attributes=attributes,
                                group=groups[index]))
                continue
            out.append(Polygon(label=line.cls, points=points, attributes=attributes,
                               group=groups[index]))
            continue
        cx, cy, w, h = line.values
        box = Bbox(label=line.cls, x=(cx - w / 2) * width, y=(cy - h / 2) * height,
                   w=w * width, h=h * height, attributes=attributes, group=groups[index])
        points = _keypoints(line.keypoints, kpt_shape, size, ctx) if line.keypoints else None
        if points is not None:
            if not groups[index]:
                group += 1
            box.group = points.group = groups[index] or group
            points.label = line.cls
            out += [box, points]
        else:
            out.append(box)
    return out


def _keypoints(values: list[float], kpt_shape: Any, size: tuple[int, int],
               ctx: Context) -> Points | None:
    """The pose line's keypoints; None when every value is 0 (a box without points)."""
    if not any(values):
        return None
    height, width = size
    dims = kpt_shape[1]
    points: list[float] = []
    visibility: list[int] = []
    fractional = 0
    for k in range(0, len(values), dims):
        x, y = values[k], values[k + 1]
        points += (x * width, y * height)
        if dims == 2:
            visibility.append(0 if x == 0 and y == 0 else 2)
            continue
        v = values[k + 2]
        if v in (0, 1, 2):
            visibility.append(int(v))
        else:
            fractional += 1
            visibility.append(2 if v >= 0.5 else 1)
    ctx.report.approximated("keypoints", "confidences read as visibility (2 from 0.5, "
                            "else 1)", fractional)
    return Points(points=points, visibility=visibility)
