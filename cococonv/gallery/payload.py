"""The whole embedded data of a gallery: items of one or two inputs matched by subset and
file name, the shared label list with its colours, and what could not be shown."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..model import Item, Source
from ..report import Report
from .extract import LabelTable, annotation_records, item_key, item_size
from .palette import label_colours
from .pictures import picture_of

#: Decimals kept when side-by-side inputs are compared (a conversion that moves a box by
#: less than this is not a difference; the drawing itself keeps every digit).
COMPARE_DECIMALS = 3


def _mask_key(mask: dict[str, Any] | None) -> Any:
    """A mask as its size and its runs of ones, so a compressed string and a counts list
    of the same pixels compare equal (numpy only for side-by-side inputs with masks)."""
    if mask is None:
        return None
    from ..masks import counts_of

    try:
        runs = counts_of(mask).tolist()
    except (ValueError, TypeError, KeyError):
        return repr(mask)
    ones, at = [], 0
    for index, run in enumerate(runs):
        if index % 2 and run:
            ones.append((at, run))
        at += run
    return tuple(mask.get("size", ())), tuple(ones)


def _signature(records: list[dict[str, Any]]) -> list[str]:
    """What two inputs must share for an item to count as unchanged (with the image size):
    kind, label, crowd and geometry (ids and attributes are a format's bookkeeping and
    differ by design)."""
    out = []
    for rec in records:
        geometry = rec.get("g")
        if geometry is not None:
            geometry = [round(float(v), COMPARE_DECIMALS) for v in geometry]
        out.append(repr((rec["k"], rec["l"], rec.get("c", 0), geometry, rec.get("v"),
                         _mask_key(rec.get("m")), rec.get("t"), rec.get("r", 0))))
    return sorted(out)


class _Builder:
    def __init__(self, html_folder: str, embed: bool, inputs: int):
        self.html_folder = html_folder
        self.embed = embed
        self.inputs = inputs
        self.labels = LabelTable()
        self.subsets: dict[str, int] = {}
        self.items: list[dict[str, Any]] = []
        self.by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self.not_drawn: dict[str, int] = {}
        self.repeated = 0

    def add(self, position: int, item: Item, mapping: list[int]) -> None:
        key = item_key(item)
        entry = self.by_key.get(key)
        if entry is None:
            subset = self.subsets.setdefault(item.subset, len(self.subsets))
            entry = {"s": subset, "n": key[1], "src": None, "w": 0, "h": 0,
                     "a": [None] * self.inputs}
            self.by_key[key] = entry
            self.items.append(entry)
        elif entry["a"][position] is not None:
            # Two items of one input with one file name: keep both, never merge silently.
            self.repeated += 1
            entry = {"s": entry["s"], "n": f"{key[1]} ({item.id})", "src": None, "w": 0,
                     "h": 0, "a": [None] * self.inputs}
            self.items.append(entry)
        entry["a"][position] = annotation_records(item, mapping, self.not_drawn)
        size = item_size(item)
        if not entry["w"]:
            entry["w"], entry["h"] = size
        elif size[0] and size != (entry["w"], entry["h"]):
            entry["d"] = 1  # the inputs disagree on the image's size: a difference too
        if entry["src"] is None:
            entry["src"], entry["why"], size = picture_of(item, self.html_folder, self.embed)
            if size is not None and not entry["w"]:
                entry["w"], entry["h"] = size


def build_payload(sources: Sequence[Source], names: Sequence[str], html_path: str, *,
                  embed_images: bool = False, report: Report | None = None,
                  conversion_report: Any = None) -> dict[str, Any]:
    """The gallery's data for ``sources`` (one, or two shown side by side)."""
    folder = os.getcwd() if html_path == "-" else os.path.dirname(os.path.abspath(html_path))
    builder = _Builder(folder, embed_images,
                       len(sources))
    for position, source in enumerate(sources):
        mapping = builder.labels.add_categories(source.categories)
        items = source if report is None else report.progress(source)
        for item in items:
            builder.add(position, item, mapping)
    no_picture: dict[str, int] = {}
    for entry in builder.items:
        if builder.inputs > 1:
            sides = [_signature(a or []) for a in entry["a"]]
            if any(a is None for a in entry["a"]) or sides[0] != sides[1]:
                entry["d"] = 1
        why = entry.pop("why", None)
        if entry["src"] is None:
            del entry["src"]
            no_picture[why] = no_picture.get(why, 0) + 1
    labels = builder.labels
    return {
        "inputs": list(names),
        "labels": labels.names,
        "colours": label_colours(labels.names),
        "skeletons": {str(k): v for k, v in labels.skeletons.items()},
        "subsets": list(builder.subsets),
        "items": builder.items,
        "notDrawn": builder.not_drawn,
        "noPicture": no_picture,
        "repeatedNames": builder.repeated,
        "report": conversion_report,
    }
