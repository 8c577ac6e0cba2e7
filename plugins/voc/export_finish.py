"""The VOC export's finish: ImageSets lists, class and action flags, labelmap.txt,
dataset_meta.json, saved images, and the run's loss report, from the per-item results in
item order. It walks the plan's items once, beside the engine (a stream's are made as they
come), and keeps of each item only what its lists need: its id, and its class flags."""
from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from typing import Any

from cococonv import foreign_fields as FF
from cococonv.errors import DataError
from cococonv.fileio import dumps_json, write_bytes
from cococonv.images import NOT_AN_IMAGE, copy_image
from cococonv.model import Bbox, Caption, Ellipse, Item, Label, Points, Polyline
from cococonv.paths import join_inside, safe_segment
from cococonv.report import Report

from . import layout as L
from .export_plan import XML_TASKS, Tally, VocPlan
from .lists import ListFiles
from .naming import list_subset
from .parts import ObjectUnit
from .plan_survey import label_positions

ItemResult = tuple[bool, list[tuple[str, Any, int]]]


def finish_export(plan: VocPlan, results: Iterable[ItemResult], report: Report,
                  namespaces: Callable[[], frozenset[str]] = frozenset) -> None:
    """Consume each item's ``(painted, events)`` in item order and write the aggregate
    files; the counts reach ``report`` at the end, planning's first, in first-seen order.
    ``namespaces`` gives the run's extra namespaces (``Context.namespaces``)."""
    _Finisher(plan, report, namespaces).run(results)


