"""The VOC export plan: what the parent decides before any item is written.

The plan is one object the per-item function takes (forked workers inherit it): the active
tasks, the label map and its palettes, the options, and its ``items``: each item with its
VOC objects (``ItemUnits``), numbered by ``number_objects``. The decisions need every item
first (which tasks have content, the parts found in the groups of a source without a label
map): plan_survey.py gathers them in one pass. A Dataset's entries are then kept as a list;
a stream's are made again, one at a time, on its next walk (stream_plan.py), so that
neither the plan nor ``finish`` holds its items.
"""
from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cococonv.errors import DataError, OptionError
from cococonv.images import probe_size
from cococonv.model import Bbox, Dataset, Item, Source
from cococonv.report import Report

from . import layout as L
from .labelmap import (LabelEntry, LabelMap, default_voc, parse_labelmap, with_background,
                       writable_map)
from .naming import writable_ids
from .parts import ObjectUnit
from .plan_survey import Survey

XML_TASKS = frozenset({L.DETECTION, L.LAYOUT, L.ACTION})


@dataclass(slots=True)
class ItemUnits:
    """One item with its VOC objects: ``units`` all of them, ``xml_units`` those written
    as XML objects (numbered, in order)."""

    item: Item
    units: list[ObjectUnit]
    xml_units: list[ObjectUnit]


@dataclass(slots=True)
class Tally:
    """Loss and approximation counts in the order they were first made; a worker returns
    its item's as ``events`` and ``finish`` adds them up in item order."""

    lost: Counter = field(default_factory=Counter)
    approx: Counter = field(default_factory=Counter)

    def events(self) -> list[tuple[str, Any, int]]:
        return [("lost", key, count) for key, count in self.lost.items()] + \
            [("approx", key, count) for key, count in self.approx.items()]

    def add(self, events: list[tuple[str, Any, int]]) -> None:
        for counter, key, count in events:
            (self.lost if counter == "lost" else self.approx)[key] += count

    @classmethod
    def joined(cls, *tallies: "Tally") -> "Tally":
        """The sums of ``tallies``, each count in the place its first tally gave it."""
        joined = cls()
        for tally in tallies:
            joined.lost.update(tally.lost)
            joined.approx.update(tally.approx)
        return joined


@dataclass(slots=True)
class VocPlan:
    """One VOC export run, decided in the parent."""

    out: str
    options: dict[str, Any]
    active: set[str]
    meta: dict[str, Any]
    names: list[str]
    label_map: LabelMap
    index: dict[str, int]
    parts: set[str]
    class_palette: bytes | None
    object_palette: bytes | None
    items: Iterable[ItemUnits]  # a list, or a stream's next walk (stream_plan.py)
    subsets: list[str]
    tally: Tally  # what planning lost or approximated (reported first)
    # what numbering the objects lost or approximated (reported next): complete once
    # every entry was made, at the plan for a Dataset, at the end of a stream's walk
    numbered: Tally = field(default_factory=Tally)
    scratch: bytearray = field(default_factory=bytearray)  # the mask painter's buffer

    @property
    def one_based(self) -> bool:
        return self.options["coordinate_mode"] == "one-based"

    def size(self, item: Item) -> tuple[int, int] | None:
        image = item.image
        if image is None:
            return None
        if image.size is None and image.has_data:
            probe_size(image)
        return tuple(image.size) if image.size else None  # type: ignore[return-value]

    def image_name(self, item: Item) -> str:
        ext = self.options["image_ext"]
        if ext:
            return item.id + "." + ext.lstrip(".")
        name = item.image.name if item.image is not None else ""
        return item.id + (posixpath.splitext(name)[1] or ".jpg")

    def actions(self, unit: ObjectUnit) -> dict[str, bool]:
        """The object's <actions>: the label map's actions its box has as bool attributes."""
        if unit.box is None or unit.label is None:
            return {}
        names = self.label_map.actions_of(self.names[unit.label])
        attrs = unit.box.attributes
        return {name: bool(attrs[name]) for name in names
                if name in attrs and isinstance(attrs[name], bool)}


def make_plan(dataset: Dataset, out_dir: str, report: Report, options: dict[str, Any],
              tasks: tuple[str, ...], *, explicit: bool) -> VocPlan:
    """Plan the export of ``dataset`` into ``out_dir``: its item ids made writable
    (naming.py) and its entries kept (a stream's plan is stream_plan.py's)."""
    planner = Planner(dataset, report, options, tasks)
    dataset = writable_ids(dataset, report, save_images=options["save_images"],
                           image_ext=options["image_ext"])
    survey = planner.survey(keep_units=True)
    for item in dataset:
        survey.add(item)
    plan = planner.plan(out_dir, survey, explicit=explicit)
    plan.items = [ItemUnits(item, units, number_objects(plan, item, units))
                  for item, units in survey.pairs or ()]
    return plan


