"""SA-1B importer: per-image JSON files beside their images, read one file per item."""
from __future__ import annotations

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.plugin import Importer, Option
from cococonv.sources import FileTree, Tree

from .fields import NAMESPACE, SA_FIELDS
from .layout import detect_files, json_files, layout
from .reader import SegmentAnythingSource


class SegmentAnythingImporter(Importer):
    """Segment Anything (SA-1B): one <name>.json per image, beside <name>.jpg.

    Each file holds an "image" record (image_id, width, height, file_name) and a list of
    "annotations": RLE masks with their box, area and SAM's predicted_iou, stability_score,
    point_coords and crop_box. Files are read one at a time as items are produced, so a
    set of any size converts in the memory of its largest file. Masks have no class: each
    gets the one label --label names.
    """

    name = "segment_anything"
    namespace = NAMESPACE
    # what SAM predicted (and keys SA-1B does not define): values, not bookkeeping
    source_fields = SA_FIELDS + ("keys.*", "image_keys.*")
    options = (
        Option("label", str, "object", "The class every mask gets (SA-1B masks have none, "
               "and COCO, VOC and YOLO need one); written back to no SA file. Empty: the "
               "masks stay unlabelled."),
    )

    @classmethod
    def detect(cls, tree: Tree) -> int:
        # The content was sniffed (an object with an "image" object and "annotations").
        return 40 if detect_files(tree) else 0

    def load(self, tree: Tree, ctx: Context, *, label: str = "object"
             ) -> SegmentAnythingSource:
        rels = json_files(tree)
        if not rels:
            raise DataError("no segment_anything files found (expected <name>.json files "
                            "with \"image\" and \"annotations\")", file=tree.name)
        return SegmentAnythingSource(tree, layout(rels, isinstance(tree, FileTree)),
                                     ctx.report, label)
