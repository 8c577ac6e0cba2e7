"""Split a dataset into subsets by ratios (``cococonv split``, the ``split`` transform).

What is split: by default every item, whatever subset it had (the old subsets are merged,
then re-split); ``subsets`` limits the split to the items of the subsets named, the others
keep theirs. The unit is an item, or a group of items that must stay together (``group_by``:
the image folder, the frame sequence of a file name, an item attribute).

Deterministic: units are sorted by a key of their own (not the input order), shuffled with
``random.Random(seed)``, then assigned greedily, so a seed gives the same split for any
input order and any ``--jobs`` (nothing here runs in workers).

Stratified by label: labels are taken rarest first (fewest annotations); each unit holding
the label, not yet placed, goes to the subset furthest below its share of that label's
annotations (ties: furthest below its share of items, then the first subset). Multi-label
units count for every label they hold. This is the iterative stratification of Sechidis,
Tsoumakas and Vlahavas (2011), with labels in a fixed order.
"""
from __future__ import annotations

import dataclasses
import math
import posixpath
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import DataError, OptionError
from .model import Dataset, Item
from .report import Report
from .text import printable, shown

#: How far the ratios may sum from 1 before they are refused rather than normalised.
RATIO_TOLERANCE = 0.01
#: The most subsets one split may make.
MAX_SUBSETS = 100
GROUPINGS = ("item", "folder", "sequence", "attr.NAME")


def parse_ratios(entries: Iterable[str]) -> dict[str, float]:
    """``["train=0.8", "val=0.2"]`` as ``{"train": 0.8, "val": 0.2}``, normalised to sum 1;
    OptionError (exit 2) for a bad entry, a negative ratio or a sum far from 1."""
    ratios: dict[str, float] = {}
    for entry in entries:
        name, eq, number = entry.partition("=")
        name = name.strip()
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if not eq or not name or not math.isfinite(value):
            raise OptionError(f"--ratios: {shown(entry)} is not NAME=FRACTION "
                              f"(e.g. train=0.8,val=0.1,test=0.1)")
        if value < 0:
            raise OptionError(f"--ratios: {printable(name)} has a negative ratio {value}")
        if name in ratios:
            raise OptionError(f"--ratios: {printable(name)} is given twice")
        if "/" in name or "\\" in name or name in (".", ".."):
            raise OptionError(f"--ratios: {shown(name)} is not a subset name")
        ratios[name] = value
    if not ratios:
        raise OptionError("--ratios: give at least one NAME=FRACTION (e.g. train=0.8,val=0.2)")
    if len(ratios) > MAX_SUBSETS:
        raise OptionError(f"--ratios: {len(ratios)} subsets, above the limit of {MAX_SUBSETS}")
    total = sum(ratios.values())
    if abs(total - 1) > RATIO_TOLERANCE:
        raise OptionError(f"--ratios: the ratios sum to {total:g}, not 1")
    return {name: value / total for name, value in ratios.items()}


def check_grouping(group_by: str) -> None:
    """OptionError for a ``group_by`` that is none of GROUPINGS."""
    if group_by in ("", "item", "folder", "sequence"):
        return
    if group_by.startswith("attr.") and len(group_by) > len("attr."):
        return
    raise OptionError(f"--group-by: {shown(group_by)} is not one of {', '.join(GROUPINGS)}")


def _folder(item: Item) -> str:
    name = item.image.name if item.image is not None else item.id
    return posixpath.dirname(name.replace("\\", "/"))


def group_key(item: Item, group_by: str) -> str | None:
    """The key of the group an item belongs to, None when it stands alone (at the top
    folder, a name without a frame number, no such attribute)."""
    if group_by in ("", "item"):
        return None
    if group_by == "folder":
        return _folder(item) or None
    if group_by == "sequence":
        name = item.image.name if item.image is not None else item.id
        stem = posixpath.splitext(posixpath.basename(name.replace("\\", "/")))[0]
        prefix = sequence_prefix(stem)
        return None if prefix is None else f"{_folder(item)}/{prefix}"
    value = item.attributes.get(group_by[len("attr."):])
    return None if value is None or isinstance(value, (dict, list)) else repr(value)


def sequence_prefix(stem: str) -> str | None:
    """``clip7_000123`` -> ``clip7``: the name without its trailing frame number and the
    separators before it; None when it ends in no number. A scan, not a regex: a long
    name of separators must not cost quadratic time."""
    end = len(stem)
    while end and stem[end - 1] in "0123456789":
        end -= 1
    if end == len(stem):
        return None
    while end and not stem[end - 1].isalnum():
        end -= 1
    return stem[:end]


