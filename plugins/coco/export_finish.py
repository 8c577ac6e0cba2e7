"""The COCO export's finish: each result's records go to the part files of its subset's
task files as they arrive (ids assigned here, in item order), then each file is written
from its parts and the report gets its entries in the one-pass writer's order: per
subset, cropping, then per task file its category warnings, its records' losses and its
id or PNG-name warnings, then what no task took, then the saved images."""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable

from cococonv import foreign_fields as FF
from cococonv.fileio import dumps_json, write_bytes
from cococonv.images import NOT_AN_IMAGE
from cococonv.paths import join_inside
from cococonv.report import Report

from . import tasks as T
from .crop import report_cropped
from .export_item import ItemPiece, Records
from .export_plan import CocoPlan, SubsetPlan
from .json_parts import PartWriter, encode_record, join_with_ids
from .tally import Tally


class _FileParts:
    """The growing annotation list of one task file, with its id counter."""

    def __init__(self, path: str | None, next_id: int, reindex: bool):
        self.part = PartWriter(path)
        self.next_id = next_id
        self.reindex = reindex
        # Ids a numbered record must avoid. An integer below the first free id never
        # meets the counter (it only grows from there), so only the others are kept: not
        # a set of every id written (6 million ints: ~400 MB for a 3 GB file).
        self.floor = next_id
        self.used: set = set()
        self.zero = False  # an id 0 was written (COCOeval reads it as "no match")
        self.tally = Tally()

    def add(self, records: Records) -> None:
        source_ids, pieces, plains = records
        count = len(pieces)
        if source_ids is None:  # a panoptic record, whole
            self.part.add(pieces[0], 1, plains)
            return
        if self.reindex:  # ids 1..N: no 0, nothing to avoid
            start = self.next_id
            self.next_id += count
            ids = [b'{"id":%d' % rid for rid in range(start, self.next_id)]
            self.part.add(join_with_ids(ids, pieces), count, plains)
            return
        used = self.used
        ids = []
        for k, rid in enumerate(source_ids):
            if rid is None:
                while self.next_id in used:
                    self.next_id += 1
                rid = self.next_id
                self.next_id += 1
            if type(rid) is not int or rid >= self.floor:
                used.add(rid)
            if rid == 0:
                self.zero = True
            if type(rid) is int:
                ids.append(b'{"id":%d' % rid)
            else:
                encoded, plain = encode_record(rid)
                if not plain:
                    plains = plains or [True] * count
                    plains[k] = False
                ids.append(b'{"id":' + encoded)
        self.part.add(join_with_ids(ids, pieces), count, plains)


def finish_export(plan: CocoPlan, results: Iterable[ItemPiece], report: Report, scratch: str,
                  write_json: Callable[..., None]) -> None:
    """Consume the results in item order, then write every task file and the report."""
    images: dict[str, PartWriter] = {}
    files: dict[tuple[str, str], _FileParts] = {}
    cropped: dict[str, int] = {}
    saved: dict[str, list[int]] = {}
    def part_path(name: str) -> str | None:  # None: kept in memory (plan.parts_in_memory)
        return None if plan.parts_in_memory else os.path.join(scratch, name)

    for name, subset in plan.subsets.items():
        k = len(images)
        images[name] = PartWriter(part_path(f"images-{k}.part"))
        cropped[name] = 0
        saved[name] = [0, 0, 0, 0]
        for j, task in enumerate(subset.tasks):
            files[(name, task)] = _FileParts(part_path(f"ann-{k}-{j}.part"),
                                             subset.first_free_id, plan.options["reindex"])
    files_of = {name: [files[(name, task)] for task in subset.tasks]
                for name, subset in plan.subsets.items()}
    for entry, (image, pieces, crop_count, image_state) in zip(plan.items, results):
        name = entry.item.subset
        images[name].add(image[0], 1, None if image[1] else [False])
        if crop_count:
            cropped[name] += crop_count
        if image_state:
            saved[name][image_state] += 1
        for parts, (records, tally) in zip(files_of[name], pieces):
            if records:
                parts.add(records)
            if tally is not None:
                parts.tally.add(tally)
    foreign: Counter[str] = Counter()  # other formats' fields, over every subset
    for name, subset in plan.subsets.items():
        images[name].close()
        if plan.options["crop_covered"]:
            report_cropped(report, cropped[name])
        for task in subset.tasks:
            _write_file(plan, subset, task, images[name], files[(name, task)], report,
                        write_json)
        _count_unwritten(subset, report, foreign)
        if plan.options["save_images"]:
            report.lost("images", "not present in the input", saved[name][2])
            report.lost("images", NOT_AN_IMAGE, saved[name][3])
    _count_foreign(foreign, report)
    # Datumaro (what CVAT imports COCO with) refuses a COCO folder without images/.
    os.makedirs(os.path.join(plan.out_dir, "images"), exist_ok=True)
    if plan.options["save_dataset_meta"]:
        _write_dataset_meta(plan)
    else:
        report.lost("label colours", "COCO has no colours (--save-dataset-meta keeps "
                    "them)", len(plan.categories.colormap))


