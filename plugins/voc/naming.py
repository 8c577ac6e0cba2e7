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
- two items still mapping to one id (``a\\b`` and ``a/b``) are an error naming both.
"""
from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import replace

from cococonv.errors import DataError
from cococonv.model import Dataset, Item
from cococonv.paths import safe_relpath, safe_segment, writable
from cococonv.report import Report


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

    def prepare(item: Item) -> tuple[Item, tuple[str]]:
        if item.subset not in safe_subsets:
            safe_segment(item.subset, what="subset")
            safe_subsets.add(item.subset)
        rel = safe_relpath(item.id, what="item id")
        if rel != rel.strip():
            raise DataError(f"item id {item.id!r} starts or ends with whitespace, which "
                            f"VOC's ImageSets list lines lose")
        if item.id in repeated:
            rel = f"{item.subset}/{rel}"
            counts["repeated"] += 1
        if save_images and item.image is not None and not image_ext:
            safe_relpath(rel + posixpath.splitext(item.image.name)[1], what="image file name")
        return (item if rel == item.id else replace(item, id=rel)), (rel,)

    result = writable(dataset, report, prepare)
    if repeated:
        item_id, subsets = next(iter(repeated.items()))
        report.warn(f"{len(repeated)} item id(s) are in several subsets (e.g. {item_id!r} in "
                    f"{' and '.join(map(repr, subsets[:2]))}); VOC files are per id, so "
                    f"they are written as <subset>/<id>")
        report.approximated("item ids found in several subsets", "written as <subset>/<id>",
                            counts["repeated"])
    return result