@dataclass
class _Unit:
    key: tuple[str, ...]
    items: list[Item] = field(default_factory=list)
    labels: Counter[str] = field(default_factory=Counter)


def _units(items: Sequence[Item], group_by: str, label_of: Any) -> list[_Unit]:
    units: dict[tuple[str, ...], _Unit] = {}
    for item in items:
        key = group_key(item, group_by)
        whole = ("group", key) if key is not None else ("item", item.id, item.subset)
        unit = units.setdefault(whole, _Unit(whole))
        unit.items.append(item)
        for ann in item.annotations:
            name = label_of(ann.label)
            if name is not None:
                unit.labels[name] += 1
    return [units[key] for key in sorted(units)]


class _Assigner:
    """Places units into subsets, each time where the most is still wanted."""

    def __init__(self, ratios: dict[str, float], units: list[_Unit]):
        self.names = [name for name, ratio in ratios.items() if ratio > 0]
        self.ratios = ratios
        total_items = sum(len(unit.items) for unit in units)
        self.want_items = {name: ratios[name] * total_items for name in self.names}
        self.have_items = dict.fromkeys(self.names, 0)
        totals: Counter[str] = Counter()
        for unit in units:
            totals.update(unit.labels)
        self.label_totals = totals
        self.have_labels = {name: Counter() for name in self.names}
        self.placed: dict[int, str] = {}

    def place(self, unit: _Unit, label: str | None = None) -> None:
        def need(name: str) -> tuple[float, float, int]:
            by_label = 0.0
            if label is not None:
                by_label = (self.ratios[name] * self.label_totals[label]
                            - self.have_labels[name][label])
            return (by_label, self.want_items[name] - self.have_items[name],
                    -self.names.index(name))
        # Only subsets still short of items, while there are any: a label's share must
        # not pull a subset far past its number of items.
        short = [name for name in self.names
                 if self.want_items[name] - self.have_items[name] > 0] or self.names
        chosen = max(short, key=need)
        self.placed[id(unit)] = chosen
        self.have_items[chosen] += len(unit.items)
        self.have_labels[chosen].update(unit.labels)


def assign(units: list[_Unit], ratios: dict[str, float], *, seed: int,
           stratify: bool) -> dict[int, str]:
    """``id(unit) -> subset`` for units already in key order."""
    rng = random.Random(seed)
    order = list(units)
    rng.shuffle(order)
    assigner = _Assigner(ratios, order)
    if stratify:
        holding: dict[str, list[_Unit]] = {}
        for unit in order:
            for label in unit.labels:
                holding.setdefault(label, []).append(unit)
        for label in sorted(holding, key=lambda name: (assigner.label_totals[name], name)):
            for unit in holding[label]:
                if id(unit) not in assigner.placed:
                    assigner.place(unit, label)
    # The rest (all of them unstratified), largest groups first so the last ones even out.
    rest = sorted((unit for unit in order if id(unit) not in assigner.placed),
                  key=lambda unit: -len(unit.items))
    for unit in rest:
        assigner.place(unit)
    return assigner.placed


@dataclass
class SplitResult:
    """The split made: items, annotations and annotations per label of every subset."""

    dataset: Dataset
    ratios: dict[str, float]
    seed: int
    stratify: str
    group_by: str
    units: int
    subsets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "ratios": self.ratios, "stratify": self.stratify,
                "group_by": self.group_by or "item", "units": self.units,
                "subsets": self.subsets}

    def table(self) -> str:
        """Items and annotations per subset, then each label's count and share per subset."""
        names = list(self.subsets)
        width = max([len("subset")] + [len(printable(n)) for n in names])
        lines = [f"{'subset':<{width}}  {'items':>8}  {'annotations':>11}"]
        for name in names:
            entry = self.subsets[name]
            lines.append(f"{printable(name):<{width}}  {entry['items']:>8}  "
                         f"{entry['annotations']:>11}")
        labels = sorted({label for entry in self.subsets.values() for label in entry["labels"]})
        if labels:
            lwidth = max(len("label"), *(len(printable(label)) for label in labels))
            lines.append("")
            lines.append(f"{'label':<{lwidth}}" + "".join(f"  {printable(n):>15}" for n in names))
            for label in labels:
                counts = [self.subsets[n]["labels"].get(label, 0) for n in names]
                total = sum(counts) or 1
                cells = "".join(f"  {f'{c} ({100 * c / total:.0f}%)':>15}" for c in counts)
                lines.append(f"{printable(label):<{lwidth}}{cells}")
        return "\n".join(lines)


