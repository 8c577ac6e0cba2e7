"""The class names a VOC read finds, resolved into labels once every file is read.

XML objects, parts and class lists name their labels as text; the label map in force (the
file's, the VOC one, or the names found) is only known at the end, so each annotation waits
here with its name and gets its label index in one pass.
"""
from __future__ import annotations

from cococonv.model import Annotation, Categories, LabelCategory
from cococonv.report import Report

from . import layout as L
from .labelmap import LabelEntry, LabelMap, default_voc


class FoundLabels:
    """Annotations waiting for their label, and the object, part and action names seen."""

    def __init__(self) -> None:
        self.pending: list[tuple[Annotation, str]] = []
        self.object_names: dict[str, None] = {}
        self.part_names: dict[str, None] = {}
        self.found_parts: dict[str, dict[str, None]] = {}
        self.found_actions: dict[str, dict[str, None]] = {}

    def add_object(self, ann: Annotation, name: str) -> None:
        self.pending.append((ann, name))
        self.object_names.setdefault(name, None)

    def add_part(self, part: Annotation, part_name: str, parent: str) -> None:
        self.pending.append((part, part_name))
        self.part_names.setdefault(part_name, None)
        self.found_parts.setdefault(parent, {})[part_name] = None

    def add_actions(self, parent: str, actions: list[str]) -> None:
        self.found_actions.setdefault(parent, {}).update(dict.fromkeys(actions))

    def resolve(self, declared: LabelMap | None, has_masks: bool, report: Report) -> LabelMap:
        """The label map in force: the file's, the VOC one, or the names found (flat sets
        with their own classes and no masks)."""
        names = [n for n in self.object_names]
        if declared is not None:
            label_map = declared.without_void_entry(set(names))
        elif has_masks or all(n in L.VOC_CLASSES for n in names):
            label_map = default_voc()
        else:
            label_map = LabelMap([LabelEntry(n) for n in names], "found")
        known = set(label_map.names())
        unknown = [n for n in names if n not in known]
        if unknown:
            where = {"labelmap": "labelmap.txt", "class_names": "class_names.txt"}.get(
                label_map.source, "the VOC label map")
            shown = ", ".join(unknown[:10]) + (", ..." if len(unknown) > 10 else "")
            report.warn(f"{len(unknown)} class name(s) not in {where} added as labels: "
                        f"{shown}")
            label_map.entries.extend(LabelEntry(n) for n in unknown)
        for parent, parts in self.found_parts.items():
            entry = label_map.get(parent)
            if entry is not None:
                entry.parts.extend(p for p in parts if p not in entry.parts)
        for parent, actions in self.found_actions.items():
            entry = label_map.get(parent)
            if entry is not None:
                entry.actions.extend(a for a in actions if a not in entry.actions)
        return label_map

    def categories(self, label_map: LabelMap, *, declared_parts: bool = False) -> Categories:
        """The model's labels (the map's, then the parts it lacks); every waiting
        annotation gets its index. ``declared_parts``: a read without XMLs (no ``<part>``
        to find) also takes the part labels a labelmap.txt declares, which would vanish."""
        categories = Categories()
        for index, entry in enumerate(label_map.entries):
            categories.labels.append(LabelCategory(entry.name))
            if entry.color is not None:
                categories.colormap[index] = entry.color
        index_of = {label.name: i for i, label in enumerate(categories.labels)}
        # the built-in VOC map's head/hand/foot are no statement about this dataset
        declared = (p for entry in label_map.entries for p in entry.parts) \
            if declared_parts and label_map.source == "labelmap" else ()
        for part in [*self.part_names, *declared]:
            if part not in index_of:
                index_of[part] = len(categories.labels)
                categories.labels.append(LabelCategory(part))
        for ann, name in self.pending:
            ann.label = index_of[name]
        self.pending = []
        return categories
