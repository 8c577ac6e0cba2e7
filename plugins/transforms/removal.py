"""Transforms that remove things: annotations chosen by selectors, attributes by name, and
items left without annotations. Everything removed is counted in the report."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from cococonv.context import Context
from cococonv.model import ANNOTATION_KINDS, Annotation, Dataset, Item
from cococonv.plugin import Option, Transform

from .common import check_known, label_indices

_KINDS = tuple(kind.kind for kind in ANNOTATION_KINDS)


def _selectors() -> tuple[Option, ...]:
    return (Option("labels", list, [], "Only annotations of these labels."),
            Option("kinds", list, [], "Only annotations of these kinds.", _KINDS),
            Option("annotation_ids", list, [], "Only annotations of these ids."),
            Option("item_ids", list, [], "Only in these items, as subset:id (or id, in "
                   "any subset)."))


def _selector(dataset: Dataset, transform: str, labels: list[str], kinds: list[str],
              annotation_ids: list[str], item_ids: list[str]
              ) -> tuple[Callable[[Item], bool], Callable[[Annotation], bool]]:
    """Which items, and which of their annotations, the selector options choose (every
    option given must match; none given: all)."""
    chosen_labels = label_indices(dataset.categories, labels, transform) if labels else None
    chosen_kinds = set(kinds)
    chosen_ids = set(annotation_ids)
    in_subset = {tuple(entry.split(":", 1)) for entry in item_ids if ":" in entry}
    anywhere = {entry for entry in item_ids if ":" not in entry}
    if item_ids:
        present = {(item.subset, item.id) for item in dataset}
        check_known([":".join(key) for key in in_subset],
                    [":".join(key) for key in present], "item", transform)
        check_known(anywhere, [key[1] for key in present], "item", transform)

    def item_chosen(item: Item) -> bool:
        return not item_ids or item.id in anywhere or (item.subset, item.id) in in_subset

    def annotation_chosen(ann: Annotation) -> bool:
        return ((chosen_labels is None or ann.label in chosen_labels)
                and (not chosen_kinds or type(ann).kind in chosen_kinds)
                and (not chosen_ids or str(ann.id) in chosen_ids))

    return item_chosen, annotation_chosen


class RemoveAnnotationsTransform(Transform):
    """Remove annotations chosen by label, kind, annotation id and item (all given must
    match; none given: every annotation), counted by kind in the report."""

    name = "remove_annotations"
    options = _selectors()

    def apply(self, dataset: Dataset, ctx: Context, *, labels: list[str], kinds: list[str],
              annotation_ids: list[str], item_ids: list[str]) -> Dataset:
        item_chosen, chosen = _selector(dataset, self.name, labels, kinds, annotation_ids,
                                        item_ids)
        removed: Counter[str] = Counter()
        for item in dataset:
            if not item_chosen(item):
                continue
            kept = []
            for ann in item.annotations:
                if chosen(ann):
                    removed[type(ann).kind] += 1
                else:
                    kept.append(ann)
            item.annotations = kept
        for kind, count in removed.items():
            ctx.report.lost(f"{kind} annotations", "removed (remove_annotations)", count)
        return dataset


class RemoveAttributesTransform(Transform):
    """Remove attributes by name from annotations (and items), optionally only from the
    annotations the selectors choose; no name given removes every attribute."""

    name = "remove_attributes"
    options = (Option("attributes", list, [], "The attribute names to remove; none given: "
                      "all."),
               Option("from_items", bool, True, "Also remove them from the items' own "
                      "attributes (those of the whole image)."),
               *_selectors())

    def apply(self, dataset: Dataset, ctx: Context, *, attributes: list[str],
              from_items: bool, labels: list[str], kinds: list[str],
              annotation_ids: list[str], item_ids: list[str]) -> Dataset:
        item_chosen, chosen = _selector(dataset, self.name, labels, kinds, annotation_ids,
                                        item_ids)
        names = set(attributes)
        from_annotations: Counter[str] = Counter()
        from_images: Counter[str] = Counter()
        for item in dataset:
            if not item_chosen(item):
                continue
            if from_items:
                _strip(item.attributes, names, from_images)
            for ann in item.annotations:
                if chosen(ann):
                    _strip(ann.attributes, names, from_annotations)
        for name, count in from_annotations.items():
            ctx.report.lost("annotation attributes", f"{name!r} removed (remove_attributes)",
                            count)
        for name, count in from_images.items():
            ctx.report.lost("item attributes", f"{name!r} removed (remove_attributes)", count)
        return dataset


def _strip(attributes: dict, names: set[str], counts: Counter[str]) -> None:
    for name in [key for key in attributes if not names or key in names]:
        del attributes[name]
        counts[name] += 1


class RemoveImagesWithoutAnnotationsTransform(Transform):
    """Remove the items (images) that have no annotation, counted per subset."""

    name = "remove_images_without_annotations"
    options = ()

    def apply(self, dataset: Dataset, ctx: Context) -> Dataset:
        removed: Counter[str] = Counter()
        kept = []
        for item in dataset:
            if item.annotations:
                kept.append(item)
            else:
                removed[item.subset] += 1
        dataset.replace_items(kept)
        for subset, count in removed.items():
            ctx.report.lost("items", f"no annotations, removed from subset {subset!r} "
                            "(remove_images_without_annotations)", count)
        return dataset
