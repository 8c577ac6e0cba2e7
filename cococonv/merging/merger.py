"""The merge itself: inputs folded one at a time into one dataset.

Items are matched by (subset, image file name), or by item id when an item has no image.
Only the merged dataset and the input being folded in are held: an input can be dropped
as soon as ``add`` returns, so a generator that loads inputs one by one merges any number
of them in the memory of the result plus the largest input.
"""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from ..errors import DataError, OptionError
from ..model import Annotation, Dataset, Item, Source
from ..report import Report
from .ids import IdPool
from .labels import LabelUnifier
from .log import InputSummary, MergeLog
from .matching import DEFAULT_TOLERANCE, AnnotationIndex

MODES = ("union", "intersect", "exact")
ON_CONFLICT = ("fail", "first", "last", "union")
#: How many differing items an ``exact`` error names before it says "and N more".
SHOWN_DIFFERENCES = 10


def item_key(item: Item) -> tuple[str, str]:
    """What makes two inputs' items one image: the subset and the image's file name."""
    return item.subset, item.image.name if item.image is not None else item.id


class Merger:
    """Fold inputs into one dataset with ``add``; ``finish`` applies the mode and returns it.

    ``on_conflict`` settles an item two inputs give different image sizes or annotations:
    ``fail`` raises DataError, ``first``/``last`` keep one input's, ``union`` keeps the
    first size and every distinct annotation. Repeated annotations (``same_annotation``
    within ``tolerance`` pixels) are kept once whatever the policy.
    """

    def __init__(self, report: Report | None = None, *, mode: str = "union",
                 on_conflict: str = "union", tolerance: float = DEFAULT_TOLERANCE):
        if mode not in MODES:
            raise OptionError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
        if on_conflict not in ON_CONFLICT:
            raise OptionError(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, "
                              f"not {on_conflict!r}")
        if not tolerance >= 0:
            raise OptionError(f"--tolerance must be 0 or more, not {tolerance!r}")
        self.report = report if report is not None else Report()
        self.mode, self.on_conflict, self.tolerance = mode, on_conflict, tolerance
        self.log = MergeLog(self.report)
        self.dataset = Dataset()
        self.labels = LabelUnifier(self.dataset.categories, self.log, on_conflict)
        self.image_ids = IdPool()
        self.ann_ids = IdPool()
        self._by_key: dict[tuple[str, str], Item] = {}
        self._source_of: dict[tuple[str, str], str] = {}
        self._holders: dict[tuple[str, str], int] = {}
        self._first_keys: set[tuple[str, str]] | None = None
        self._group_offset = 0

    def add(self, source: Source, name: str | None = None) -> InputSummary:
        """Fold one input in (the input itself is not modified)."""
        name = name or f"input {len(self.log.inputs) + 1}"
        summary = InputSummary(name)
        self.log.inputs.append(summary)
        remap = self.labels.add(source.categories, name)
        self._merge_meta(source, remap)
        state = _InputState(source)
        for item in source:
            self._add_item(item, remap, state, summary)
        for subset, ids in state.image_ids.items():
            self.image_ids.take(subset, ids)
        for subset, ids in state.ann_ids.items():
            self.ann_ids.take(subset, ids)
        self._group_offset += state.largest_group
        if self.mode == "exact":
            self._check_exact(state.keys, name)
        return summary

    def finish(self) -> Dataset:
        """The merged dataset; under ``intersect`` only the items every input holds."""
        if self.mode == "intersect" and self.log.inputs:
            everywhere = len(self.log.inputs)
            kept = [item for key, item in self._by_key.items()
                    if self._holders[key] == everywhere]
            self.report.lost("items", "not in every input (--mode intersect)",
                             len(self.dataset) - len(kept))
            self.dataset.replace_items(kept)
        duplicates = sum(summary.duplicates for summary in self.log.inputs)
        self.report.approximated("annotations repeated in several inputs", "kept once",
                                 duplicates)
        return self.dataset

    # -- one input ------------------------------------------------------------------------

    def _merge_meta(self, source: Source, remap: dict[int, int]) -> None:
        # meta names labels by object (model.Categories): the copy names the merged ones
        labels = self.dataset.categories.labels
        same_label = {id(label): labels[remap[index]]
                      for index, label in enumerate(source.categories.labels)}
        for key, value in source.meta.items():
            if _fold_meta(self.dataset.meta, key, value, same_label):
                self.report.lost(f"dataset-level fields ({key}) of a later input",
                                 "an earlier input's value of the same field is kept")

    def _add_item(self, item: Item, remap: dict[int, int], state: "_InputState",
                  summary: InputSummary) -> None:
        key = item_key(item)
        summary.items += 1
        if key not in state.keys:
            state.keys.add(key)
            self._holders[key] = self._holders.get(key, 0) + 1
        annotations = [self._converted(ann, remap, state) for ann in item.annotations]
        existing = self._by_key.get(key)
        if existing is None:
            self._add_new(item, key, annotations, state, summary)
        else:
            summary.matched += 1
            self._add_matched(existing, item, key, annotations, state, summary)

    def _converted(self, ann: Annotation, remap: dict[int, int],
                   state: "_InputState") -> Annotation:
        ann = copy.copy(ann)
        ann.attributes = dict(ann.attributes)
        if ann.label is not None:
            ann.label = remap[ann.label]
        if ann.group:
            state.largest_group = max(state.largest_group, ann.group)
            ann.group += self._group_offset
        return ann

    def _add_new(self, item: Item, key: tuple[str, str], annotations: list[Annotation],
                 state: "_InputState", summary: InputSummary) -> None:
        subset, shown = key
        new = replace(item, annotations=[], attributes=dict(item.attributes),
                      extra=dict(item.extra), image=copy.copy(item.image))
        if self.dataset.get(subset, new.id) is not None:
            new.id = self._free_item_id(subset, new.id)
            self.log.reassigned("item id", summary.name, subset, shown, item.id, new.id)
        if new.image_id is not None:
            if self.image_ids.is_taken(subset, new.image_id):
                new.image_id = self.image_ids.fresh(subset, state.image_top(subset))
                self.log.reassigned("image id", summary.name, subset, shown, item.image_id,
                                    new.image_id)
            state.image_ids.setdefault(subset, set()).add(new.image_id)
        self._append(new, annotations, state, summary)
        self.dataset.add(new)
        self._by_key[key] = new
        self._source_of[key] = summary.name

    def _add_matched(self, existing: Item, item: Item, key: tuple[str, str],
                     annotations: list[Annotation], state: "_InputState",
                     summary: InputSummary) -> None:
        subset, shown = key
        if item.image_id is not None and item.image_id != existing.image_id:
            if existing.image_id is None:
                existing.image_id = item.image_id
                if self.image_ids.is_taken(subset, item.image_id):
                    existing.image_id = self.image_ids.fresh(subset, state.image_top(subset))
                    self.log.reassigned("image id", summary.name, subset, shown,
                                        item.image_id, existing.image_id)
                state.image_ids.setdefault(subset, set()).add(existing.image_id)
            else:
                self.log.reassigned("image id", summary.name, subset, shown, item.image_id,
                                    existing.image_id)
        self._settle_image(existing, item, key, summary.name)
        index = AnnotationIndex(existing.annotations, self.tolerance)
        fresh = []
        matched: set[int] = set()
        for ann in annotations:
            twin = index.pop(ann)
            if twin is None:
                fresh.append(ann)
            else:
                matched.add(id(twin))
                summary.duplicates += 1
        unmatched = len(existing.annotations) - len(matched)
        if not fresh and not unmatched:
            return
        detail = (f"{unmatched} annotation(s) only in the earlier, {len(fresh)} only in "
                  f"the later")
        self.log.settle("annotations", self.on_conflict, key, self._source_of[key],
                        summary.name, detail, union="combined")
        if self.on_conflict == "first":
            self.report.lost("annotations", "a later input's, on an item an earlier input "
                             "annotated otherwise (--on-conflict first)", len(fresh))
            fresh = []
        elif self.on_conflict == "last":
            self.report.lost("annotations", "an earlier input's, on an item a later input "
                             "annotated otherwise (--on-conflict last)", unmatched)
            existing.annotations = [ann for ann in existing.annotations
                                    if id(ann) in matched]
        self._append(existing, fresh, state, summary)

    def _settle_image(self, existing: Item, item: Item, key: tuple[str, str],
                      source: str) -> None:
        theirs = item.image
        if theirs is None:
            return
        if existing.image is None:
            existing.image = copy.copy(theirs)
            return
        mine = existing.image
        if mine.size is None:
            mine.size = theirs.size
        elif theirs.size is not None and tuple(theirs.size) != tuple(mine.size):
            detail = (f"{mine.size[1]}x{mine.size[0]} and "
                      f"{theirs.size[1]}x{theirs.size[0]}")
            self.log.settle("image size", self.on_conflict, key, self._source_of[key], source,
                            detail, union="the earliest input's kept")
            if self.on_conflict == "last":
                mine.size = theirs.size
        if not mine.has_data and theirs.has_data:
            mine.path, mine.loader = theirs.path, theirs.loader

    def _append(self, target: Item, annotations: list[Annotation], state: "_InputState",
                summary: InputSummary) -> None:
        """Add annotations to ``target``, giving ids an earlier input holds new ones (the
        parts of one object, sharing an id, share the new one)."""
        subset = target.subset
        for ann in annotations:
            if ann.id is not None and self.ann_ids.is_taken(subset, ann.id):
                old = ann.id
                first_part = (subset, old) not in state.renamed
                ann.id = state.new_ann_id(subset, old, self.ann_ids)
                if first_part:
                    self.log.reassigned("annotation id", summary.name, subset,
                                        item_key(target)[1], old, ann.id)
            if ann.id is not None:
                state.ann_ids.setdefault(subset, set()).add(ann.id)
            target.annotations.append(ann)
            summary.annotations += 1

    def _free_item_id(self, subset: str, item_id: str) -> str:
        n = 2
        while self.dataset.get(subset, f"{item_id}~{n}") is not None:
            n += 1
        return f"{item_id}~{n}"

    def _check_exact(self, keys: set[tuple[str, str]], name: str) -> None:
        if self._first_keys is None:
            self._first_keys = keys
            return
        first = self.log.inputs[0].name
        missing = sorted(self._first_keys - keys)
        extra = sorted(keys - self._first_keys)
        if not missing and not extra:
            return
        listed = [f"{s}/{n} only in {first}" for s, n in missing] + \
                 [f"{s}/{n} only in {name}" for s, n in extra]
        more = len(listed) - SHOWN_DIFFERENCES
        text = "; ".join(listed[:SHOWN_DIFFERENCES]) + (f"; and {more} more" if more > 0
                                                          else "")
        raise DataError(f"--mode exact: the inputs do not hold the same items: {text}",
                        file=name)