class _Finisher:
    def __init__(self, plan: VocPlan, report: Report,
                 namespaces: Callable[[], frozenset[str]]):
        self.plan = plan
        self.report = report
        self.namespaces = namespaces
        self.fields: dict[str, int] = {}  # source fields of annotations VOC cannot hold
        self.opts = plan.options
        self.tally = Tally()  # reported after the plan's own counts (plan.tally, numbered)
        self.list_files = ListFiles()  # ImageSets file -> what it was written for

    def run(self, results: Iterable[ItemResult]) -> None:
        plan, active, lost = self.plan, self.plan.active, self.tally.lost
        keep_empty = self.opts["keep_empty"]
        lists: dict[str, dict[str, list[str]]] = {f: {} for f in L.LIST_FOLDERS}
        class_flags: dict[str, list[tuple[str, dict[int | None, int]]]] = {}
        all_ids: dict[str, list[str]] | None = {} if keep_empty else None
        action_rows: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
        for subset in plan.subsets or ["default"]:
            for folder in L.LIST_FOLDERS:
                lists[folder][subset] = []
        results = iter(results)
        # Without Main lists (an action-only export) the Action list is the only record of
        # an item's subset: it names every item, not only those with actions.
        list_all_actions = keep_empty or not active & {L.DETECTION, L.CLASSIFICATION}
        for entry in self.report.progress(plan.items, desc="voc"):
            item, units, xml_units = entry.item, entry.units, entry.xml_units
            self._count_unwritable(item)
            if all_ids is not None:
                all_ids.setdefault(item.subset, []).append(item.id)
            painted, events = next(results)
            self.tally.add(events)
            if L.SEGMENTATION in active:
                if painted:
                    lists["Segmentation"][item.subset].append(item.id)
            else:
                self._count_unpainted(units)
            if not active & XML_TASKS:
                self._count_without_xml(item, units, painted)
            if active & {L.DETECTION, L.CLASSIFICATION}:
                lists["Main"][item.subset].append(item.id)
            if L.CLASSIFICATION in active:
                labels = [a for a in item.annotations if type(a) is Label
                          and not a.extra.get("voc", {}).get("no_bndbox")]
                unnamed = sum(a.label is None for a in labels)
                if unnamed:  # a classification answer without a class (RedBrick)
                    lost[("image labels without a class", "a VOC class list needs a class")] \
                        += unnamed
                class_flags.setdefault(item.subset, []).append((item.id, _flags(labels)))
            elif any(type(a) is Label and not a.extra.get("voc") for a in item.annotations):
                lost[("image labels", "classification is not written")] += sum(
                    1 for a in item.annotations if type(a) is Label)
            if L.LAYOUT in active:
                if keep_empty or any(u.parts for u in xml_units):
                    lists["Layout"][item.subset].append(item.id)
            else:
                count = sum(len(u.parts) for u in units)
                if count:
                    lost[("layout parts", "layout is not written")] += count
            if L.ACTION in active:
                rows = [(item.id, u.xml_index, plan.actions(u)) for u in xml_units
                        if plan.actions(u)]
                if rows or list_all_actions:
                    lists["Action"][item.subset].append(item.id)
                action_rows.setdefault(item.subset, []).extend(rows)  # type: ignore[arg-type]
            if self.opts["save_images"]:
                self._save_image(item)
        self._write_lists(lists, all_ids)
        if L.CLASSIFICATION in active:
            self._write_class_lists(class_flags)
        if L.ACTION in active:
            self._write_action_lists(action_rows)
        if not plan.label_map.is_standard():
            write_bytes(os.path.join(plan.out, L.LABELMAP_FILE),
                        plan.label_map.to_text(masks=L.SEGMENTATION in active).encode())
        if self.opts["save_dataset_meta"]:
            self._write_dataset_meta()
        for name, count in self.fields.items():
            lost[(FF.what(name), "VOC objects have no place for them")] += count
        tally = Tally.joined(plan.tally, plan.numbered, self.tally)
        for (what, why), count in tally.lost.items():
            self.report.lost(what, why, count)
        for (what, how), count in tally.approx.items():
            self.report.approximated(what, how, count)

    def _count_unwritable(self, item: Item) -> None:
        lost = self.tally.lost
        with_fields = False  # an annotation written whose extra may hold foreign fields
        for ann in item.annotations:
            kind = type(ann)
            if kind is Points:
                lost[("keypoints", "VOC has no keypoints")] += 1
            elif kind is Caption:
                lost[("captions", "VOC has no captions")] += 1
            elif kind is Polyline:
                lost[("polylines", "VOC has no open lines")] += 1
            elif ann.extra:
                with_fields = True
        # fields of what VOC drops whole (counted above) are no extra loss; annotations
        # without an extra have none (most items: no list to make, no call)
        if with_fields:
            FF.count_dropped([a for a in item.annotations
                              if type(a) not in (Points, Caption, Polyline)
                              and not (type(a) is Label and a.label is None)],
                             "voc", self.namespaces, self.fields)
        if item.attributes or item.image_id is not None or \
                FF.dropped_fields(item.extra, "voc", self.namespaces):
            lost[("image attributes", "VOC has no image attributes")] += 1

    def _count_unpainted(self, units: list[ObjectUnit]) -> None:
        """Area shapes with segmentation off: an ellipse is named as such (it becomes a
        box, or nothing without an XML), polygons and masks together."""
        lost = self.tally.lost
        ellipses = sum(type(s) is Ellipse for u in units for s in u.shapes)
        others = sum(len(u.shapes) for u in units) - ellipses
        if others:
            lost[("masks and polygons", "segmentation is not written")] += others
        if ellipses:
            lost[("ellipses", "segmentation is not written")] += ellipses

    def _count_without_xml(self, item: Item, units: list[ObjectUnit], painted: bool) -> None:
        """No Annotations XML (classification or segmentation alone): its boxes are lost,
        and its image size unless a segmentation PNG of the item holds it."""
        lost = self.tally.lost
        boxes = sum(type(u.box) is Bbox for u in units)
        if boxes:
            lost[("boxes", "detection is not written")] += boxes
        if not painted and item.image is not None and item.image.size:
            lost[("image sizes", "only the Annotations XML or a mask PNG holds them")] += 1

    # -- lists ---------------------------------------------------------------------------
    def _write_lists(self, lists: dict[str, dict[str, list[str]]],
                     all_ids: dict[str, list[str]] | None) -> None:
        """Each task's subset lists; with --keep-empty (``all_ids``) every item's id."""
        keep_empty, active = self.opts["keep_empty"], self.plan.active
        for folder, by_subset in lists.items():
            task_on = {"Main": active & {L.DETECTION, L.CLASSIFICATION},
                       "Segmentation": L.SEGMENTATION in active,
                       "Layout": L.LAYOUT in active,
                       "Action": L.ACTION in active}[folder]
            if not task_on:
                continue
            written = {}
            for subset, ids in by_subset.items():
                if all_ids is not None:
                    ids = all_ids.get(subset, [])
                if not ids and not keep_empty:
                    continue
                written[subset] = ids
                self._write_list(folder, subset, ids)
            for union, parts in self.plan.meta.get("union_lists", {}).get(folder, {}).items():
                union, parts = list_subset(union), [list_subset(p) for p in parts]
                if union not in written and all(p in written for p in parts):
                    self._write_list(folder, union, [i for p in parts for i in written[p]])

    def _write_list(self, folder: str, name: str, ids: list[str]) -> None:
        unique = list(dict.fromkeys(ids))
        path = self._list_path(folder, name, "", "subset")
        if path is not None:
            write_bytes(path, "".join(f"{i}\n" for i in unique).encode())

    def _list_path(self, folder: str, name: str, subset: str, what: str) -> str | None:
        """``ImageSets/<folder>/<name>[_<subset>].txt``; a label or action ``name`` that
        cannot be a file name is a bad record, and that list is not written."""
        try:
            stem = safe_segment(name, what=what) + (f"_{subset}" if subset else "")
        except DataError as err:
            self.report.bad_record(err.located(where=f"ImageSets/{folder}"))
            return None
        rel = f"{L.IMAGESETS_DIR}/{folder}/{stem}.txt"
        self.list_files.claim(rel, f"the {folder} list of {what} {name!r}" +
                              (f" for subset {subset!r}" if subset else ""))
        return join_inside(self.plan.out, rel, what=what)

    def _write_class_lists(self, flags: dict[str, list[tuple[str, dict[int | None, int]]]]
                           ) -> None:
        names = [e.name for e in self.plan.label_map.entries]
        position = label_positions(self.plan.names)
        for subset, rows in flags.items():
            for name in names:
                index = position.get(name)
                lines = [f"{item_id} {flag.get(index, -1) if index is not None else -1:>2}\n"
                         for item_id, flag in rows]
                path = self._list_path("Main", name, subset, "label name")
                if path is not None:
                    write_bytes(path, "".join(lines).encode())

    def _write_action_lists(self, rows: dict[str, list[tuple[str, int, dict]]]) -> None:
        for subset, subset_rows in rows.items():
            names: dict[str, None] = {}
            for _id, _index, actions in subset_rows:
                names.update(dict.fromkeys(actions))
            for action in names:
                lines = [f"{item_id} {index} {1 if actions[action] else -1:>2}\n"
                         for item_id, index, actions in subset_rows if action in actions]
                path = self._list_path("Action", action, subset, "action name")
                if path is not None:
                    write_bytes(path, "".join(lines).encode())

    # -- images and meta -----------------------------------------------------------------
    def _save_image(self, item: Item) -> None:
        image = item.image
        if image is None or not image.has_data:
            self.tally.lost[("images", "not present in the input")] += 1
            return
        name = self.plan.image_name(item)
        dst = join_inside(self.plan.out, f"{L.IMAGES_DIR}/{name}", what="image file name")
        if os.path.exists(dst):
            raise DataError(f"two items would save their image as {name!r}", file=item.id)
        ext = posixpath.splitext(name)[1].lower() if self.opts["image_ext"] else None
        if not copy_image(image, dst, ext):
            self.tally.lost[("images", NOT_AN_IMAGE)] += 1

    def _write_dataset_meta(self) -> None:
        label_map = self.plan.label_map
        entries = label_map.entries
        meta = {"label_map": {str(i): e.name for i, e in enumerate(entries)},
                "segmentation_colors": [list(label_map.color(i))
                                        for i in range(len(entries))],
                "background_label": "0" if entries and
                entries[0].name in L.BACKGROUND_NAMES else None}
        write_bytes(os.path.join(self.plan.out, "dataset_meta.json"),
                    dumps_json(meta, indent=True))


def _flags(labels: list[Label]) -> dict[int | None, int]:
    """An item's class flags by label index: 1 present, 0 present only as difficult (the
    labels it does not have are -1, left out)."""
    flags: dict[int | None, int] = {}
    for ann in labels:
        hard = bool(ann.attributes.get("difficult"))
        flags[ann.label] = max(flags.get(ann.label, 0), 0 if hard else 1)
    return flags