def _write_file(plan: CocoPlan, subset: SubsetPlan, task: str, images: PartWriter,
                parts: _FileParts, report: Report, write_json: Callable[..., None]) -> None:
    file = subset.files[task]
    for message in file.warnings:
        report.warn(message)
    parts.part.close()
    parts.tally.replay(report)
    if parts.zero and task in (T.INSTANCES, T.PERSON_KEYPOINTS, T.STUFF):
        # COCOeval stores matches as annotation ids with 0 for "no match": an object
        # with id 0 never counts as matched (AP 0.0 where --reindex gives 1.0).
        report.warn(f"annotations/{T.file_name(task, subset.name)}: annotation id 0 "
                    f"is kept; pycocotools' COCOeval reads id 0 as 'no match' and "
                    f"scores that object as missed: use --reindex for ids 1..N")
    if task == T.PANOPTIC and subset.panoptic is not None:
        subset.panoptic.report(report)
    path = join_inside(plan.out_dir, f"annotations/{T.file_name(task, subset.name)}",
                       what="subset")
    sections: list[tuple[str, PartWriter | None]] = [("images", images)]
    if file.has_annotations:
        sections.append(("annotations", parts.part))
    write_json(path, file.head, sections, {"categories": file.categories},
               indent=plan.options["indent"])
    parts.part.discard()


def _count_unwritten(subset: SubsetPlan, report: Report, foreign: Counter[str]) -> None:
    """Report this subset's objects no written task takes, and what COCO cannot hold
    (other formats' fields are added to ``foreign``, reported once for all subsets)."""
    lost: dict[str, int] = {}
    for task, count in subset.counts.items():
        if subset.routes.get(task) is None:
            lost[task] = lost.get(task, 0) + count
    for task, count in lost.items():
        report.lost(f"{task} annotations", f"task {task} not in --tasks", count)
    stats = subset.stats
    report.lost("images' VOC void (255) regions", "COCO has no void; import VOC "
                "with --void-regions crowd to keep them", stats["void"])
    report.lost("z_order values", "COCO has no drawing order (--crop-covered applies "
                "it)", stats["z_order"])
    foreign.update({key: count for key, count in stats.items()
                    if key.startswith(("ns:", "field:"))})
    why = "COCO image records keep only COCO's own fields"
    report.lost("image attributes", why, stats["image_attributes"])
    for key, count in stats.items():
        if key.startswith("image_field:"):
            report.lost(FF.what(key[len("image_field:"):], "image"), why, count)


def _count_foreign(stats: Counter[str], report: Report) -> None:
    """One line per other format whose annotation fields COCO cannot hold, naming them."""
    fields: dict[str, list[str]] = {}
    for key in stats:
        if key.startswith("field:"):
            namespace, name = key[len("field:"):].split(":", 1)
            fields.setdefault(namespace, []).append(name)
    for key in sorted(k for k in stats if k.startswith("ns:")):
        namespace = key[len("ns:"):]
        names = sorted(fields.get(namespace, []))
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        report.lost(f"annotations' {namespace} fields ({shown})",
                    f"COCO has no place for them (a {namespace} export writes them back)",
                    stats[key])


def _write_dataset_meta(plan: CocoPlan) -> None:
    cats = plan.categories
    meta = {
        "labels": [{"name": label.name, "id": plan.category_ids[i], "parent": label.parent}
                   for i, label in enumerate(cats.labels)],
        "keypoints": {cats.labels[i].name: {"names": s.names, "skeleton": s.skeleton}
                      for i, s in cats.keypoints.items()},
        "colormap": {cats.labels[i].name: list(rgb) for i, rgb in cats.colormap.items()},
    }
    write_bytes(os.path.join(plan.out_dir, "dataset_meta.json"), dumps_json(meta, indent=True))
