"""One YOLO read: the layout, then every label file parsed and every image size read
(from the meta file, the image header, or ``--image-size``) on the run's workers."""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Any, BinaryIO

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.fileio import paused_gc
from cococonv.images import probe_size
from cococonv.model import Categories, Dataset, Image, Item, KeypointSchema, LabelCategory
from cococonv.raster.speedups import fasttext
from cococonv.sources import Tree

from .layout import Entry, Layout, find_layout
from .lines import LabelLine, parse_file
from .names import MAX_CLASSES
from .objects import annotations, row_annotations

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


#: A label file's objects as ``read_entry`` returns them: the Python parser's lines, or
#: the compiled parser's rows and packed pixel coordinates (small to send back from a
#: worker: one bytes object instead of a float object per value).
Parsed = list[LabelLine] | tuple[list[tuple[int, bool, float | None, int]], bytes]


def read_entry(plan: ReadPlan, job: tuple[str, Entry]) -> tuple[Any, ...]:
    """One item's image size, objects and read errors: runs in workers. Box and polygon
    files of a sized image take the compiled parser, in pixels already; anything it
    refuses (an error to name, pose lines, unusual text) the Python one."""
    subset, entry = job
    tree = plan.tree
    size = plan.sizes.get((subset, entry.id))
    if entry.image is not None and size is None:
        image = Image(name=entry.image)
        tree.bind_image(image, entry.image)
        size = probe_size(image)
    if size is None:
        size = plan.image_size
    parsed: Parsed = []
    errors: list[DataError] = []
    if entry.label is not None:
        display = tree.display(entry.label)
        try:
            with tree.open(entry.label) as fh:
                data = _label_bytes(fh, display)
            fast = fasttext() if size is not None and plan.kpt_shape is None else None
            rows = fast.labels(data, -1 if plan.names is None else plan.names, MAX_CLASSES,
                               size[1], size[0]) if fast is not None else None  # type: ignore[index]
            if rows is not None:
                parsed = rows
            else:
                parsed, errors = parse_file(data, display, plan.names, plan.kpt_shape)
        except DataError as err:
            errors = [err]
    return size, parsed, errors


def _label_bytes(fh: BinaryIO, display: str) -> bytes:
    """The open label file's bytes, at most MAX_LABEL_BYTES (its size from fstat where it
    is a file on disk, else from the bytes read)."""
    try:
        known: int | None = os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # an archive member: no descriptor
        known = None
    if known is not None and known > MAX_LABEL_BYTES:
        data = b""
    else:  # read(n) allocates n bytes at once: n from fstat where there is one
        data = fh.read((MAX_LABEL_BYTES if known is None else known) + 1)
    if (known or 0) > MAX_LABEL_BYTES or len(data) > MAX_LABEL_BYTES:
        raise DataError(f"more than {MAX_LABEL_BYTES} bytes, too large for a label file",
                        file=display)
    return data


def _top_class(parsed: Parsed) -> int:
    """The largest class index of a file's objects (-1 for none)."""
    if type(parsed) is tuple:
        return max((row[0] for row in parsed[0]), default=-1)
    return max((line.cls for line in parsed), default=-1)  # type: ignore[union-attr]


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
        results = self.ctx.map(read_entry, plan, self.ctx.progress(
            jobs, total=len(jobs), desc="labels"))
        dataset = Dataset(meta={NAMESPACE: {"task": _task(layout)}})
        top = -1  # the largest class index, for the class list when no names are given
        # built as the workers' results come in, so the parent's part overlaps theirs; the
        # model is many small acyclic objects (three full collections cost 0.2 s at 5,000
        # images), so the collector waits, as for COCO's reader
        with paused_gc():
            for (subset, entry), (size, parsed, errors) in zip(jobs, results):
                for err in errors:
                    self.ctx.report.bad_record(err)
                if layout.names is None:
                    top = max(top, _top_class(parsed))
                self._add(dataset, layout, subset, entry, size, parsed)
        if layout.names is None:
            layout.names = [f"class_{k}" for k in range(top + 1)]
        dataset.categories = _categories(layout)
        return dataset

    def _add(self, dataset: Dataset, layout: Layout, subset: str, entry: Entry,
             size: tuple[int, int] | None, parsed: Parsed) -> None:
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
        fast = type(parsed) is tuple
        count = len(parsed[0]) if fast else len(parsed)
        if count and size is None:
            self.ctx.report.bad_record(DataError(
                "no image to read the size from, so the normalised coordinates cannot be "
                "turned into pixels; give --image-size WIDTHxHEIGHT",
                file=self.tree.display(entry.label or entry.id)))
            count = 0
        if size is not None:
            boxes = record.get("boxes")
            boxes = set(boxes) if isinstance(boxes, list) else set()
            groups = record.get("groups")
            if not (isinstance(groups, list) and len(groups) == count and
                    all(type(g) is int and g >= 0 for g in groups)):
                groups = [0] * count
            if fast:
                item.annotations = row_annotations(parsed[0], parsed[1], boxes, groups)
            else:
                item.annotations = annotations(parsed, size, layout.kpt_shape, self.ctx,
                                               boxes, groups)
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
