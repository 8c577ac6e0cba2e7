"""Label Studio exporter: tasks Label Studio imports (one ``<subset>.json`` per subset)
and the ``labeling_config.xml`` that shows every region, label and attribute they hold."""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cococonv import export_options as shared
from cococonv import foreign_fields as FF
from cococonv.context import Context
from cococonv.fileio import write_bytes
from cococonv.images import normalise_ext, save_images, with_safe_image_name
from cococonv.model import Dataset, Item, Source
from cococonv.paths import join_inside, safe_relpath, safe_segment, writable
from cococonv.plugin import Exporter, Option
from cococonv.tailnames import TailNames

from .config import write_config
from .images import is_saved, saved_rel
from .reader import NAMESPACE
from .writer import TaskPiece, write_task

CONFIG_NAME = "labeling_config.xml"

OPTIONS = (
    Option("image_prefix", str, "", "Put this before every image name in data.image, e.g. "
           "/data/local-files/?d=images/ for Label Studio's local file storage (with "
           "--save-images: /data/local-files/?d=, the copies' images/ path follows)."),
    shared.save_images("images/ beside the task files, where data.image then points"),
    shared.image_ext(),
)


@dataclass
class TaskPlan:
    out: str
    labels: list[str]
    image_prefix: str
    config_labels: list[str] = field(default_factory=list)  # placeholders left out
    save_images: bool = False
    image_ext: str | None = None  # --image-ext, normalised (.png)
    items: list[Item] | None = None  # with --save-images: the items, image names checked


class LabelStudioExporter(Exporter):
    """Label Studio JSON tasks (one file per subset) plus a generated labeling config.

    Boxes (rotated too), polygons, keypoints (one region per point), ellipses, masks as
    brush RLE, image labels as choices, captions as a textarea; attributes as per-region
    controls, groups as parentID, annotators and predictions as their own records.
    """

    name = "label_studio"
    namespace = NAMESPACE
    options = OPTIONS
    single_file_suffixes = ()
    item_function = write_task
    supercategory_loss = "Label Studio labels have no supercategory"

    def plan(self, source: Source, out_dir: str, ctx: Context, *, image_prefix: str,
             save_images: bool = False, image_ext: str | None = None) -> TaskPlan:
        labels = [label.name for label in source.categories.labels]
        schemas = sum(1 for schema in source.categories.keypoints.values()
                      if schema.names or schema.skeleton)
        ctx.report.lost("keypoint skeletons", "Label Studio keypoints have no schema",
                        schemas)
        plan = TaskPlan(out_dir, labels, image_prefix, save_images=save_images,
                        image_ext=normalise_ext(image_ext))
        plan.config_labels = [label.name for label in source.categories.labels
                              if not label.placeholder]
        if save_images:
            plan.items = _with_image_paths(source, plan, ctx)
        return plan

    def finish(self, plan: TaskPlan, results: Iterable[TaskPiece], ctx: Context) -> None:
        by_subset: dict[str, list[bytes]] = {}
        lost: Counter = Counter()
        approximated: Counter = Counter()
        kinds: set[str] = set()
        attributes: dict[str, str] = {}
        tags: set[str] = set()
        captions: set[str] = set()
        outlines: dict[str, Counter[str]] = {"image": Counter(), "annotation": Counter()}
        for number, piece in enumerate(results, 1):
            data = piece.data
            if not piece.has_id:  # tasks from other formats: numbered in output order
                data = b'{"id":%d,' % number + data[1:] if data != b"{}" else data
            by_subset.setdefault(piece.subset, []).append(data)
            lost.update(piece.lost)
            approximated.update(piece.approximated)
            kinds |= piece.kinds
            for name, kind in piece.attributes.items():
                attributes.setdefault(name, kind)
            tags |= piece.tags
            captions |= piece.captions
            for (of, name), count in piece.fields.items():
                outlines[of][name] += count
        os.makedirs(plan.out, exist_ok=True)
        for subset in by_subset or {"default": []}:
            name = safe_segment(subset, what="subset") + ".json"
            body = b",\n".join(by_subset.get(subset, []))
            write_bytes(join_inside(plan.out, name, what="subset"),
                        b"[\n" + body + b"\n]\n" if body else b"[]\n")
        config = write_config(plan.config_labels, kinds, attributes, tags=tags, captions=captions)
        write_bytes(os.path.join(plan.out, CONFIG_NAME), config.encode("utf-8"))
        for (what, why), count in lost.items():
            ctx.report.lost(what, why, count)
        for of, counted in outlines.items():
            fields: dict[str, int] = {}
            FF.settle(counted, lambda: ctx.namespaces, fields)
            for name, count in fields.items():
                ctx.report.lost(FF.what(name, of), "a Label Studio task has no place for them",
                                count)
        for (what, how), count in approximated.items():
            ctx.report.approximated(what, how, count)
        if plan.items is not None:
            save_images(plan.items, plan.out, lambda item: saved_rel(plan, item), ctx.report,
                        ext=plan.image_ext)


def _with_image_paths(source: Source, plan: TaskPlan, ctx: Context) -> list[Item]:
    """The items whose saved images have writable, distinct paths (``paths.writable``: an
    item whose name cannot be written, or that another's image takes, is a bad record);
    an escaping name (``../x.jpg``) is saved by its tail, with one warning."""
    tails = TailNames("image name")

    def prepare(item: Item) -> tuple[Item, list[str]]:
        item = with_safe_image_name(item, tails)
        owned = [safe_relpath(saved_rel(plan, item), what="image file name")] \
            if is_saved(plan, item) else []
        return item, owned

    items = list(writable(Dataset(source.categories, list(source), source.meta), ctx.report,
                          prepare))
    tails.report(ctx.report)
    return items
