"""Label Studio JSON export importer (the ``JSON`` export: a list of tasks, or one task;
and the ``JSON-MIN`` export)."""
from __future__ import annotations

import os
import posixpath

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.fileio import loads_json
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import Tree

from .config import LabelingConfig, read_config
from .discovery import find_config, find_task_files
from .reader import NAMESPACE, TaskReader, finish

OPTIONS = (
    Option("predictions", bool, False, "Read the tasks' predictions too (as annotations "
           "with their score; the model_version as their annotator)."),
    Option("config", str, None, "The labeling config XML (fixes label order and names); "
           "default: the *.xml beside the tasks whose root is <View>, if any."),
)


class LabelStudioImporter(Importer):
    """Label Studio JSON export: tasks with annotations, predictions and brush masks.

    Reads every top-level `*.json` of a folder or zip that holds tasks (one per subset,
    named by the file, when there are several), or the JSON file itself; the JSON-MIN
    export (one record per annotation) is read as the tasks it came from. Rectangles
    (rotated too), polygons, keypoints, ellipses, brush RLE masks, labels paired by
    region id, choices as image labels, textareas as captions, per-region attributes.
    """

    name = "label_studio"
    namespace = NAMESPACE
    # task data beside the image (a text, a URL): values the task gave
    source_fields = ("data.*",)
    options = OPTIONS

    @classmethod
    def detect(cls, tree: Tree) -> int:
        # Sniffed task keys (from_name, data: {...}): above COCO's loose-JSON guess (30),
        # which a task file with an "annotations" key also meets.
        return 45 if find_task_files(tree) else 0

    def load(self, tree: Tree, ctx: Context, *, predictions: bool,
             config: str | None) -> Dataset:
        files = find_task_files(tree, sniff=False)
        if not files:
            raise DataError("no Label Studio task file found (expected a .json export: a "
                            "list of tasks with 'data' and 'annotations')", file=tree.name)
        reader = TaskReader(tree, ctx.report, _config(tree, config), predictions=predictions)
        several = len(files) > 1
        for rel in files:
            doc = loads_json(tree.read_bytes(rel), file=tree.display(rel))
            stem = posixpath.splitext(posixpath.basename(rel))[0]
            reader.read(rel, doc, stem if several else "default")
        return finish(reader)


def _config(tree: Tree, path: str | None) -> LabelingConfig | None:
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = fh.read(1 << 24)
        except OSError as err:
            raise DataError(f"cannot read the labeling config ({err.strerror})",
                            file=path) from None
        return read_config(data, os.path.basename(path))
    found = find_config(tree)
    if found is None:
        return None
    base, rel = found
    return read_config(base.read_bytes(rel), base.display(rel))
