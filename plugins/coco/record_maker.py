"""What every record of one (task, subset) file is made with: the options, the file's
category ids, the subset's task routes, and the Tally its losses go to.

Runs in the export's workers: everything comes from the plan, nothing from the run.
"""
from __future__ import annotations

from typing import Any

from cococonv.model import Annotation

from .foreign import COCO_KEYS
from .grouping import LINK_ATTRIBUTE
from .tally import Tally

_OWN_ATTRS = ("is_crowd", "score")
_OWN_ATTRS_SET = frozenset(_OWN_ATTRS)


class RecordMaker:
    """The record-building context of one (task, subset) file."""

    def __init__(self, options: dict[str, Any], category_ids: list[Any],
                 file_ids: dict[int, Any], routes: dict[str, str | None], tally: Tally,
                 foreign: frozenset[str] = frozenset()):
        self.opts = options
        self.reindex = options["reindex"]
        self.category_ids = category_ids
        self.file_ids = file_ids
        self.routes = routes
        self.report = tally
        self.foreign = foreign  # other formats' namespaces the plan met (foreign.py)

    def category(self, label: int | None) -> Any:
        if label is None:
            return None
        return self.file_ids.get(label, self.category_ids[label]) if self.file_ids \
            else self.category_ids[label]

    def finish(self, record: dict, ann: Annotation, task: str,
               drop: tuple[str, ...] = (), attributes: dict | None = None) -> None:
        """Score, kept source keys and custom attributes (``attributes``: those of the
        whole object, when it joins several shapes; else the annotation's)."""
        attrs = ann.attributes if attributes is None else attributes
        if "score" in attrs:
            record["score"] = attrs["score"]
        if not ann.extra and attrs.keys() <= _OWN_ATTRS_SET:
            return  # nothing else to write: most records (no kept keys, no attributes)
        foreign = self.foreign
        for key, value in ann.extra.items():
            if key not in COCO_KEYS and not (key in foreign and type(value) is dict):
                record.setdefault(key, value)
        custom = {k: v for k, v in attrs.items() if k not in _OWN_ATTRS and k not in drop} \
            if not attrs.keys() <= _OWN_ATTRS_SET else {}
        verbatim = ann.extra.get("_attributes")
        if verbatim is not None:
            custom = verbatim
        if custom or ann.extra.get("_attributes_empty"):
            if self.opts["allow_attributes"]:
                record["attributes"] = custom
            else:
                self.report.lost("annotation attributes", "--no-allow-attributes", 1)

    def link(self, record: dict, group: int) -> None:
        """Keep a group that spans several records as ``attributes["group_id"]``."""
        if not self.opts["allow_attributes"]:
            self.report.lost("group links between objects (e.g. VOC layout parts)",
                             "--no-allow-attributes", 1)
            return
        record["attributes"] = {**record.get("attributes", {}), LINK_ATTRIBUTE: group}
