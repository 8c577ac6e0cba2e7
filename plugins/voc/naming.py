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
from collections.abc import Collection
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
    mapper = IdMapper(repeated, dataset.subsets, report, save_images=save_images,
                      image_ext=image_ext)
    result = writable(dataset, report, mapper)
    mapper.report(report, next(iter(repeated.items()), None))
    return result


class IdMapper:
    """``paths.writable``'s ``prepare`` for a VOC export: each item's id and subset as
    written (see the module), given the ids met more than once (``repeated``) and every
    subset name, in first-seen order (their ``_`` renaming is warned about here)."""

    def __init__(self, repeated: Collection[str], subsets: list[str], report: Report, *,
                 save_images: bool, image_ext: str | None):
        self.repeated = repeated
        self.subset_names = list_subsets(subsets, report)
        self.save_images, self.image_ext = save_images, image_ext
        self.safe_subsets: set[str] = set()
        self.tails = TailNames("item id")
        self.moved = 0  # items written as <subset>/<id>

    def __call__(self, item: Item) -> tuple[Item, tuple[str]]:
        if item.subset not in self.safe_subsets:
            safe_segment(item.subset, what="subset")
            self.safe_subsets.add(item.subset)
        rel = self.tails.relpath(item.id, what="item id")
        if rel != rel.strip():
            raise DataError(f"item id {item.id!r} starts or ends with whitespace, which "
                            f"VOC's ImageSets list lines lose")
        subset = self.subset_names.get(item.subset, item.subset)
        if item.id in self.repeated:
            rel = f"{subset}/{rel}"
            self.moved += 1
        if self.save_images and item.image is not None and not self.image_ext:
            safe_relpath(rel + posixpath.splitext(item.image.name)[1], what="image file name")
        if rel == item.id and subset == item.subset:
            return item, (rel,)
        return replace(item, id=rel, subset=subset), (rel,)

    def report(self, report: Report, example: tuple[str, list[str]] | None) -> None:
        """The warnings and counts of the ids mapped so far; ``example`` the first repeated
        id with its subsets (None: no id is repeated)."""
        self.tails.report(report)
        if example is None:
            return
        item_id, subsets = example
        report.warn(f"{len(self.repeated)} item id(s) are in several subsets (e.g. "
                    f"{item_id!r} in {' and '.join(map(repr, subsets[:2]))}); VOC files "
                    f"are per id, so they are written as <subset>/<id>")
        report.approximated("item ids found in several subsets", "written as <subset>/<id>",
                            self.moved)


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
