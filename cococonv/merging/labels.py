"""Labels unified by name across inputs; keypoint schemas of one name compared."""
from __future__ import annotations

import copy

from ..model import Categories
from .ids import IdPool, int_top
from .log import MergeLog


class LabelUnifier:
    """Grows the merged label list input by input and maps each input's label indices."""

    def __init__(self, categories: Categories, log: MergeLog, on_conflict: str):
        self.categories = categories
        self.log = log
        self.on_conflict = on_conflict
        self.ids = IdPool()

    def add(self, theirs: Categories, source: str) -> dict[int, int]:
        """The merged index of each of ``theirs`` labels (new names appended)."""
        ours = self.categories
        own_top = int_top(label.id for label in theirs.labels)
        remap: dict[int, int] = {}
        added = []
        for index, label in enumerate(theirs.labels):
            found = ours.find(label.name)
            if found is None:
                new = copy.deepcopy(label)
                if new.id is not None and not new.placeholder and \
                        self.ids.is_taken("", new.id):
                    new.id = self.ids.fresh("", own_top)
                    self.log.reassigned("category id", source, "", label.name, label.id,
                                        new.id)
                ours.labels.append(new)
                if not new.placeholder:  # a gap filler is never written: its id is free
                    added.append(new.id)
                found = len(ours.labels) - 1
            else:
                kept = ours.labels[found].id
                if label.id is not None and kept is not None and label.id != kept and \
                        not label.placeholder:
                    self.log.reassigned("category id", source, "", label.name, label.id, kept)
            remap[index] = found
            self._keypoints(theirs, index, found, source)
            if index in theirs.colormap and found not in ours.colormap:
                ours.colormap[found] = theirs.colormap[index]
        self.ids.take("", (value for value in added if value is not None))
        return remap

    def _keypoints(self, theirs: Categories, index: int, found: int, source: str) -> None:
        schema = theirs.keypoints.get(index)
        if schema is None:
            return
        mine = self.categories.keypoints.get(found)
        if mine is None:
            self.categories.keypoints[found] = copy.deepcopy(schema)
            return
        if mine == schema:
            return
        name = self.categories.labels[found].name
        detail = (f"points {mine.names} skeleton {mine.skeleton}, then points "
                  f"{schema.names} skeleton {schema.skeleton}")
        self.log.settle("keypoint schema", self.on_conflict, ("", name), "an earlier input",
                        source, detail, union="the earliest input's kept")
        if self.on_conflict == "last":
            self.categories.keypoints[found] = copy.deepcopy(schema)