class _InputState:
    """What one input's fold remembers: its keys, its ids, the new ids it was given."""

    def __init__(self, source: Source):
        self.source = source
        self.keys: set[tuple[str, str]] = set()
        self.image_ids: dict[str, set[Any]] = {}
        self.ann_ids: dict[str, set[Any]] = {}
        self.renamed: dict[tuple[str, Any], int] = {}
        self.largest_group = 0
        self._image_tops: dict[str, int] | None = None
        self._ann_tops: dict[str, int] | None = None

    def image_top(self, subset: str) -> int:
        if self._image_tops is None:
            self._image_tops = _tops((item.subset, item.image_id) for item in self.source)
        return self._image_tops.get(subset, 0)

    def new_ann_id(self, subset: str, old: Any, pool: IdPool) -> int:
        """The new id of this input's annotation id ``old`` (the same for every part)."""
        if (subset, old) not in self.renamed:
            if self._ann_tops is None:
                self._ann_tops = _tops((item.subset, ann.id) for item in self.source
                                       for ann in item.annotations)
            self.renamed[(subset, old)] = pool.fresh(subset, self._ann_tops.get(subset, 0))
        return self.renamed[(subset, old)]


def _fold_meta(mine: dict[str, Any], key: str, value: Any, same_label: dict[int, Any]
               ) -> bool:
    """Add ``value`` under ``key``: what ``mine`` lacks is copied (a later input's COCO
    file records of another subset are kept), nested dicts are folded key by key, and a
    field both hold with different values keeps the earlier one. True when one did."""
    if key not in mine:
        mine[key] = copy.deepcopy(value, dict(same_label))
        return False
    if isinstance(mine[key], dict) and isinstance(value, dict):
        differed = False
        for inner, inner_value in value.items():
            differed = _fold_meta(mine[key], inner, inner_value, same_label) or differed
        return differed
    return bool(mine[key] != value)


def _tops(pairs: Any) -> dict[str, int]:
    tops: dict[str, int] = {}
    for subset, value in pairs:
        if type(value) is int and value > tops.get(subset, 0):
            tops[subset] = value
    return tops
