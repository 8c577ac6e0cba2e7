"""SA-1B exporter: one ``<id>.json`` per item with its image beside it, written as items come.

The plan holds no item: the per-item phase walks the source once (``plan_items``), each
item's output names checked as it comes (``paths.iter_writable``), so an SA -> SA run of any
size holds one file's values at a time. ``finish`` only adds up the items' tallies.
"""
from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from cococonv import export_options as shared
from cococonv import foreign_fields
from cococonv.context import Context
from cococonv.images import normalise_ext, with_ext
from cococonv.model import Item, Source
from cococonv.paths import iter_writable, safe_relpath, safe_segment
from cococonv.plugin import Exporter
from cococonv.report import replay_tally

from .export_item import TALLY, write_item
from .fields import NAMESPACE
from .layout import SPLIT_FOLDERS


@dataclass(slots=True)
class SaPlan:
    """One export run, decided in the parent (forked workers inherit it)."""

    out: str
    per_subset: bool  # files go to <subset>/
    save_images: bool
    image_ext: str | None
    assigned: list[bool]  # by label index: the class our importer gave (no data's class)
    namespaces: frozenset[str]

    def paths(self, item: Item) -> tuple[str, str, str, bool]:
        """The item's JSON and image (relative to the output), the image's ``file_name``,
        and whether that name drops a folder of the image's name."""
        prefix = f"{item.subset}/" if self.per_subset else ""
        folder = posixpath.dirname(item.id)
        name = item.image.name if item.image is not None else \
            posixpath.basename(item.id) + ".jpg"
        name = with_ext(name, self.image_ext).replace("\\", "/")
        file_name = posixpath.basename(name)
        image_rel = f"{prefix}{folder}/{file_name}" if folder else prefix + file_name
        return f"{prefix}{item.id}.json", image_rel, file_name, \
            posixpath.dirname(name) != folder


class SegmentAnythingExporter(Exporter):
    """Segment Anything (SA-1B): one <id>.json per image, its image beside it.

    Every object (a group, or one source record) becomes one annotation: its masks,
    polygons and ellipses one compressed RLE, with its box and area (as the source declared
    them, else measured). SAM's predicted_iou, stability_score, point_coords and crop_box
    are written when the source had them (an SA-1B input). Classes, boxes without a mask,
    keypoints, lines, captions and attributes cannot be held and are reported.
    """

    name = "segment_anything"
    namespace = NAMESPACE
    streams = True  # one walk, each item's names checked as it comes (iter_writable)
    options = (
        shared.save_images("the item's folder, beside its JSON file, named as its "
                           "file_name says"),
        shared.image_ext(),
    )
    item_function = write_item
    supercategory_loss = "SA-1B has no label list"

    def plan(self, source: Source, out_dir: str, ctx: Context, *, save_images: bool,
             image_ext: str | None) -> SaPlan:
        subsets = getattr(source, "subsets", None)
        if subsets is None:
            subsets = list(dict.fromkeys(item.subset for item in source))
        per_subset = set(subsets) not in ({"default"}, set())
        labels = source.categories.labels
        if per_subset:
            unread = [s for s in subsets if s.lower() not in SPLIT_FOLDERS]
            ctx.report.lost("subsets", "only folders named like a split (train, val, test, "
                            "default) read back as subsets", len(unread))
        ctx.report.lost("labels", "SA-1B has no label list", sum(
            1 for label in labels if not label.placeholder and not _assigned(label)))
        ctx.report.lost("keypoint skeletons", "SA-1B has no keypoints", sum(
            1 for schema in source.categories.keypoints.values()
            if schema.names or schema.skeleton))  # COCO's "keypoints": [] holds nothing
        plan = SaPlan(out_dir, per_subset, save_images, normalise_ext(image_ext),
                      [_assigned(label) for label in labels], ctx.namespaces)
        # the walk plan_items hands the engine: kept here, not in the plan workers get
        self._items = enumerate(iter_writable(source, ctx.report, partial(_owned, plan)),
                                start=1)
        return plan

    def plan_items(self, plan: SaPlan, source: Source) -> Iterator[tuple[int, Item]]:
        """The items with their place (the image id of an item without one), each one's
        output names checked as it comes: nothing is held."""
        return self._items

    def finish(self, plan: SaPlan, results: Iterable[dict[str, int]], ctx: Context) -> None:
        total: Counter[str] = Counter()
        for tally in results:
            total.update(tally)
        rows = {code: TALLY.get(code) or ("lost", foreign_fields.what(code[len("field:"):]),
                                          "SA-1B annotations hold only their own keys")
                for code in total}
        replay_tally(ctx.report, total, rows)


def _assigned(label: Any) -> bool:
    return bool((label.extra.get(NAMESPACE) or {}).get("assigned"))


def _owned(plan: SaPlan, item: Item) -> tuple[Item, list[str]]:
    """The output paths an item writes, checked (``paths.iter_writable``)."""
    if plan.per_subset:
        safe_segment(item.subset, what="subset")
    json_rel, image_rel, _name, _renamed = plan.paths(item)
    owned = [safe_relpath(json_rel, what="item id")]
    if plan.save_images and item.image is not None and item.image.has_data:
        owned.append(safe_relpath(image_rel, what="image file name"))
    return item, owned
