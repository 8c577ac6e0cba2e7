"""The item ids a VOC export writes, checked and mapped before any file is written.

VOC names every file after the item id (``Annotations/<id>.xml``, ``JPEGImages/<id>.jpg``,
``SegmentationClass/<id>.png``) whatever the subset, and lists ids one per line in
``ImageSets`` lists (``lists.py``). So, through ``cococonv.paths``:

- an id or subset that would leave the output (``..``, absolute, a drive) or that a list
  line cannot hold (a newline, a tab or another control character; whitespace at either
  end, which line readers strip) is a bad record: exit 1 naming it, or skipped under
  --on-error skip|warn. Spaces inside an id are kept (``IMG 0001``), as Datumaro does;
- an id found in several subsets is written as ``<subset>/<id>`` in each of them (its
  files go to ``Annotations/<subset>/<id>.xml`` ...), counted and named in a warning;
- two items still mapping to one id (``a\\b`` and ``a/b``) are an error naming both;
- a subset whose name holds ``_`` is written with ``-`` instead (``hard_val`` -> ``hard-val``),
  named in a warning: ``ImageSets/Main/<a>_<b>.txt`` is the class list of class ``<a>`` for
  subset ``<b>``, so Datumaro (CVAT's importer) never reads a subset list with ``_`` in its
  name, and ``hard_val.txt`` beside ``val.txt``, or subset ``cat_train`` beside label
  ``cat``'s list for ``train``, would be ambiguous or one file. Without ``_`` in subsets,
  every list name is one (class, subset) pair (``lists.list_name``).
"""
from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import replace

from cococonv.errors import DataError
from cococonv.model import Dataset, Item
from cococonv.paths import safe_relpath, safe_segment, writable
from cococonv.report import Report
from cococonv.tailnames import TailNames


def writable_ids(dataset: Dataset, report: Report, *, save_images: bool,
                 image_ext: str | None) -> Dataset:
    """``dataset`` with every item id VOC can write (mapped as the module says)."""
    subsets_of: dict[str, list[str]] = {}
    for item in dataset:
        subsets_of.setdefault(item.id, []).append(item.subset)
    repeated = {item_id: subsets for item_id, subsets in subsets_of.items()
                if len(subsets) > 1}
    counts: Counter[str] = Counter()
    safe_subsets: set[str] = set()
    subset_names = list_subsets(dataset.subsets, report)
    tails = TailNames("item id")

    def prepare(item: Item) -> tuple[Item, tuple[str]]:
        if item.subset not in safe_subsets:
            safe_segment(item.subset, what="subset")
            safe_subsets.add(item.subset)
        rel = tails.relpath(item.id, what="item id")
        if rel != rel.strip():
            raise DataError(f"item id {item.id!r} starts or ends with whitespace, which "
                            f"VOC's ImageSets list lines lose")
        subset = subset_names.get(item.subset, item.subset)
        if item.id in repeated:
            rel = f"{subset}/{rel}"
            counts["repeated"] += 1
        if save_images and item.image is not None and not image_ext:
            safe_relpath(rel + posixpath.splitext(item.image.name)[1], what="image file name")
        if rel == item.id and subset == item.subset:
            return item, (rel,)
        return replace(item, id=rel, subset=subset), (rel,)

    result = writable(dataset, report, prepare)
    tails.report(report)
    if repeated:
        item_id, subsets = next(iter(repeated.items()))
        report.warn(f"{len(repeated)} item id(s) are in several subsets (e.g. {item_id!r} in "
                    f"{' and '.join(map(repr, subsets[:2]))}); VOC files are per id, so "
                    f"they are written as <subset>/<id>")
        report.approximated("item ids found in several subsets", "written as <subset>/<id>",
                            counts["repeated"])
    return result


def list_subset(subset: str) -> str:
    """The name VOC lists give ``subset``: ``_`` written as ``-`` (see the module)."""
    return subset.replace("_", "-")


def list_subsets(subsets: list[str], report: Report) -> dict[str, str]:
    """``{subset: written name}`` for the subsets whose name changes, reported; two
    subsets that would share a name (``a_b`` and ``a-b``) are an error naming both."""
    mapped: dict[str, str] = {}
    taken = {name: name for name in subsets if list_subset(name) == name}
    for name in subsets:
        new = list_subset(name)
        if new == name:
            continue
        other = taken.get(new)
        if other is not None:
            raise DataError(f"subsets {other!r} and {name!r} would both be written as VOC "
                            f"subset {new!r} (a '_' in a subset name is written as '-', see "
                            f"docs/formats/voc.md); rename one")
        taken[new] = name
        mapped[name] = new
    if mapped:
        shown = ", ".join(f"{a!r} as {b!r}" for a, b in list(mapped.items())[:3])
        report.warn(f"{len(mapped)} subset name(s) hold '_', which VOC readers (Datumaro) take "
                    f"for <class>_<subset>.txt class lists; written with '-': {shown}")
    return mapped
