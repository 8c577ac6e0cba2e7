"""One COCO read: every task file of the run into one Dataset, file after file.

The parsed JSON records are reused as the model's ``extra`` dicts (their own keys popped),
which keeps unknown keys and the declared ``bbox``/``area`` at no copying cost.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from cococonv.fileio import loads_json
from cococonv.model import Dataset, LabelCategory

from . import tasks as T
from .discovery import AnnotationFile
from .label_ids import pad_labels_to_ids
from .objects import read_objects
from .panoptic import read_panoptic_annotations
from .records import type_name
from .scope import CocoScope
from .simple_kinds import read_captions, read_labels, read_nothing


class CocoReader(CocoScope):
    """Builds one Dataset from several COCO task files."""

    def read(self, source: AnnotationFile) -> None:
        self.display = self.tree.display(source.rel)
        doc = loads_json(self.tree.read_bytes(source.rel), file=self.display)
        results = isinstance(doc, list)
        if results:
            doc = {"annotations": doc}
        if not isinstance(doc, dict):
            raise self.error(f"expected a JSON object with images, annotations and categories, "
                             f"got {type_name(doc)}", "top level")
        task = source.task or T.guess_task(doc)
        subset = source.subset
        self.task, self.subset = task, subset
        images = doc.pop("images", None)
        if images is None and not results and task != T.PANOPTIC:
            raise self.error("missing key 'images'", "top level")
        if images is not None and not isinstance(images, list):
            raise self.error(f"must be a list, got {type_name(images)}", "images")
        categories = doc.pop("categories", None)
        if categories is None:
            categories = []
        if not isinstance(categories, list):
            raise self.error(f"must be a list, got {type_name(categories)}", "categories")
        annotations = doc.pop("annotations", None)
        has_annotations_key = annotations is not None
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            raise self.error(f"must be a list, got {type_name(annotations)}", "annotations")

        if task == T.PANOPTIC and annotations and T.guess_task(annotations) != T.PANOPTIC:
            # panopticapi's "detection format" files carry a panoptic name but instances.
            task = T.guess_task(annotations)
            self.task = task
        cat_map = self.labels.read_categories(categories, task)
        self.images.read_images(images or [], subset)
        self.results = results
        file_meta = {"task": task, "subset": subset, "source": source.rel,
                     "categories": self._label_objects(cat_map.values()),
                     "category_extra": [(self.categories.labels[index], extra) for index, extra
                                        in self.labels.category_extra.items()],
                     "results": results, "has_annotations": has_annotations_key,
                     "top": doc}
        key = f"{task}_{subset}"
        while key in self.dataset.meta["coco"]["files"]:
            key += "+"
        self.dataset.meta["coco"]["files"][key] = file_meta
        if task == T.PANOPTIC:
            read_panoptic_annotations(self, annotations, source, self.run_map)
        else:
            annotation_reader(task)(self, annotations, task)
        if results or not file_meta["categories"]:
            file_meta["categories"] = self._label_objects(self.labels.cat_map.values())

    def _label_objects(self, indices: Iterable[int]) -> list[LabelCategory]:
        """The file's labels as the objects ``Dataset.meta`` names them by, first-seen order."""
        labels = self.categories.labels
        return [labels[index] for index in dict.fromkeys(indices)]

    def finish(self, keep_original_category_ids: bool) -> Dataset:
        if keep_original_category_ids:
            pad_labels_to_ids(self.dataset, self.display, self.labels.largest_id)
        return self.dataset


_READERS = {
    T.INSTANCES: read_objects, T.STUFF: read_objects, T.PERSON_KEYPOINTS: read_objects,
    T.CAPTIONS: read_captions, T.LABELS: read_labels, T.IMAGE_INFO: read_nothing,
}


def annotation_reader(task: str) -> Callable[[CocoScope, list, str], None]:
    """What reads a task's annotation records into the scope's items: ``read`` calls it
    on a file's list, the streaming reader on each batch of records."""
    return _READERS[task]
