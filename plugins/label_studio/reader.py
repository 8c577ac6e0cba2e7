"""Label Studio tasks to items: one item per task, each annotation (and, on request, each
prediction) kept apart by an ``annotator`` attribute, regions paired with their labels
and per-region attributes by region id, ``parentID`` as the model's groups."""
from __future__ import annotations

import posixpath
import re
from collections import Counter
from typing import Any

from cococonv.errors import DataError
from cococonv.images import probe_size
from cococonv.model import (MAX_IMAGE_SIDE, Annotation, Caption, Categories, Dataset, Image,
                            Item, Label, Points)
from cococonv.report import Report
from cococonv.sources import Tree

from . import jsonmin
from .config import LabelingConfig
from .discovery import find_image, image_candidates
from .regions import shape_of, to_shape
from .results import ATTRIBUTE_TYPES, attribute_value, link_regions

NAMESPACE = "label_studio"
_RECORD_SKIP = ("result",)


class TaskReader:
    """Reads task files into one dataset; categories follow the config, then first use."""

    def __init__(self, tree: Tree, report: Report, config: LabelingConfig | None, *,
                 predictions: bool):
        self.tree, self.report, self.config = tree, report, config
        self.predictions = predictions
        self.categories = Categories()
        for name in (config.labels if config else []):
            self.categories.add(name)
        self.dataset = Dataset(self.categories)
        self.skipped: Counter[str] = Counter()  # records kept raw: cancelled, predictions
        self.display = ""

    # -- files and tasks ---------------------------------------------------------------
    def read(self, rel: str, doc: Any, subset: str) -> None:
        self.display = self.tree.display(rel)
        if type(doc) not in (list, dict):
            raise DataError("a Label Studio export is a list of tasks or one task object",
                            file=self.display)
        for one in jsonmin.tasks_of(doc, self.config, self.report):
            try:
                one.check()
                self.task(one.task, one.where, subset)
            except DataError as err:
                err.where = one.place(err.where)
                self.report.bad_record(err.located(file=self.display))

    def error(self, message: str, where: str) -> DataError:
        return DataError(message, file=self.display, where=where or None)

    def task(self, task: Any, where: str, subset: str) -> None:
        if type(task) is not dict:
            raise self.error(f"a task must be an object, got {type(task).__name__}", where)
        data = task.get("data")
        if type(data) is not dict:
            if "annotation_id" in task or "annotator" in task:
                raise self.error("a JSON-MIN record among the tasks of a JSON export: "
                                 "a file holds one export or the other", where)
            raise self.error("missing its 'data' object", where)
        key, url = image_field(data, self.config, f"{where}.data", self.error)
        item = self._item(task, key, url, subset)
        records: list[tuple[str, int, dict]] = []
        for field in ("annotations", "completions", "predictions"):
            entries = task.get(field) or []
            if type(entries) is not list:
                raise self.error(f"must be a list, got {type(entries).__name__}",
                                 f"{where}.{field}")
            records += [(field, k, rec) for k, rec in enumerate(entries)]
        # Records not read into the model (cancelled ones; predictions without
        # --predictions) are kept as they are, at their place, for a label_studio output.
        kept: dict[str, list] = {"annotations": [], "predictions": [], "raw": []}
        for field, k, rec in records:
            place = f"{where}.{field}[{k}]"
            if type(rec) is not dict:
                raise self.error("must be an object", place)
            target = "predictions" if field == "predictions" else "annotations"
            skipped = "cancelled" if rec.get("was_cancelled") else \
                "predictions" if target == "predictions" and not self.predictions else ""
            if skipped:
                self.skipped[skipped] += 1
                kept["raw"].append([target, k, rec])
                continue
            results = rec.get("result", [])
            if type(results) is not list:
                raise self.error("must be a list", f"{place}.result")
            index = len(kept[target])
            kept[target].append({k2: v for k2, v in rec.items() if k2 not in _RECORD_SKIP})
            self._results(item, results, place, (target, index), rec, len(records) > 1)
        extra = item.extra[NAMESPACE]
        extra.update({"key": key, "url": url, "name": item.image.name, "records": kept,
                      "task": {k2: v for k2, v in task.items()
                               if k2 not in ("data", "annotations", "completions",
                                             "predictions")},
                      "data": {k2: v for k2, v in data.items() if k2 != key}})
        self.dataset.add(item)

    def _item(self, task: dict, key: str, url: str, subset: str) -> Item:
        candidates = image_candidates(url)
        found = find_image(self.tree, candidates)
        name = found[1] if found else (candidates[0] if candidates else "")
        # A URL naming no file (``https://host/``, ``..``) is not a name: the task id is.
        image = Image(name or f"task-{task.get('id', len(self.dataset))}")
        if found:
            found[0].bind_image(image, found[1])
        stem = posixpath.splitext(name)[0] or str(task.get("id", ""))
        item_id = stem
        if self.dataset.get(subset, item_id) is not None:
            item_id = f"{stem}#{task.get('id', len(self.dataset))}"
        return Item(item_id, subset, image, [], {}, {NAMESPACE: {}})

    # -- one annotation's results ------------------------------------------------------
    def _size(self, item: Item, results: list, where: str) -> tuple[int, int]:
        if item.image.size is None:
            for r in results:
                if type(r) is dict and "original_width" in r and "original_height" in r:
                    w, h = r["original_width"], r["original_height"]
                    if type(w) is int and type(h) is int and 0 < w <= MAX_IMAGE_SIDE and \
                            0 < h <= MAX_IMAGE_SIDE:
                        item.image.size = (h, w)
                        break
                    raise self.error(f"original_width/original_height must be positive "
                                     f"integers up to {MAX_IMAGE_SIDE}, got {w!r}, {h!r}",
                                     where)
        size = item.image.size or probe_size(item.image)
        if size is None:
            raise self.error("no original_width/original_height in its results and no image "
                             "file in the input to read the size from", where)
        return size

    def _results(self, item: Item, results: list, place: str, record: tuple[str, int],
                 rec: dict, several: bool) -> None:
        regions: dict[Any, list[tuple[str, dict]]] = {}
        relations: list[tuple[str, dict]] = []
        for k, r in enumerate(results):
            where = f"{place}.result[{k}]"
            if type(r) is not dict:
                raise self.error("must be an object", where)
            rtype = r.get("type")
            if rtype == "relation":
                relations.append((where, r))
                continue
            if type(rtype) is not str or not (shape_of(rtype) or rtype == "labels" or
                                              rtype in ATTRIBUTE_TYPES):
                raise self.error(f"unknown result type {rtype!r}", f"{where}.type")
            if type(r.get("value")) is not dict:
                raise self.error("missing its 'value' object", where)
            rid = r.get("id")
            regions.setdefault(rid if type(rid) in (str, int) else f"#{k}", []).append(
                (where, r))
        annotator = rec.get("completed_by" if record[0] == "annotations" else "model_version")
        if isinstance(annotator, dict):
            annotator = annotator.get("email") or annotator.get("id")
        if annotator is None and several:
            # Records without their author are still kept apart: by their own id.
            annotator = f"{record[0][:-1]} {rec.get('id', record[1])}"
        made: dict[Any, Annotation] = {}
        score = rec.get("score")
        for rid, members in regions.items():
            region = self._region(item, rid, members, results, place)
            if region is not None:
                made[rid] = region
            for ann in [region] if region is not None else self._image_level(item, members):
                if type(annotator) in (int, str):
                    ann.attributes["annotator"] = annotator
                if "score" not in ann.attributes and type(score) in (int, float):
                    ann.attributes["score"] = float(score)
                ann.extra[NAMESPACE][record[0]] = record[1]
                item.annotations.append(ann)
        link_regions(item, made, regions, relations, self.error)
        item.annotations[:] = _merge_keypoints(item.annotations)

    def _region(self, item: Item, rid: Any, members: list, results: list,
                place: str) -> Annotation | None:
        shapes = [(w, r) for w, r in members if shape_of(r["type"])]
        if len(shapes) > 1:
            raise self.error(f"region id {rid!r} is drawn twice ({shapes[1][0]})",
                             shapes[0][0])
        labels: list[str] = []
        for w, r in members:
            # "rectanglelabels": [...] on the shape, or "labels": [...] on a paired result
            names = r["value"].get(r["type"]) if r["type"].endswith("labels") else None
            if names is not None:
                if type(names) is not list or any(type(n) is not str for n in names):
                    raise self.error("must be a list of label names", f"{w}.value.{r['type']}")
                labels += names
        if not shapes:
            if any(r["type"] == "labels" for _, r in members):
                raise self.error("a labels result without a region of the image",
                                 members[0][0])
            return None
        where, r = shapes[0]
        height, width = self._size(item, results, place)
        if r.get("image_rotation"):
            self.report.approximated("shapes", "drawn on an image turned by its "
                                     "image_rotation, kept in that image's coordinates")
        ann = to_shape(shape_of(r["type"]), r["value"], f"{where}.value", height, width)
        if labels:
            ann.label = self._label(labels[0])
            if len(labels) > 1:
                ann.attributes["other_labels"] = ", ".join(labels[1:])
        if type(r.get("score")) in (int, float):
            ann.attributes["score"] = float(r["score"])
        for w, other in members:
            if other["type"] in ATTRIBUTE_TYPES:
                name, value = attribute_value(other, w, self.error)
                ann.attributes[name] = value
        keep = {k: v for k, v in r.items()
                if k not in ("value", "type", "id", "score", "parentID", "original_width",
                             "original_height")}
        keep["value"] = {k: v for k, v in r["value"].items()
                         if k in ("width",) and r["type"].startswith("keypoint")}
        # The region id stays in the extras: ids repeat across tasks and annotators, and
        # the model's annotation ids are the dataset's (COCO writes them).
        ann.extra[NAMESPACE] = {"id": rid if type(rid) is str and not rid.startswith("#")
                                else None, "result": keep}
        if type(r.get("parentID")) is str:
            ann.extra[NAMESPACE]["parent"] = r["parentID"]
        return ann

    def _image_level(self, item: Item, members: list) -> list[Annotation]:
        """Image labels and captions of results that are no region's; other controls of
        the image (number, rating, ...) become item attributes."""
        made: list[Annotation] = []
        for where, r in members:
            value = r["value"]
            if r["type"] == "choices":
                choices = value.get("choices")
                if type(choices) is not list or any(type(c) is not str for c in choices):
                    raise self.error("must be a list of strings", f"{where}.value.choices")
                made += [Label(label=self._label(choice), extra={NAMESPACE: _source(r)})
                         for choice in choices]
            elif r["type"] == "textarea":
                texts = value.get("text")
                texts = [texts] if type(texts) is str else texts
                if type(texts) is not list or any(type(t) is not str for t in texts):
                    raise self.error("must be a list of strings", f"{where}.value.text")
                made += [Caption(caption=t, extra={NAMESPACE: _source(r)}) for t in texts]
            else:
                name, got = attribute_value(r, where, self.error)
                item.attributes[name] = got
        return made

    def _label(self, name: str) -> int:
        name = self.config.name_of(name) if self.config else name
        found = self.categories.find(name)
        if found is None:
            if self.config is not None and self.config.labels:
                self.report.warn(f"label {name!r} is not in the labeling config; added "
                                 f"after its labels")
            found = self.categories.add(name)
        return found


