"""CVAT for images 1.1 exporter: one ``annotations.xml`` (and ``images/`` on request).

The ``<meta>`` block read from a CVAT source is written back as it was, with the labels
regenerated from the dataset's categories (so renames and merges show). Every shape kind
CVAT holds is written; what it cannot hold (captions) is reported.

The export runs in the three phases of ``cococonv.plugin.Exporter``: ``export_plan`` in the
parent (meta, attribute declarations, frames: one pass over the items), ``write_image`` per
item (``export_item``: the ``<image>`` element as text, in workers with ``--jobs``), and
``export_finish`` for the file, the saved images and the report.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cococonv import export_options as shared
from cococonv.context import Context
from cococonv.model import Source
from cococonv.plugin import Exporter, Option

from .export_finish import FILE_NAME, finish_export
from .export_item import ItemPiece, write_image
from .export_plan import CvatPlan, make_plan

OPTIONS = (
    shared.save_images("images/ (images/<subset>/ when there are several subsets)"),
    shared.image_ext(),
    Option("reindex", bool, False, "Number the <image> ids 0..N-1 in output order; otherwise "
           "the source's frame ids are kept (new ones where missing or clashing)."),
    Option("allow_undeclared_attributes", bool, True, "Declare in <meta> the attributes the "
           "labels do not declare yet (input type guessed from the values); off drops them "
           "and counts them as lost."),
)


class CvatExporter(Exporter):
    """CVAT for images 1.1: annotations.xml with meta, labels and every shape kind.

    Boxes (with rotation), polygons, polylines, points, ellipses, masks (CVAT RLE over their
    box), skeletons (keypoints of a label with a keypoint schema) and tags. Captions cannot
    be held and are reported.
    """

    name = "cvat"
    namespace = "cvat"
    single_file_suffixes = (".xml",)
    options = OPTIONS
    item_function = write_image
    supercategory_loss = "CVAT labels have no supercategory"

    def plan(self, source: Source, out_dir: str, ctx: Context, **options: Any) -> CvatPlan:
        return make_plan(source, out_dir, ctx.report, options, lambda: ctx.namespaces)

    def finish(self, plan: CvatPlan, results: Iterable[ItemPiece], ctx: Context) -> None:
        finish_export(plan, results, ctx.report)


__all__ = ["CvatExporter", "FILE_NAME", "OPTIONS"]
