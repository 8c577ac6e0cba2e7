"""The COCO export's plan, made in the parent before any record is written: categories and
their ids, image ids (``--reindex`` or the source's), which task files each subset gets and
where their objects go, per-file category ids, panoptic PNG names and image destinations.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cococonv.images import normalise_ext, with_ext
from cococonv.model import SOURCE_ID, Categories, Dataset, Item, Source
from cococonv.twinwalk import TwinWalk

from . import tasks as T
from .panoptic_names import PanopticNames
from .foreign import ForeignKeys
from .record_maker import RecordMaker
from .plan_survey import Survey, is_heavy
from .units import Unit, item_units


@dataclass
class FilePlan:
    """One ``annotations/<task>_<subset>.json``."""

    task: str
    subset: str
    head: dict
    labels: list[int]
    file_ids: dict[int, Any]
    categories: list[dict]
    has_annotations: bool
    warnings: list[str] = field(default_factory=list)
    maker: RecordMaker | None = None  # made on first use, in each process


@dataclass
class SubsetPlan:
    name: str
    tasks: list[str]
    routes: dict[str, str | None]
    first_free_id: int = 1  # first annotation id after the source's (without --reindex)
    counts: dict[str, int] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    files: dict[str, FilePlan] = field(default_factory=dict)
    panoptic: PanopticNames | None = None


@dataclass(slots=True)
class ItemEntry:
    item: Item
    image_id: Any
    units: list[Unit]
    png_name: str | None = None
    image_dest: str | None = None


@dataclass
class CocoPlan:
    out_dir: str
    options: dict[str, Any]
    categories: Categories
    category_ids: list[Any]
    subsets: dict[str, SubsetPlan]
    items: list[ItemEntry]
    image_ext: str | None
    # Items whose records need masks, pixels or files: what workers are worth forking for
    # (a lone polygon with its declared box and area costs less than shipping its record).
    heavy_items: int = 0
    # Other formats' namespaces met in the items' extras: records leave them out.
    foreign: frozenset[str] = frozenset()
    # The finish keeps the record lists in memory, not in part files: an in-memory source
    # (the encoded records are smaller than its model), not a stream of a big file.
    parts_in_memory: bool = False


def file_name_of(item: Item, image_ext: str | None) -> str:
    """The image's file name as written (``--image-ext`` applied)."""
    name = item.image.name if item.image is not None else item.id + ".jpg"
    return with_ext(name, image_ext)