def image_field(data: dict, config: LabelingConfig | None, where: str,
                error: Any) -> tuple[str, str]:
    """The data field holding the task's image and its URL: the config's ``<Image
    value="$x">`` field, a usual name, or the one string; tasks of other media, and
    multi-image ones, are refused naming the field."""
    keys = list(config.image_keys) if config else []
    keys += [k for k in ("image", "img", "image_url", "url") if k not in keys]
    for key in keys:
        if type(data.get(key)) is str:
            return key, data[key]
    for key in (k for k, v in data.items() if type(v) in (str, list)):
        kind = _media_kind(key)
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            raise error(f"{article} {kind} task (data.{key}): cococonv reads Label Studio "
                        f"image tasks only", where)
    for key in (k for k, v in data.items() if type(v) is list and "image" in k.lower()):
        # <Repeater> over images (multi-page documents): data.images = [{"url": ...}]
        raise error(f"a task of several images (data.{key}, a list): cococonv reads one "
                    f"image per task", where)
    strings = [k for k, v in data.items() if type(v) is str]
    if len(strings) == 1:
        return strings[0], data[strings[0]]
    raise error("no image in 'data' (expected data.image, or the field the labeling "
                "config's <Image value=\"$...\"> names)", where)


def _source(result: dict) -> dict[str, Any]:
    """Where an image label or caption came from: its control and result id."""
    return {"from": result.get("from_name"), "id": result.get("id")}


