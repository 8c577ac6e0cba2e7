"""LabelMe importer: per-image JSON files, in any folder layout (``layout`` says which
files and subsets; ``reader`` reads them)."""
from __future__ import annotations

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import FileTree, Tree

from .layout import candidates, detect_files, subset_layout
from .reader import LabelmeReader
from .shapes import NAMESPACE


class LabelmeImporter(Importer):
    """LabelMe: one JSON per image (shapes, flags, imagePath, imageData), any folder depth.

    Every shape type: rectangle, oriented_rectangle, polygon, circle, line, linestrip,
    point, points and mask; group_id groups shapes into objects, image flags that are true
    become image labels. Top-level folders are subsets when every file is in one (several
    folders, or one named train/val/test); otherwise one subset, default.
    """

    name = "labelme"
    namespace = NAMESPACE
    # the shape and file keys LabelMe does not define; the rest only writes LabelMe back
    source_fields = ("keys.*",)
    options = (
        Option("keypoint_groups", bool, False, "Read the point shapes that share a group_id "
               "with one box, polygon or mask as that object's keypoints (one set per group; "
               "the point labels are the keypoint names), as pose datasets draw them."),
    )

    @classmethod
    def detect(cls, tree: Tree) -> int:
        # The content was sniffed (a JSON object with "shapes" and "imagePath").
        return 40 if detect_files(tree) else 0

    def load(self, tree: Tree, ctx: Context, *, keypoint_groups: bool = False) -> Dataset:
        rels = candidates(tree)
        if not rels:
            raise DataError("no LabelMe files found (expected .json files with \"shapes\" "
                            "and \"imagePath\")", file=tree.name)
        reader = LabelmeReader(tree, ctx.report, keypoint_groups=keypoint_groups)
        dataset = reader.read(subset_layout(rels, isinstance(tree, FileTree)))
        skipped = reader.not_labelme
        if skipped and len(skipped) == len(rels):
            raise DataError("no LabelMe files found: no .json file has \"shapes\" and "
                            "\"imagePath\"", file=skipped[0] if len(skipped) == 1 else tree.name)
        if skipped:
            ctx.report.warn(f"{len(skipped)} .json file(s) are not LabelMe files and were "
                            f"left out, e.g. {skipped[0]}")
        return dataset
