"""Which top-level keys of an ``extra`` dict are other formats' namespaces.

COCO keeps its own unknown record keys at the top level of ``extra`` (the importer reuses
the parsed record), so a name alone cannot tell them from another plugin's namespace. The
rule (see cococonv/model.py): a key is foreign when its value is a dict and its name is a
namespace some plugin of the run declares, other than COCO's own. Such keys are neither
written nor read; they are counted lost.

The run's namespaces are asked for only when a dict-valued key COCO does not know turns
up: finding them loads every plugin, which a plain COCO round trip need not pay for.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Keys the COCO importer and exporter themselves keep in ``extra``: never a namespace.
COCO_KEYS = frozenset({"bbox", "area", "coco_task", "num_keypoints", "_attributes_empty",
                       "_attributes", "_no_category"})
OWN_NAMESPACE = "coco"
#: What the COCO importer keeps of an image in ``Item.extra``: never a namespace either
#: (judged without asking for the namespaces, which would load every plugin).
ITEM_KEYS = frozenset({"coco_image", "coco_panoptic"})


class ForeignKeys:
    """Judges ``extra`` keys for one export, remembering the names judged so far."""

    def __init__(self, namespaces: Callable[[], frozenset[str]]):
        self._find = namespaces
        self._namespaces: frozenset[str] | None = None
        self._plain = set(COCO_KEYS | ITEM_KEYS)  # names that are no namespace of this run
        self.found: set[str] = set()  # names met holding another format's fields

    def namespaces(self) -> frozenset[str]:
        if self._namespaces is None:
            # the run's Namespaces keep their source fields through "-" (foreign_fields)
            self._namespaces = self._find() - {OWN_NAMESPACE}
        return self._namespaces

    def of(self, extra: Mapping[str, Any]) -> list[str]:
        """The keys of ``extra`` that are other formats' namespaces."""
        unknown = extra.keys() - self._plain
        if not unknown:
            return []
        foreign = []
        for key in unknown:
            if type(extra[key]) is dict:
                if key in self.namespaces():
                    foreign.append(key)
                    self.found.add(key)
                else:
                    self._plain.add(key)
            elif self._namespaces is not None and key not in self._namespaces:
                self._plain.add(key)
        return foreign