def _merge_keypoints(annotations: list[Annotation]) -> list[Annotation]:
    """Keypoints of one label in one group are one keypoints annotation (how a multi-point
    annotation is written: one region per point, tied by parentID)."""
    out: list[Annotation] = []
    first: dict[tuple, Points] = {}
    for ann in annotations:
        if isinstance(ann, Points) and ann.group:
            key = (ann.group, ann.label, ann.attributes.get("annotator"))
            head = first.get(key)
            if head is not None:
                head.points += ann.points
                head.visibility += ann.visibility
                own = head.extra[NAMESPACE]
                own.setdefault("ids", [own.get("id")]).append(ann.extra[NAMESPACE].get("id"))
                continue
            first[key] = ann
        out.append(ann)
    return out


def finish(reader: TaskReader) -> Dataset:
    only = "; only a label_studio output keeps them"
    reader.report.lost("annotations", "cancelled in Label Studio (was_cancelled)" + only,
                       reader.skipped["cancelled"])
    reader.report.lost("predictions", "not read without --predictions" + only,
                       reader.skipped["predictions"])
    return reader.dataset


#: The media of Label Studio's other task kinds, by the data field their config names
#: (<Video value="$video">, <Audio>, <Text>, <HyperText>, <TimeSeries>, <Paragraphs>).
_MEDIA = (("video", "video"), ("audio", "audio"), ("timeseries", "time-series"),
          ("paragraphs", "dialogue"), ("dialogue", "dialogue"), ("html", "HTML"),
          ("text", "text"))


def _media_kind(key: str) -> str | None:
    """The kind of task a non-image data field holds (``video_url`` -> video), or None;
    by whole words of the name (``context`` is no text)."""
    words = set(re.split(r"[\W_]+", key.lower()))
    return next((kind for word, kind in _MEDIA if word in words), None)
