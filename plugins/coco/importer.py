"""COCO importers: ``coco`` (every task file found) and one per task.

Every task file found is read and its annotations are added to the items of its subset,
matched by file name, so instances, keypoints, captions, ... of one image meet on one item.
Where the files are: discovery.py; how one file becomes model objects: reader.py.
"""
from __future__ import annotations

from typing import ClassVar

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.fileio import paused_gc
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import Tree

from . import tasks as T
from .discovery import AnnotationFile, find_annotation_files
from .label_ids import pad_labels_to_ids
from .reader import CocoReader
from .streaming import STREAMING, open_stream

__all__ = ["CocoImporter", "CocoReader", "TASK_IMPORTERS"]


RELPATH = Option("relpath", list, [], "Annotation file(s) to read, relative to the input, "
                 "instead of annotations/<task>_<subset>.json (comma-separated).",
                 short="-r")
KEEP_IDS = Option("keep_original_category_ids", bool, False,
                  "Make label indices equal the COCO category ids (gaps become placeholder "
                  "labels), for index-based target formats. Ids are kept either way.")


class CocoImporter(Importer):
    """COCO: every task file found, combined on the same images.

    Tasks: instances, person_keypoints, captions, labels, panoptic, stuff, image_info.

    Reads `annotations/<task>_<subset>.json` (subset = rest of the name, year included), a
    Roboflow `<subset>/_annotations.coco.json`, a single `.json` file, or `-` (stdin).
    Images are looked up in `images/<subset>/`, `images/`, `<subset>/` or by `file_name`;
    missing images are fine for an annotation-only conversion.
    """

    name = "coco"
    namespace = "coco"
    tasks: ClassVar[tuple[str, ...]] = T.TASKS
    options = (RELPATH, KEEP_IDS, STREAMING)

    @classmethod
    def detect(cls, tree: Tree) -> int:
        files = find_annotation_files(tree, T.TASKS)
        if not files:
            return 0
        if len(cls.tasks) > 1:
            return 30
        known = [f.task for f in files if f.task is not None]
        if known and all(task == cls.tasks[0] for task in known):
            return 20
        return 10 if cls.tasks[0] in known else 0

    def load(self, tree: Tree, ctx: Context, *, relpath: list[str],
             keep_original_category_ids: bool, streaming: str = "auto") -> Dataset:
        report = ctx.report
        files = find_annotation_files(tree, self.tasks, relpath, sniff=False)
        if not files:
            wanted = "annotations/<task>_<subset>.json" if len(self.tasks) > 1 else \
                f"annotations/{self.tasks[0]}_<subset>.json"
            raise DataError(f"no COCO annotation files found (expected {wanted}, a Roboflow "
                            f"_annotations.coco.json, or a .json file; use -r to name one)",
                            file=tree.name)
        for source in files:
            if len(self.tasks) == 1 and source.task != self.tasks[0]:
                if source.task is not None:
                    report.info(f"{tree.display(source.rel)}: read as {self.tasks[0]} "
                                f"(the file name says {source.task})")
                source.task = self.tasks[0]
        layers = _layers(files)
        if len(layers) == 1:
            stream = open_stream(tree, ctx, files, streaming, keep_original_category_ids)
            if stream is not None:
                return stream  # a Source: api.load reads it into a Dataset unless streamed
            return self._read(tree, ctx, files).finish(keep_original_category_ids)
        # Several files of one task and subset (-r a.json,b.json) are parts of one
        # dataset, each numbering its own ids: merged as `cococonv merge` does, so labels
        # meet by name and every id that clashes is reassigned and counted.
        from cococonv.merging import merge_datasets
        names = [", ".join(tree.display(f.rel) for f in layer) for layer in layers]
        dataset = merge_datasets((self._read(tree, ctx, layer).finish(False)
                                  for layer in layers), report, names=names)[0]
        if keep_original_category_ids:
            pad_labels_to_ids(dataset, tree.name, None)
        return dataset

    def _read(self, tree: Tree, ctx: Context, files: list[AnnotationFile]) -> CocoReader:
        reader = CocoReader(tree, ctx.report, ctx.map)
        with paused_gc():  # the model is millions of small acyclic objects
            for source in files:
                reader.read(source)
        return reader


def _layers(files: list[AnnotationFile]) -> list[list[AnnotationFile]]:
    """The files in layers where no two share a task and subset: the first file of each
    (task, subset) in layer 0, a second one in layer 1, ... (files of one layer meet on one
    item by file name and share its image ids, as the task files of a subset do)."""
    layers: list[list[AnnotationFile]] = []
    seen: dict[tuple[str | None, str], int] = {}
    for source in files:
        depth = seen.get((source.task, source.subset), 0)
        seen[(source.task, source.subset)] = depth + 1
        if depth == len(layers):
            layers.append([])
        layers[depth].append(source)
    return layers


class CocoInstancesImporter(CocoImporter):
    """COCO instances only: boxes, polygons and RLE masks from annotations/instances_<subset>.json.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_instances"
    tasks = (T.INSTANCES,)


class CocoPersonKeypointsImporter(CocoImporter):
    """COCO person_keypoints only: keypoints with visibility, skeletons, and their shapes.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_person_keypoints"
    tasks = (T.PERSON_KEYPOINTS,)


class CocoCaptionsImporter(CocoImporter):
    """COCO captions only: annotations/captions_<subset>.json.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_captions"
    tasks = (T.CAPTIONS,)


class CocoLabelsImporter(CocoImporter):
    """COCO labels only: image-level classes from annotations/labels_<subset>.json.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_labels"
    tasks = (T.LABELS,)


class CocoPanopticImporter(CocoImporter):
    """COCO panoptic only: segments_info plus the segment PNGs in annotations/panoptic_<subset>/.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_panoptic"
    tasks = (T.PANOPTIC,)


class CocoStuffImporter(CocoImporter):
    """COCO stuff only: stuff-class RLE masks from annotations/stuff_<subset>.json.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_stuff"
    tasks = (T.STUFF,)


class CocoImageInfoImporter(CocoImporter):
    """COCO image_info only: the image list, no annotations.

    Same options and lookup rules as `coco`, restricted to this task.
    """

    name = "coco_image_info"
    tasks = (T.IMAGE_INFO,)


TASK_IMPORTERS = (CocoInstancesImporter, CocoPersonKeypointsImporter, CocoCaptionsImporter, CocoLabelsImporter, CocoPanopticImporter, CocoStuffImporter, CocoImageInfoImporter)
