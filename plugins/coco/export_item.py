"""The COCO export's per-item work (run in the engine's workers): the item's image record
and, per task file of its subset, its records as JSON bytes, its panoptic PNG and its
image copy."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from cococonv.images import copy_image, probe_size
from cococonv.model import SOURCE_ID, Annotation
from cococonv.outlines import OutlineRules, reform_outlines
from cococonv.paths import join_inside

from . import tasks as T
from .crop import crop_covered
from .export_plan import CocoPlan, ItemEntry, file_name_of
from .json_parts import encode_after_ids, encode_record
from .panoptic_writer import panoptic_objects, panoptic_record
from .record_maker import RecordMaker
from .annotation_records import item_records
from .tally import Tally
from .units import Unit, item_units

# (source ids, each record's bytes after its id (encode_after_ids), None or which ones
# msgspec wrote) and the tally; a panoptic record has no id (source ids None) and is
# written whole.
Records = tuple[list[Any] | None, list[bytes], list[bool] | None]
TaskPiece = tuple[Records | None, Tally | None]
ItemPiece = tuple[tuple[bytes, bool], list[TaskPiece], int, int]


#: --segmentation-mode as COCO's records need it (cococonv.outlines): whole COCO objects, crowd
#: RLE with list counts, declared boxes and areas kept; the objects are the item's units
#: (:func:`_recorded_objects`).
COCO_OUTLINES = OutlineRules(whole_objects=True, all_outlines=True, crowd_list_counts=True,
                             keep_measures=True, count_rasterised=False)


def _recorded_objects(units: list[Unit], routes: dict[str, str | None]
                      ) -> list[list[Annotation]]:
    """The item's objects that become object records: not those its panoptic PNG or no
    written task takes, nor an unlabelled one (the record step drops and counts it as it
    was read), so --segmentation-mode reports only what it changed in the records."""
    return [obj for task, obj in units if routes.get(task) not in (None, T.PANOPTIC)
            and (obj[0].label is not None or obj[0].extra.get("_no_category"))]


def export_item(plan: CocoPlan, entry: ItemEntry) -> ItemPiece:
    """``(image record, per-task pieces, objects cropped, image state)``; the image state is
    0 (not saved), 1 (saved), 2 (no image data) or 3 (not an image)."""
    item, iid, units = entry.item, entry.image_id, entry.units
    cropped = 0
    if plan.options["crop_covered"]:
        item, cropped = crop_covered(item)
        if cropped:
            units = item_units(item)
    subset = plan.subsets[item.subset]
    reformed = None
    if plan.options["segmentation_mode"] != "guess":
        reformed = Tally()
        annotations = reform_outlines(item, plan.options["segmentation_mode"], reformed,
                                      COCO_OUTLINES, _recorded_objects(units, subset.routes))
        if annotations is not None:
            item = replace(item, annotations=annotations)
            units = item_units(item)
    image = encode_record(_image_record(item, iid, plan.image_ext))
    pieces: list[TaskPiece] = []
    for task in subset.tasks:
        file = subset.files[task]
        maker = file.maker
        if maker is None:  # made once per process: most items report nothing
            maker = file.maker = RecordMaker(plan.options, plan.category_ids, file.file_ids,
                                             subset.routes, Tally(), plan.foreign)
        tally = maker.report
        if tally:
            tally = maker.report = Tally()
        if task == T.PANOPTIC:
            objects = panoptic_objects([obj for unit_task, obj in units
                                        if subset.routes.get(unit_task) == T.PANOPTIC])
            folder = os.path.join(plan.out_dir, "annotations", f"panoptic_{subset.name}")
            record, plain = encode_record(panoptic_record(maker, item, iid, objects, folder,
                                                          entry.png_name))
            pieces.append(((None, [record], None if plain else [False]), _taken(maker)))
            continue
        records = list(item_records(maker, task, item, iid, units)) \
            if file.has_annotations else []
        if records:
            source_ids = [record["id"] for record in records]
            pieces.append(((source_ids, *encode_after_ids(records)), _taken(maker)))
        else:
            pieces.append((None, _taken(maker)))
    if reformed and pieces:  # reported with the item's first task file, before its records
        first, tally = pieces[0]
        if tally is not None:
            reformed.add(tally)
        pieces[0] = (first, reformed)
    return image, pieces, cropped, _save_image(plan, item, entry.image_dest)


def _taken(maker: RecordMaker) -> Tally | None:
    """The item's tally when it holds anything (the maker gets a fresh one), else None."""
    tally = maker.report
    if not tally:
        return None
    maker.report = Tally()
    return tally


def _image_record(item: Any, iid: Any, image_ext: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"id": iid}
    image = item.image
    size = image.size if image is not None else None
    if size is None and image is not None and image.has_data:
        size = probe_size(image)
    if size is not None:
        record["width"] = size[1]
        record["height"] = size[0]
    if image is not None:
        record["file_name"] = file_name_of(item, image_ext)
    extra = item.extra.get("coco_image")
    if extra:
        for key, value in extra.items():
            record.setdefault(key, value)
    if SOURCE_ID in item.attributes:  # reindex --keep-source-ids: the image's previous id
        record.setdefault(SOURCE_ID, item.attributes[SOURCE_ID])
    return record


def _save_image(plan: CocoPlan, item: Any, dest: str | None) -> int:
    if not plan.options["save_images"]:
        return 0
    if dest is None:
        return 2
    dst = join_inside(plan.out_dir, dest, what="image file name")
    return 1 if copy_image(item.image, dst, plan.image_ext) else 3
