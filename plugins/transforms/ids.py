"""Transforms that renumber or rename identifiers: image and annotation ids, category ids,
item ids taken from image file names."""
from __future__ import annotations

import posixpath
from typing import Any

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import SOURCE_ID, Dataset, Item
from cococonv.plugin import Option, Transform

_WHAT = ("images", "annotations", "categories")


class ReindexTransform(Transform):
    """Renumber image, annotation and category ids from --start, in input order.

    Image ids (``Item.image_id``, what COCO writes as image ids) restart per subset, and
    so do annotation ids; category ids run over the labels. Item ids (file names) never
    change. ``--what`` picks which of the three are renumbered; ``--keep-source-ids``
    keeps each renumbered id's previous value as ``source_id``: an attribute of the item or
    annotation, a kept field of the label (COCO writes it in the image, annotation and
    category records).
    """

    name = "reindex"
    options = (Option("what", list, [], "Which ids to renumber, comma-separated: images, "
                      "annotations, categories; none given: all three.", _WHAT),
               Option("start", int, 1, "First id."),
               Option("keep_source_ids", bool, False, "Keep each renumbered image's, "
                      f"annotation's and category's previous id as {SOURCE_ID!r} (COCO "
                      "writes it in its records; other formats where they keep "
                      "attributes)."))

    def apply(self, dataset: Dataset, ctx: Context, *, what: list[str], start: int,
              keep_source_ids: bool) -> Dataset:
        chosen = set(what or _WHAT)
        changed = {"image ids": 0, "annotation ids": 0, "category ids": 0}
        counters: dict[str, list[int]] = {}
        for item in dataset:
            image_next, ann_next = counters.setdefault(item.subset, [start, start])
            if "images" in chosen:
                changed["image ids"] += _renumber(item, "image_id", image_next,
                                                  item.attributes if keep_source_ids else None)
                image_next += 1
            if "annotations" in chosen:
                for ann in item.annotations:
                    changed["annotation ids"] += _renumber(
                        ann, "id", ann_next, ann.attributes if keep_source_ids else None)
                    ann_next += 1
            counters[item.subset] = [image_next, ann_next]
        if "categories" in chosen:
            for index, label in enumerate(dataset.categories.labels):
                changed["category ids"] += _renumber(label, "id", start + index,
                                                     label.extra if keep_source_ids else None)
        for what_changed, count in changed.items():
            ctx.report.approximated(what_changed, f"renumbered from {start} (reindex)", count)
        return dataset


def _renumber(owner: Any, field: str, new: int, keep_in: dict[str, Any] | None) -> int:
    """Set ``owner.field`` to ``new``; 1 when that changed it (the old value kept in
    ``keep_in`` when given), else 0."""
    old = getattr(owner, field)
    if old == new and type(old) is int:
        return 0
    if keep_in is not None and old is not None:
        keep_in.setdefault(SOURCE_ID, old)
    setattr(owner, field, new)
    return 1


class CategoryIdsTransform(Transform):
    """Choose the category ids: keep the source's, compact them, or number labels from 0 or 1.

    ``keep`` gives labels without an id (from VOC, CVAT) the next free ones; ``compact``
    closes the gaps between ids, keeping their order and the lowest id; ``zero-based`` and
    ``one-based`` number the labels in their order. Every mode but ``keep`` drops the
    placeholder labels that only filled gaps (COCO ``--keep-original-category-ids``).
    """

    name = "category_ids"
    options = (Option("category_ids", str, "compact", "keep, compact, zero-based or "
                      "one-based.", ("keep", "compact", "zero-based", "one-based")),)

    def apply(self, dataset: Dataset, ctx: Context, *, category_ids: str) -> Dataset:
        categories = dataset.categories
        if category_ids != "keep":
            _drop_placeholders(dataset, ctx)
        labels = categories.labels
        old = [label.id for label in labels]
        if category_ids == "keep":
            taken = [v for v in old if type(v) is int]
            following = max(taken, default=0) + 1
            for label in labels:
                if label.id is None:
                    label.id, following = following, following + 1
        elif category_ids == "compact":
            numbered = [k for k, label in enumerate(labels) if type(label.id) is int]
            rest = [k for k, label in enumerate(labels) if type(label.id) is not int]
            first = min((labels[k].id for k in numbered), default=1)
            order = sorted(numbered, key=lambda k: labels[k].id) + rest
            for offset, k in enumerate(order):
                labels[k].id = first + offset
        else:
            first = 0 if category_ids == "zero-based" else 1
            for offset, label in enumerate(labels):
                label.id = first + offset
        changed = sum(1 for before, label in zip(old, labels) if before != label.id)
        ctx.report.approximated("category ids", f"renumbered ({category_ids})", changed)
        return dataset


def _drop_placeholders(dataset: Dataset, ctx: Context) -> None:
    """Remove placeholder labels no annotation uses, renumbering the label indices."""
    categories = dataset.categories
    used = {ann.label for item in dataset for ann in item.annotations}
    keep = [k for k, label in enumerate(categories.labels)
            if not label.placeholder or k in used]
    if len(keep) == len(categories.labels):
        return
    dropped = len(categories.labels) - len(keep)
    remap = {old: new for new, old in enumerate(keep)}
    categories.labels = [categories.labels[k] for k in keep]
    categories.keypoints = {remap[k]: v for k, v in categories.keypoints.items() if k in remap}
    categories.colormap = {remap[k]: v for k, v in categories.colormap.items() if k in remap}
    for item in dataset:
        for ann in item.annotations:
            if ann.label is not None:
                ann.label = remap[ann.label]
    ctx.report.approximated("placeholder labels (gaps between category ids)",
                            "dropped (category_ids)", dropped)


class IdFromImageNameTransform(Transform):
    """Make each item's id its image file name without the extension (folders kept).

    An item without an image, or whose name another item of its subset already has, keeps
    its id and is counted.
    """

    name = "id_from_image_name"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        items: list[Item] = list(dataset)
        wanted: dict[tuple[str, str], int] = {}
        for item in items:
            if item.image is not None and item.image.name:
                key = (item.subset, posixpath.splitext(item.image.name)[0])
                wanted[key] = wanted.get(key, 0) + 1
        renamed = clashed = nameless = 0
        for item in items:
            if item.image is None or not item.image.name:
                nameless += 1
                continue
            new_id = posixpath.splitext(item.image.name)[0]
            if wanted[(item.subset, new_id)] > 1:
                clashed += 1
            elif new_id != item.id:
                item.id = new_id
                renamed += 1
        taken: set[tuple[str, str]] = set()
        for item in items:  # an id kept may be the new id of another item: refuse
            if (item.subset, item.id) in taken:
                raise _clash(item)
            taken.add((item.subset, item.id))
        dataset.replace_items(items)
        report = ctx.report
        report.approximated("item ids", "taken from image file names (id_from_image_name)",
                            renamed)
        report.lost("item ids from image names", "another item of the subset has that "
                    "image name: id kept", clashed)
        report.lost("item ids from image names", "item has no image: id kept", nameless)
        return dataset


def _clash(item: Item) -> DataError:
    return DataError(f"id_from_image_name: two items of subset {item.subset!r} would both "
                     f"be {item.id!r}", file=item.id)
