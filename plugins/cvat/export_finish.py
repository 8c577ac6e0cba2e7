"""The last phase of the CVAT export: annotations.xml from the items' pieces, the saved
images, and the report in the order one pass made it."""
from __future__ import annotations

import os
from collections.abc import Iterable

from cococonv.errors import DataError
from cococonv.images import save_images
from cococonv.model import Item
from cococonv.report import Report
from cococonv.xmlsafe import fragment_problem

from .export_item import ItemPiece
from .export_plan import CvatPlan

FILE_NAME = "annotations.xml"

#: Pieces are checked for characters XML cannot hold this many string parts at a time
#: (one regex scan of the joined text; per item only when it fails).
_CHECK_PARTS = 4096

_REASONS = {
    "captions": "CVAT has no captions",
    "image labels without a class": "a CVAT tag needs a label",
    "image ids and fields": "CVAT numbers images by frame and keeps no other image fields "
                            "(e.g. COCO image id, license)",
    "annotation ids": "CVAT for images has no annotation ids",
    "task meta": "images that name their subset need a project meta, one task per subset "
                 "(Datumaro reads none of them under a task meta)",
    "undeclared attributes": "--no-allow-undeclared-attributes",
    "empty masks": "CVAT cannot hold an empty mask",
    "VOC void (255) regions": "CVAT has no void; import VOC with --void-regions crowd to "
                              "carry them as masks of the background label",
    "empty point sets": "CVAT cannot hold an empty points shape",
    "keypoints beyond their label's names": "a CVAT skeleton has one node per name",
    "keypoint visibility": "CVAT <points> are all visible (no keypoint schema for a skeleton)",
}


def finish_export(plan: CvatPlan, results: Iterable[ItemPiece], report: Report) -> None:
    """Write annotations.xml (the planned head, each item's piece in item order, the tail),
    then the images with --save-images, then the losses."""
    lost = dict(plan.lost)
    os.makedirs(plan.out, exist_ok=True)
    with open(os.path.join(plan.out, FILE_NAME), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(plan.head)
        chunk: list[tuple[Item, str]] = []
        parts = 0
        for (item, _frame), (text, count, item_lost, approx) in zip(plan.items, results):
            for what, n in item_lost.items():
                lost[what] = lost.get(what, 0) + n
            for (what, how), n in approx.items():
                report.approximated(what, how, n)
            chunk.append((item, text))
            parts += count
            if parts > _CHECK_PARTS:
                fh.write(_writable(chunk, report))
                chunk, parts = [], 0
        fh.write(_writable(chunk, report))
        fh.write(plan.tail)
    if plan.save_images:
        _save_images(plan, report)
    for what, count in lost.items():
        report.lost(what, _REASONS.get(what, "CVAT cannot hold them"), count)


def _writable(chunk: list[tuple[Item, str]], report: Report) -> str:
    """The chunk's text without the images XML cannot hold (a NUL in a name or an
    attribute): one scan of the joined text, and per image only when it fails."""
    text = "".join(piece for _item, piece in chunk)
    if fragment_problem(text) is None:
        return text
    kept = []
    for item, piece in chunk:
        problem = fragment_problem(piece)
        if problem is None:
            kept.append(piece)
        else:
            report.bad_record(DataError(problem, where=f"image {item.id!r}"))
    return "".join(kept)


def _save_images(plan: CvatPlan, report: Report) -> None:
    def destination(item: Item) -> str:
        folder = f"images/{item.subset}" if plan.per_subset_images else "images"
        return f"{folder}/{plan.file_name(item)}"

    save_images([item for item, _frame in plan.items], plan.out, destination, report,
                ext=plan.ext)
