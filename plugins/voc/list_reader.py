"""The ImageSets lists of a VOC read: subset membership, class flags and action flags.

A subset list (``train.txt``), a class list (``cat_train.txt``: ``<id> 1|-1|0``) and an action
list (``jumping_train.txt``: ``<id> <object> 1|-1|0``) share a folder; lists.py says how they
are told apart. A list that is the union of others (trainval) is read once.
"""
from __future__ import annotations

import posixpath
from typing import Any

from cococonv.errors import DataError
from cococonv.report import Report
from cococonv.sources import Tree

from . import layout as L
from .labelmap import LabelMap, utf8_text
from .lists import FLAG_FOLDERS, plain_id, split_action, split_flag
from .scan import VocSource


class ListReader:
    """Reads the lists of the run's tasks; ``item_keys`` orders the items to read."""

    def __init__(self, tree: Tree, report: Report, source: VocSource, tasks: set[str],
                 declared: LabelMap | None, tasks_found: set[str]):
        self.tree = tree
        self.report = report
        self.source = source
        self.tasks = tasks
        self.declared = declared
        self.tasks_found = tasks_found
        self.union_lists: dict[str, dict[str, list[str]]] = {}

    def read(self) -> tuple[dict[str, list[str]], dict, dict]:
        """Subset membership from the task lists, plus class and action flags."""
        wanted = {L.LIST_FOLDER[task] for task in self.tasks}
        known = set(L.VOC_CLASSES) | set(L.VOC_ACTIONS)
        if self.declared is not None:
            for entry in self.declared.entries:
                known.add(entry.name)
                known.update(entry.actions)
        memberships: dict[str, list[str]] = {}
        class_flags: dict[tuple[str, str], list[tuple[str, int]]] = {}
        action_flags: dict[tuple[str, str], list[tuple[str, int | None, int]]] = {}
        flagged: dict[str, list[str]] = {}
        for folder in L.LIST_FOLDERS:
            if folder not in wanted:
                continue
            paths = self.source.lists.get(folder, [])
            stems = {posixpath.splitext(posixpath.basename(p))[0]: p for p in paths}
            subset_lists: dict[str, list[str]] = {}
            for stem, rel in stems.items():
                name, subset, rows = self._list_kind(folder, stem, rel, known, set(stems))
                if name is None:
                    subset_lists[subset] = rows
                elif folder == "Main":
                    if L.CLASSIFICATION in self.tasks:
                        self.tasks_found.add(L.CLASSIFICATION)
                        for item_id, flag in rows:
                            class_flags.setdefault((subset, item_id), []).append((name, flag))
                            flagged.setdefault(subset, []).append(item_id)
                else:
                    for item_id, index, flag in rows:
                        action_flags.setdefault((subset, item_id), []).append(
                            (name, index, flag))
            subset_lists = self._drop_unions(folder, subset_lists)
            if subset_lists and folder != "Main":
                self.tasks_found.add({"Segmentation": L.SEGMENTATION, "Layout": L.LAYOUT,
                                      "Action": L.ACTION}[folder])
            for subset, ids in subset_lists.items():
                memberships.setdefault(subset, []).extend(ids)
        for subset, ids in flagged.items():
            memberships.setdefault(subset, []).extend(ids)
        return memberships, class_flags, action_flags

    def _lines(self, rel: str) -> list[tuple[int, str]]:
        """The stripped, non-comment lines of a list (ids may hold spaces: lists.py); bytes
        that are not UTF-8 are a DataError, as in a label map: a replacement character
        would make an item id no file of the dataset has."""
        text = utf8_text(self.tree.read_bytes(rel), self.tree.display(rel))
        found = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line and not line.startswith("#"):
                found.append((number, line))
        return found

    def _list_kind(self, folder: str, stem: str, rel: str, known: set[str],
                   stems: set[str]) -> tuple[str | None, str, list[Any]]:
        """``(class or action, subset, flag rows)`` of a class or action list, or
        ``(None, subset, ids)`` of a subset list (how they are told apart: lists.py)."""
        lines = self._lines(rel)
        name, subset = (None, stem)
        if folder in FLAG_FOLDERS:
            name, subset = L.split_list_name(stem, known, stems - {stem})
        if name is None:
            return None, stem, [self._plain_id(line, folder, stem) for _n, line in lines]
        parse = split_flag if folder == "Main" else split_action
        rows = [parse(line) for _n, line in lines]
        bad = [i for i, row in enumerate(rows) if row is None]
        if bad and (len(bad) == len(rows) or name not in known):
            self.report.info(f"{self.tree.display(rel)}: read as the list of subset {stem!r} "
                             f"(its lines are not '<id> <flag>')")
            return None, stem, [self._plain_id(line, folder, stem) for _n, line in lines]
        if bad and folder == "Main" and L.CLASSIFICATION not in self.tasks:
            return name, subset, []  # a class list the run does not read
        if bad:
            number, line = lines[bad[0]]
            shape = "<id> 1|-1|0" if folder == "Main" else "<id> [<object>] 1|-1|0"
            raise DataError(f"expected '{shape}', got {line!r}",
                            file=self.tree.display(rel), where=f"line {number}")
        return name, subset, rows

    def _plain_id(self, line: str, folder: str, subset: str) -> str:
        """The item id of a plain-list line: a Layout or Action line may end with an object
        index, but an id may hold spaces too (``x 1``), so a line that names an annotation
        file whole is that file's id, not ``x`` with object 1."""
        if self.source.data_key(subset, line) in self.source.xmls:
            return line
        return plain_id(line, folder)

    def _drop_unions(self, folder: str, lists: dict[str, list[str]]) -> dict[str, list[str]]:
        """Leave out a list that is exactly the union of disjoint others (trainval = train +
        val), so its images are not read twice; the exporter writes it back."""
        sets = {name: set(ids) for name, ids in lists.items()}
        unions: dict[str, list[str]] = {}
        for name, ids in sets.items():
            parts = [other for other, o_ids in sets.items()
                     if other != name and o_ids and o_ids < ids]
            if len(parts) < 2 or sum(len(sets[p]) for p in parts) != len(ids):
                continue
            if set().union(*(sets[p] for p in parts)) == ids:
                unions[name] = sorted(parts)
        if unions:
            self.union_lists[folder] = unions
            self.report.info(f"ImageSets/{folder}: " + ", ".join(
                f"{n} = {' + '.join(p)}" for n, p in unions.items()) + " (read once)")
        return {name: ids for name, ids in lists.items() if name not in unions}

    def item_keys(self, memberships: dict[str, list[str]]) -> list[tuple[str, str]]:
        keys: dict[tuple[str, str], None] = {}
        listed: set[str] = set()
        for subset, ids in memberships.items():
            for item_id in ids:
                keys.setdefault((subset, item_id), None)
                listed.add(item_id)
        source = self.source
        found: dict[str, None] = {}
        if self.tasks & {L.DETECTION, L.LAYOUT, L.ACTION}:
            found.update(dict.fromkeys(source.xmls))
        if L.SEGMENTATION in self.tasks:
            found.update(dict.fromkeys(source.class_masks))
            found.update(dict.fromkeys(source.object_masks))
        if len(self.tasks) == len(L.TASKS) and not source.flat:
            found.update(dict.fromkeys(source.images))
        extra: list[tuple[str, str]] = []
        for key in found:
            if source.flat and source.flat_subsets:
                subset = source.flat_subsets[key]
                extra.append((subset, key[len(subset) + 1:]))
            elif key not in listed:
                extra.append(("default", key))
        for subset, item_id in sorted(extra):
            keys.setdefault((subset, item_id), None)
        return list(keys)
