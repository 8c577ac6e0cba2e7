"""VOC exporters: ``voc`` (every task with content) and one per task.

Layout written: ``Annotations/<id>.xml``, ``ImageSets/<Task>/<subset>.txt`` (+ class and
action flag lists), ``SegmentationClass/`` and ``SegmentationObject/`` palette PNGs,
``JPEGImages/`` with ``--save-images``, ``labelmap.txt`` when the labels are not VOC's.
Each XML object is one model object: a box plus the parts and area shapes of its group;
area shapes without a box get one from the shape. What VOC cannot hold is reported.

The export runs in the three phases of ``cococonv.plugin.Exporter``: ``export_plan`` in the
parent, ``write_item_files`` per item (masks by ``mask_writer``, XML by ``xml_writer``), and
``export_finish`` for the lists, label map and report. A stream (the streaming COCO reader)
is walked twice, once for the plan and once for the files, and never held
(``stream_plan``).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from cococonv import export_options as shared
from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import Dataset, Source
from cococonv.plugin import Exporter, Option

from . import layout as L
from .export_finish import ItemResult, finish_export
from .export_plan import XML_TASKS, ItemUnits, Planner, Tally, VocPlan, make_plan
from .importer import COORDINATE_MODE
from .mask_writer import write_masks
from .stream_plan import plan_stream
from .xml_writer import wants_xml, write_xml

OPTIONS = (
    shared.save_images("JPEGImages/"),
    shared.image_ext(),
    shared.save_dataset_meta("the label map and its colours"),
    Option("apply_colormap", bool, True, "Write segmentation PNGs with the label colours as "
           "their palette; off writes grayscale index PNGs (same indices)."),
    Option("label_map", str, "source", "Label map of the masks and class lists: 'source' "
           "(the dataset's labels), 'voc' (the 21 VOC classes; other labels are reported "
           "lost) or the path of a labelmap.txt."),
    shared.allow_attributes("as <attributes> in each object"),
    Option("keep_empty", bool, False, "List every item in every written task list and write "
           "segmentation PNGs for items without masks (all background)."),
    shared.tasks(L.TASKS),
    COORDINATE_MODE,
)

def write_item_files(plan: VocPlan, entry: ItemUnits) -> ItemResult:
    """One item's PNGs and XML (the per-item phase, run in workers with ``--jobs``):
    whether masks were painted, and the loss and approximation counts it made, in order."""
    item, tally = entry.item, Tally()
    painted = False
    if L.SEGMENTATION in plan.active:
        try:
            painted = write_masks(plan, item, entry.units, tally)
        except DataError as err:  # a mask limit (docs/limits.md): name the item
            raise err.located(file=item.id) from None
    if plan.active & XML_TASKS and wants_xml(item, entry.xml_units):
        write_xml(plan, item, entry.xml_units, painted, tally)
    return painted, tally.events()


class VocExporter(Exporter):
    """Pascal VOC: Annotations XML, ImageSets lists, segmentation PNGs, labelmap.txt.

    Writes every task the data has (detection, classification, segmentation, layout,
    action), or those of --tasks. Polygons, masks and ellipses are painted into
    SegmentationClass/SegmentationObject (later z_order on top, crowd regions void);
    keypoints, captions and polylines cannot be held and are reported.
    """

    name = "voc"
    namespace = "voc"
    tasks: ClassVar[tuple[str, ...]] = L.TASKS
    options = OPTIONS
    item_function = write_item_files
    supercategory_loss = "VOC labels have no supercategory"
    streams = True  # a stream's items are walked twice (plan, files), never held

    def plan(self, source: Source, out_dir: str, ctx: Context, **options: Any) -> VocPlan:
        chosen, explicit = shared.chosen_tasks(self.name, self.tasks, options["tasks"])
        if isinstance(source, Dataset):
            return make_plan(source, out_dir, ctx.report, options, chosen, explicit=explicit)
        planner = Planner(source, ctx.report, options, chosen)
        return plan_stream(planner, source, out_dir, explicit=explicit)

    def finish(self, plan: VocPlan, results: Iterable[ItemResult], ctx: Context) -> None:
        finish_export(plan, results, ctx.report, lambda: ctx.namespaces)


class VocClassificationExporter(VocExporter):
    """VOC classification only: ImageSets/Main/<subset>.txt and <class>_<subset>.txt flags."""

    name = "voc_classification"
    tasks = (L.CLASSIFICATION,)


class VocDetectionExporter(VocExporter):
    """VOC detection only: Annotations/*.xml boxes and ImageSets/Main lists."""

    name = "voc_detection"
    tasks = (L.DETECTION,)


class VocSegmentationExporter(VocExporter):
    """VOC segmentation only: SegmentationClass/SegmentationObject PNGs and their lists."""

    name = "voc_segmentation"
    tasks = (L.SEGMENTATION,)


class VocInstanceSegmentationExporter(VocExporter):
    """VOC instance segmentation: SegmentationObject and SegmentationClass PNGs and their
    lists (Datumaro's name; cococonv's voc_segmentation writes the same)."""

    name = "voc_instance_segmentation"
    tasks = (L.SEGMENTATION,)


class VocLayoutExporter(VocExporter):
    """VOC layout only: XML boxes with head/hand/foot parts and ImageSets/Layout lists."""

    name = "voc_layout"
    tasks = (L.LAYOUT,)


class VocActionExporter(VocExporter):
    """VOC action only: XML boxes with <actions> and ImageSets/Action lists and flags."""

    name = "voc_action"
    tasks = (L.ACTION,)


TASK_EXPORTERS = (VocClassificationExporter, VocDetectionExporter, VocSegmentationExporter,
                  VocInstanceSegmentationExporter, VocLayoutExporter, VocActionExporter)