def split_dataset(dataset: Dataset, *, ratios: dict[str, float] | Iterable[str],
                  seed: int = 0, stratify: str = "none", group_by: str = "",
                  subsets: Sequence[str] = (), report: Report | None = None) -> SplitResult:
    """Give each item (or group, ``group_by``) a subset by ``ratios``; in place.

    ``ratios`` is ``{"train": 0.8, ...}`` or ``["train=0.8", ...]``; ``stratify`` is
    ``"none"`` or ``"label"``; ``subsets`` limits the split to the items of those subsets
    (default: all, the old subsets merged). Items keep their order; an id found in
    several of the subsets merged gets its old subset in front (``Train/img0``), counted
    in ``report``. OptionError for bad options.
    """
    if not isinstance(ratios, dict):
        ratios = parse_ratios(ratios)
    check_grouping(group_by)
    if stratify not in ("none", "label"):
        raise OptionError(f"--stratify: {shown(stratify)} is not one of none, label")
    present = dataset.subsets
    for name in subsets:
        if name not in present:
            raise DataError(f"--subsets: the dataset has no subset {shown(name)} (it has: "
                            f"{', '.join(printable(s) for s in present) or 'none'})")
    chosen = set(subsets or present)
    selected = [item for item in dataset if item.subset in chosen]
    _unique_ids(dataset, selected, chosen, ratios, report)
    units = _units(selected, group_by, dataset.categories.name_of)
    placed = assign(units, ratios, seed=seed, stratify=stratify == "label")
    for unit in units:
        for item in unit.items:
            item.subset = placed[id(unit)]
    dataset.replace_items(list(dataset))
    result = SplitResult(dataset, ratios, seed, stratify, group_by, len(units))
    result.subsets = summarise(dataset, list(ratios))
    if report is not None:
        sizes = ", ".join(f"{name} {entry['items']}" for name, entry in result.subsets.items())
        report.info(f"split {len(selected)} items in {len(units)} units: {sizes}")
    return result


def _unique_ids(dataset: Dataset, selected: list[Item], chosen: set[str],
                ratios: dict[str, float], report: Report | None) -> None:
    """Make the ids of the items split unique among themselves and the kept subsets they
    may join: an id found more than once (``img0`` in Train and in Test) becomes
    ``<old subset>/<id>`` on the items split, and their image names likewise (two files of
    one name in one subset would overwrite each other), counted in the report. DataError when even
    that clashes."""
    kept = [item for item in dataset if item.subset not in chosen and item.subset in ratios]
    count = Counter(item.id for item in kept + selected)
    renamed = 0
    for item in selected:
        if count[item.id] > 1:
            item.id = f"{item.subset}/{item.id}"
            if item.image is not None:  # two files of one name in one subset would clash
                item.image = dataclasses.replace(item.image,
                                                 name=f"{item.subset}/{item.image.name}")
            renamed += 1
    seen: dict[str, str] = {}
    for item in kept + selected:
        if item.id in seen:
            raise DataError(f"item {shown(item.id)} is in subsets {printable(seen[item.id])} "
                            f"and {printable(item.subset)} even with its old subset in "
                            f"front; a split gives every item one subset, so ids must be "
                            f"unique (split one subset with --subsets)")
        seen[item.id] = item.subset
    if report is not None:
        report.approximated("item ids and image names", "found in several subsets: the old subset put in "
                            "front (split)", renamed)


def summarise(dataset: Dataset, first: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Items, annotations and annotations per label of each subset (``first`` ones first,
    then the others in dataset order)."""
    out: dict[str, dict[str, Any]] = {name: {"items": 0, "annotations": 0, "labels": {}}
                                      for name in first}
    for item in dataset:
        entry = out.setdefault(item.subset, {"items": 0, "annotations": 0, "labels": {}})
        entry["items"] += 1
        entry["annotations"] += len(item.annotations)
        labels = entry["labels"]
        for ann in item.annotations:
            name = dataset.categories.name_of(ann.label)
            if name is not None:
                labels[name] = labels.get(name, 0) + 1
    for entry in out.values():
        entry["labels"] = dict(sorted(entry["labels"].items()))
    return out
