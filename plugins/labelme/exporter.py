"""LabelMe exporter: one JSON per item in LabelMe's own layout (``export_plan`` decides the
layout, ``export_item`` writes each file, ``export_plan.finish_export`` the images and the
report)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cococonv import export_options as shared
from cococonv.context import Context
from cococonv.model import Source
from cococonv.plugin import Exporter, Option

from .export_item import ItemResult, write_item
from .export_plan import LabelmePlan, finish_export, make_plan
from .shapes import NAMESPACE

OPTIONS = (
    shared.save_images("the JSON files' folders, at <subset>/<image name> where each "
                       "file's imagePath points"),
    shared.image_ext(),
    Option("embed_images", bool, False, "Write each image's bytes into its JSON as base64 "
           "imageData (LabelMe's 'save image data'), re-encoded to --image-ext's format "
           "when given; otherwise imageData is null."),
)


class LabelmeExporter(Exporter):
    """LabelMe: one JSON per image (<subset>/<id>.json), imagePath beside it.

    Boxes become rectangles (oriented_rectangle when rotated), polygons, polylines (line,
    linestrip), points, masks (PNG of their box), circles; other ellipses become polygons
    and keypoint sets one point shape per keypoint (reported). Image labels become flags.
    Captions, skeletons and ids cannot be held and are reported.
    """

    name = "labelme"
    namespace = NAMESPACE
    options = OPTIONS
    item_function = write_item
    supercategory_loss = "LabelMe labels have no supercategory"

    def plan(self, source: Source, out_dir: str, ctx: Context, **options: Any) -> LabelmePlan:
        return make_plan(source, out_dir, ctx.report, **options)

    def finish(self, plan: LabelmePlan, results: Iterable[ItemResult], ctx: Context) -> None:
        finish_export(plan, results, ctx.report, lambda: ctx.namespaces)
