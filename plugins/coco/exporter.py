"""COCO exporters: ``coco`` (every task with content) and one per task.

Layout: ``annotations/<task>_<subset>.json``, ``images/<subset>/`` (``images/`` with
``--merge-images``), panoptic PNGs in ``annotations/panoptic_<subset>/``. Ids, values and
unknown keys the source had are written back unchanged unless ``--reindex`` or a changed
shape asks otherwise. Three phases: the plan (export_plan.py), each item's records as JSON
bytes (export_item.py, in the workers), and the finish (export_finish.py), which streams
them into per-file parts on disk and joins them, so memory tracks the model only.
"""
from __future__ import annotations

from typing import Any, ClassVar

from cococonv.context import Context
from cococonv.export_options import chosen_tasks
from cococonv.fileio import dumps_json  # noqa: F401  (tests replace it to simulate MemoryError)
from cococonv.images import normalise_ext, with_safe_image_name
from cococonv.model import Dataset, Item, Source
from cococonv.errors import DataError
from cococonv.paths import safe_segment, shown, writable
from cococonv.plugin import Exporter
from cococonv.tailnames import KeptAsData, TailNames, warn_kept_as_data

from . import tasks as T
from .export_finish import finish_export
from .export_item import export_item
from .export_options import OPTIONS
from .export_plan import CocoPlan, build_plan, file_name_of
from .foreign import ForeignKeys
from .json_parts import write_json


class CocoExporter(Exporter):
    """COCO: annotations/<task>_<subset>.json for every task with content, images/<subset>/.

    Writes the tasks the source had plus any task the data needs (instances for shapes,
    person_keypoints for keypoints, captions, labels, panoptic, stuff). Keypoints, captions
    and labels that a chosen task set cannot hold are reported, not dropped silently.
    """

    name = "coco"
    namespace = "coco"
    tasks: ClassVar[tuple[str, ...]] = T.TASKS
    # One task file; a run with several tasks (or --save-images) fails after writing them.
    single_file_suffixes: ClassVar[tuple[str, ...]] = (".json",)
    options = OPTIONS
    item_function = staticmethod(export_item)
    # workers only when enough items need masks, pixels or files (the plan counts them):
    # records alone cost less to make than to ship back
    light_items = True
    streams = True  # a stream's items are walked twice (plan, records), never held

    def plan(self, source: Source, out_dir: str, ctx: Context, **options: Any) -> CocoPlan:
        report = ctx.report
        chosen, explicit = chosen_tasks(self.name, self.tasks, options["tasks"])
        names = _OutputNames(options)
        dataset = writable(source, report, names)
        foreign = ForeignKeys(lambda: ctx.namespaces)
        if isinstance(dataset, Dataset):
            names.tails.report(report)
            if not options["save_images"]:
                warn_kept_as_data(dataset, report)
            return build_plan(dataset, out_dir, options, chosen, explicit=explicit,
                              foreign=foreign, count_heavy=ctx.jobs > 1)
        # A stream is walked once here (checked, surveyed and its names warned about)
        # and once more for the records.
        kept = KeptAsData()
        walked = map(kept.see, dataset) if not options["save_images"] else dataset
        plan = build_plan(dataset, out_dir, options, chosen, explicit=explicit,
                          foreign=foreign, walked=walked)
        names.tails.report(report)
        kept.warn(report)
        return plan

    def finish(self, plan: CocoPlan, results: Any, ctx: Context) -> None:
        finish_export(plan, results, ctx.report, ctx.scratch(), write_json)


class _OutputNames:
    """``paths.writable``'s check of the names that become output paths: the subset
    (``annotations/<task>_<subset>.json``, ``images/<subset>/``) and, with --save-images,
    the image file name."""

    def __init__(self, options: dict[str, Any]):
        self.opts = options
        self.safe_subsets: set[str] = set()
        self.tails = TailNames("image name")
        self.files: dict[tuple[str, str], str] = {}  # -> item id (not the item: a stream)

    def __call__(self, item: Item) -> tuple[Item, tuple[str, ...]]:
        if item.subset not in self.safe_subsets:
            safe_segment(item.subset, what="subset")
            self.safe_subsets.add(item.subset)
        self._one_image_per_file(item)
        image = item.image
        if not self.opts["save_images"] or image is None or not image.has_data:
            return item, ()
        item = with_safe_image_name(item, self.tails)
        folder = "images" if self.opts["merge_images"] else f"images/{item.subset}"
        return item, (f"{folder}/{file_name_of(item, normalise_ext(self.opts['image_ext']))}",)


    def _one_image_per_file(self, item: Item) -> None:
        """Two items of a subset naming one image file (two Label Studio tasks, or two
        LabelMe files, of one picture) would be two COCO images of one file_name, which
        COCO readers (ours too) refuse or merge."""
        if item.image is None:
            return
        key = (item.subset, file_name_of(item, normalise_ext(self.opts["image_ext"])))
        other = self.files.setdefault(key, item.id)
        if other != item.id:
            raise DataError(f"its image {shown(key[1])} is also the image of item "
                            f"{shown(other)}; a COCO file names each image once (merge "
                            f"the two, or --on-error skip to drop the later)")


class CocoInstancesExporter(CocoExporter):
    """COCO instances only: boxes, polygons and RLE masks in annotations/instances_<subset>.json."""

    name = "coco_instances"
    tasks = (T.INSTANCES,)


class CocoPersonKeypointsExporter(CocoExporter):
    """COCO person_keypoints only: keypoints, skeletons and their shapes."""

    name = "coco_person_keypoints"
    tasks = (T.PERSON_KEYPOINTS,)


class CocoCaptionsExporter(CocoExporter):
    """COCO captions only."""

    name = "coco_captions"
    tasks = (T.CAPTIONS,)


class CocoLabelsExporter(CocoExporter):
    """COCO labels only: image-level classes."""

    name = "coco_labels"
    tasks = (T.LABELS,)


class CocoPanopticExporter(CocoExporter):
    """COCO panoptic only: segments_info plus segment PNGs in annotations/panoptic_<subset>/."""

    name = "coco_panoptic"
    tasks = (T.PANOPTIC,)
    single_file_suffixes = ()  # its segment PNGs always sit beside the JSON


class CocoStuffExporter(CocoExporter):
    """COCO stuff only: stuff-class masks."""

    name = "coco_stuff"
    tasks = (T.STUFF,)


class CocoImageInfoExporter(CocoExporter):
    """COCO image_info only: the image list."""

    name = "coco_image_info"
    tasks = (T.IMAGE_INFO,)


TASK_EXPORTERS = (CocoInstancesExporter, CocoPersonKeypointsExporter, CocoCaptionsExporter,
                  CocoLabelsExporter, CocoPanopticExporter, CocoStuffExporter,
                  CocoImageInfoExporter)