class Planner:
    """The decisions made over the whole dataset: tasks, label map, palettes."""

    def __init__(self, source: Source, report: Report, options: dict[str, Any],
                 tasks: tuple[str, ...]):
        self.source = source
        self.report = report
        self.opts = options
        self.tasks = set(tasks)
        self.meta = source.meta.get("voc", {}) if isinstance(source.meta, dict) else {}
        self.names = [label.name for label in source.categories.labels]
        self.tally = Tally()
        self.declared_parts = self._declared_parts()

    def survey(self, *, keep_units: bool) -> Survey:
        """An empty survey to ``add`` every item to."""
        return Survey(self.names, self.meta, self.declared_parts, keep_units=keep_units)

    def plan(self, out_dir: str, survey: Survey, *, explicit: bool) -> VocPlan:
        """The plan of the items ``survey`` saw (its ``items`` left empty)."""
        has = survey.has
        active = {task for task in self.tasks if explicit or has[task]}
        if not explicit:
            active.add(L.DETECTION)  # Main lists and XMLs always, as every VOC reader wants
        label_map = self._label_map(survey, paint=L.SEGMENTATION in active)
        index, parts = label_map.index(), label_map.part_names()
        colours = self.opts["apply_colormap"]
        return VocPlan(out_dir, self.opts, active, self.meta, self.names, label_map, index,
                       parts, bytes(label_map.palette()) if colours else None,
                       bytes(L.voc_palette()) if colours else None, [],
                       list(survey.subsets), self.tally)

    def _label_map(self, survey: Survey, *, paint: bool) -> LabelMap:
        choice = self.opts["label_map"] or "source"
        if choice == "voc":
            label_map = default_voc()
        elif choice == "source":
            label_map = self._source_map(survey)
        else:
            if not os.path.isfile(choice):
                raise OptionError(f"--label-map {choice}: expected voc, source or the path "
                                  f"of a labelmap.txt")
            with open(choice, encoding="utf-8") as fh:
                label_map = parse_labelmap(fh.read(), file=choice)
        label_map = writable_map(label_map, self.report)
        if paint:
            label_map = with_background(label_map)
            if len(label_map.entries) > L.VOID_INDEX:
                raise DataError(f"{len(label_map.entries)} labels do not fit 8-bit VOC masks "
                                f"(at most 255 with background); export without segmentation "
                                f"(--tasks detection,...)")
        known = set(label_map.names()) | label_map.part_names()
        missing = {name for name in self.names if name not in known}
        if missing:
            counts = survey.label_counts(missing)
            total = sum(counts.values())
            if total:
                shown = ", ".join(n if n.isprintable() else repr(n) for n in sorted(counts))
                self.tally.lost[(f"annotations of labels not in the label map ({shown})",
                                 f"--label-map {choice}")] += total
        return label_map

    def _declared_parts(self) -> dict[str, set[str]]:
        """Part labels per label that a VOC source's label map or ``--label-map voc``
        declares (empty: parts are found from the groups, see parts.py)."""
        declared: dict[str, set[str]] = {}
        for entry in self.meta.get("labelmap", ()):
            if entry.get("parts"):
                declared.setdefault(entry["name"], set()).update(entry["parts"])
        if self.opts["label_map"] == "voc":
            for entry in default_voc().entries:
                if entry.parts:
                    declared.setdefault(entry.name, set()).update(entry.parts)
        return declared

    def _source_map(self, survey: Survey) -> LabelMap:
        """The dataset's labels; parts, actions and explicit colours kept from a VOC source.

        Parts found in the groups of a source without a label map (see parts.py) are
        declared on their owner's line, and labels used only as parts get no line (no mask
        index), as in VOC's own map.
        """
        known = {entry["name"]: LabelEntry.from_dict(entry)
                 for entry in self.meta.get("labelmap", ())}
        parts = {part for entry in known.values() for part in entry.parts}
        found_parts, objects = survey.parts.result() if not self.declared_parts \
            else ({}, set())
        for owner, labels in found_parts.items():
            entry = known.get(self.names[owner])
            if entry is None:
                entry = known[self.names[owner]] = LabelEntry(self.names[owner])
            for label in labels:
                name = self.names[label]
                if name not in entry.parts:
                    entry.parts.append(name)
                if label not in objects:
                    parts.add(name)
        colormap = self.source.categories.colormap
        labels = self.source.categories.labels
        entries = []
        for index, name in enumerate(self.names):
            if name in parts and name not in known:
                continue
            if index == 0 and labels[0].placeholder and \
                    "background" not in self.names:
                # --keep-original-category-ids with 1-based COCO ids: the gap at index 0 is
                # the background slot, so mask indices equal the COCO category ids.
                entries.append(LabelEntry("background", (0, 0, 0), [], []))
                continue
            source = known.get(name)
            entries.append(LabelEntry(name, colormap.get(index),
                                      list(source.parts) if source else [],
                                      list(source.actions) if source else []))
        return LabelMap(entries, "source")


def number_objects(plan: VocPlan, item: Item, units: list[ObjectUnit]) -> list[ObjectUnit]:
    """Give XML positions to the item's units written as objects (counting in
    ``plan.numbered`` those that cannot be); returns them in order."""
    lost, names, index = plan.numbered.lost, plan.names, plan.index
    from_voc = "voc" in item.extra
    written = []
    boxless = 0
    for unit in units:  # (the leader inline, the box-less counted here: serial in the parent)
        unit.xml_index = None
        box = unit.box
        leader = box if box is not None else unit.shapes[0]
        crowd = bool(leader.attributes.get("is_crowd")) and unit.shapes
        if unit.label is None:
            lost[("unlabelled shapes", "VOC needs a class name")] += \
                (type(unit.box) is Bbox) + len(unit.shapes) + len(unit.parts)
            continue
        if names[unit.label] not in index:
            if names[unit.label] in plan.parts:
                # Not reported as a label missing from the map: it is there, as a part.
                lost[("layout part labels outside an object that has them",
                      "VOC writes parts inside their object")] += \
                    (type(unit.box) is Bbox) + len(unit.shapes) + len(unit.parts)
            continue
        if crowd or (box is None and from_voc):
            continue
        written.append(unit)
        unit.xml_index = len(written)
        boxless += box is None
    if plan.active & XML_TASKS:
        # The target needs a box that the source did not hold as a shape of its own.
        plan.numbered.approx[("masks and polygons without a box", "given one as their VOC "
                              "object's <bndbox> (COCO's bbox, else their bounds)")] += boxless
    return written