def build_plan(dataset: Source, out_dir: str, options: dict[str, Any],
               allowed: tuple[str, ...], explicit: bool, foreign: ForeignKeys,
               count_heavy: bool = True, walked: Iterable[Item] | None = None) -> CocoPlan:
    """Everything the per-item function and the finish need, in one pass over the items.

    ``dataset`` is a Dataset, or a stream (any other Source): its items are then surveyed
    from ``walked`` (its first walk, default the source itself) and the plan's
    ``items`` walks it again, making each entry as its item comes.
    """
    in_memory = isinstance(dataset, Dataset)
    reindex = options["reindex"]
    meta_files = {key: _by_index(file_meta, dataset.categories) for key, file_meta
                  in dataset.meta.get("coco", {}).get("files", {}).items()}
    survey = Survey(foreign, in_memory, options)
    for item in (dataset if walked is None else walked):
        survey.add(item)
    names = list(survey.image_ids) or ["default"]
    category_ids = _category_ids(dataset, reindex)
    image_ext = normalise_ext(options["image_ext"])
    subsets: dict[str, SubsetPlan] = {}
    image_ids: dict[str, list[Any]] = {}
    for name in names:
        had = {m["task"] for m in meta_files.values() if m["subset"] == name}
        counts = survey.counts.get(name, {})
        tasks = list(allowed) if explicit else _tasks_for(had, set(counts), allowed)
        routes = {task: _route(task, tasks, had) for task in T.TASKS}
        plan = subsets[name] = SubsetPlan(name, tasks, routes, counts=counts,
                                          stats=survey.stats.get(name, Counter()))
        if not reindex:
            largest = survey.largest_id.get(name)
            plan.first_free_id = 1 + (largest if largest is not None else 0)
        image_ids[name] = _image_ids(survey.image_ids.get(name, []), reindex)
        for task in tasks:
            plan.files[task] = _file_plan(dataset, task, name, meta_files,
                                          survey.used.get(name, {}), routes, category_ids,
                                          foreign)
        if T.PANOPTIC in tasks:
            if not in_memory:
                raise NotImplementedError("a panoptic plan needs the items in memory")
            plan.panoptic = PanopticNames(name, dataset.items_of(name))
    plan = CocoPlan(out_dir, options, dataset.categories, category_ids, subsets, [],
                    image_ext, survey.heavy, frozenset(foreign.found), in_memory)
    if not in_memory:
        # the engine and the finish walk it side by side, as one walk
        plan.items = TwinWalk(partial(_walk, plan, dataset, image_ids))  # type: ignore
        return plan
    heavy = 0
    every_item_heavy = options["save_images"] or options["crop_covered"]
    # Only a scheduling hint: one item in `stride` is looked at, the count scaled.
    units_of = survey.units or []
    stride = max(1, len(units_of) // 1024)
    make = _entry_maker(plan, image_ids)
    for position, item in enumerate(dataset):
        entry = make(item, units_of[position])
        sub = subsets[item.subset]
        if count_heavy and position % stride == 0 and (
                every_item_heavy or sub.panoptic is not None or is_heavy(item, options)):
            heavy += stride
        plan.items.append(entry)
    plan.heavy_items = heavy
    return plan


def _entry_maker(plan: CocoPlan, image_ids: dict[str, list[Any]]
                 ) -> Callable[[Item, list[Unit]], ItemEntry]:
    """Entries in item order: each takes the next image id of its subset."""
    taken = {name: iter(ids) for name, ids in image_ids.items()}
    options = plan.options

    def make(item: Item, units: list[Unit]) -> ItemEntry:
        entry = ItemEntry(item, next(taken[item.subset]), units)
        sub = plan.subsets[item.subset]
        if sub.panoptic is not None:
            entry.png_name = sub.panoptic.png_name(item)
        if options["save_images"] and item.image is not None and item.image.has_data:
            folder = "images" if options["merge_images"] else f"images/{item.subset}"
            entry.image_dest = f"{folder}/{file_name_of(item, plan.image_ext)}"
        return entry
    return make


def _walk(plan: CocoPlan, source: Source, image_ids: dict[str, list[Any]]
          ) -> Iterator[ItemEntry]:
    """A stream's plan items: its next walk, each item's entry made as it comes."""
    make = _entry_maker(plan, image_ids)
    for item in source:
        yield make(item, item_units(item))


def _tasks_for(had: set[str], present: set[str], allowed: tuple[str, ...]) -> list[str]:
    wanted = [t for t in T.TASKS if t in had or t in present]
    # Objects whose home task is not written go to a fallback task already chosen.
    if not wanted:
        wanted = [T.INSTANCES]
    return [t for t in wanted if t in allowed]


def _route(task: str, tasks: list[str], had: set[str]) -> str | None:
    """The written task that receives objects whose home task is ``task``.

    Objects of a left-out task fall back to a written one (keypoint objects to instances),
    unless the source had files of both tasks for this subset: then the fallback file
    already holds them, and they are reported as lost instead.
    """
    if task in tasks:
        return task
    for fallback in T.FALLBACK.get(task, ()):
        if fallback in tasks:
            return None if task in had and fallback in had else fallback
    return None


def _category_ids(dataset: Dataset, reindex: bool) -> list[Any]:
    labels = dataset.categories.labels
    ids: list[Any] = [None] * len(labels)
    if reindex:
        next_id = 1
        for index, label in enumerate(labels):
            if not label.placeholder:
                ids[index] = next_id
                next_id += 1
        return ids
    used = {label.id for label in labels if type(label.id) is int}
    next_id = max(used, default=0) + 1
    for index, label in enumerate(labels):
        if type(label.id) in (int, str) and label.id != "":
            ids[index] = label.id
        else:
            ids[index] = next_id
            next_id += 1
    return ids


def _image_ids(source_ids: list[Any], reindex: bool) -> list[Any]:
    if reindex:
        return list(range(1, len(source_ids) + 1))
    ids = []
    seen: set = set()
    taken = set(source_ids)
    next_id = max((v for v in taken if type(v) is int), default=0) + 1
    for iid in source_ids:
        if type(iid) not in (int, str) or iid in seen:
            while next_id in taken:
                next_id += 1
            iid = next_id
            next_id += 1
        seen.add(iid)
        ids.append(iid)
    return ids


def _by_index(file_meta: dict[str, Any], categories: Categories) -> dict[str, Any]:
    """One file's meta with its labels (objects, see ``Categories.resolve``) as today's
    indices; a label a transform dropped or merged away is left out."""
    found = dict(file_meta)
    found["categories"] = [i for i in categories.resolve(file_meta["categories"])
                           if i is not None]
    pairs = file_meta["category_extra"]
    found["category_extra"] = {
        index: extra for index, (_, extra) in zip(categories.resolve(l for l, _ in pairs), pairs)
        if index is not None}
    return found


def _file_plan(dataset: Dataset, task: str, subset: str, meta_files: dict[str, dict],
               used: dict[str, set[int]], routes: dict[str, str | None],
               category_ids: list[Any], foreign: ForeignKeys) -> FilePlan:
    meta = meta_files.get(f"{task}_{subset}")
    if meta is None:
        meta = next((m for m in meta_files.values() if m["subset"] == subset), None)
    top = dict(meta["top"]) if meta else {}
    head = {"info": top.pop("info", {}), "licenses": top.pop("licenses", [])}
    head.update(top)
    labels = _labels_for(dataset, task, meta, used, routes)
    warnings: list[str] = []
    file_ids = _file_category_ids(dataset, labels, category_ids, warnings)
    categories = [_category_record(dataset, index, task, meta, category_ids, file_ids,
                                   foreign) for index in labels]
    has_annotations = task != T.IMAGE_INFO or bool(meta and meta.get("has_annotations"))
    return FilePlan(task, subset, head, labels, file_ids, categories, has_annotations,
                    warnings)


def _labels_for(dataset: Dataset, task: str, meta: dict | None, used: dict[str, set[int]],
                routes: dict[str, str | None]) -> list[int]:
    labels = dataset.categories.labels
    own = meta if meta is not None and meta["task"] == task else None
    if task in (T.CAPTIONS, T.IMAGE_INFO):
        return list(own["categories"]) if own else []
    if own is not None and own["categories"]:
        chosen = list(own["categories"])
        known = set(chosen)
        # Labels the data uses in this task but the file did not declare are added.
        found: set[int] = set()
        for unit_task, task_labels in used.items():
            if routes.get(unit_task) == task:
                found |= task_labels
        chosen += [i for i in sorted(found) if i not in known]
        return chosen
    return [i for i, label in enumerate(labels) if not label.placeholder]


def _file_category_ids(dataset: Dataset, labels: list[int], category_ids: list[Any],
                       warnings: list[str]) -> dict[int, Any]:
    """Category ids for one file: the global ones, unless two labels share one there."""
    file_ids: dict[int, Any] = {}
    seen: set = set()
    next_id = max((v for v in category_ids if type(v) is int), default=0) + 1

    def category(label: int) -> Any:
        return file_ids.get(label, category_ids[label]) if file_ids else category_ids[label]

    for index in labels:
        cid = category_ids[index]
        if cid in seen:
            first = next(i for i in labels if category(i) == cid)
            names = dataset.categories.labels
            warnings.append(f"labels {names[first].name!r} and {names[index].name!r} "
                            f"share category id {cid!r} in one file; "
                            f"{names[index].name!r} gets id {next_id}")
            cid = next_id
            next_id += 1
            file_ids[index] = cid
        seen.add(cid)
    return file_ids


def _category_record(dataset: Dataset, index: int, task: str, meta: dict | None,
                     category_ids: list[Any], file_ids: dict[int, Any],
                     foreign: ForeignKeys) -> dict[str, Any]:
    label = dataset.categories.labels[index]
    cid = file_ids.get(index, category_ids[index])
    record: dict[str, Any] = {"id": cid, "name": label.name, "supercategory": label.parent}
    schema = dataset.categories.keypoints.get(index)
    from_this_task = meta is not None and meta["task"] == task and \
        index in meta["category_extra"]
    if task == T.PERSON_KEYPOINTS and (schema is not None or "coco" not in dataset.meta):
        # A category not read from COCO (CVAT labels, VOC classes) declares both, empty
        # without a schema: Datumaro refuses a keypoints file whose category lacks them
        # (MissingFieldError). A COCO source's categories are written as they were.
        record["keypoints"] = list(schema.names) if schema is not None else []
        record["skeleton"] = [list(edge) for edge in schema.skeleton] \
            if schema is not None else []
    if from_this_task:
        extra = meta["category_extra"][index]
    else:
        extra = {k: v for k, v in label.extra.items()
                 if task == T.PANOPTIC or k not in ("isthing", "color")}
    skipped = foreign.of(extra)
    for key, value in extra.items():
        if key not in skipped:
            record[key] = value
    if SOURCE_ID in label.extra:  # reindex --keep-source-ids: the id the source gave it
        record.setdefault(SOURCE_ID, label.extra[SOURCE_ID])
    if task == T.PANOPTIC:
        record.setdefault("isthing", 1)
    return record
