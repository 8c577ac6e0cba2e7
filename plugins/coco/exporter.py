"""COCO exporters: ``coco`` (every task with content) and one per task.

Layout: ``annotations/<task>_<subset>.json``, ``images/<subset>/`` (``images/`` with
``--merge-images``), panoptic PNGs in ``annotations/panoptic_<subset>/``. Ids, values and
unknown keys the source had are written back unchanged unless ``--reindex`` or a changed
shape asks otherwise. JSON is written record by record so memory tracks the model only.
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from cococonv.errors import CococonvError, OptionError
from cococonv.fileio import dumps_json, write_bytes
from cococonv.geometry import rotation_of
from cococonv.images import (check_image_ext, normalise_ext, probe_size, save_images, with_ext,
                             with_safe_image_name)
from cococonv.model import (FORMAT_NAMESPACES, Annotation, Bbox, Caption, Dataset, Ellipse, Item, Label, Mask,
                            Points, Polygon, Polyline)
from cococonv.paths import join_inside, safe_segment, writable
from cococonv.plugin import Exporter, Option
from cococonv.context import Context
from cococonv.report import Report
from cococonv.tailnames import TailNames, warn_kept_as_data

from . import tasks as T
from .grouping import LINK_ATTRIBUTE, group_objects, linked_groups

_OBJECT_TASKS = (T.INSTANCES, T.PERSON_KEYPOINTS, T.STUFF, T.PANOPTIC)
_PRIVATE_EXTRA = {"bbox", "area", "coco_task", "num_keypoints",
                  "_attributes_empty", "_attributes", "_no_category"} | FORMAT_NAMESPACES
_OWN_ATTRS = ("is_crowd", "score")
_OWN_ATTRS_SET = frozenset(_OWN_ATTRS)

OPTIONS = (
    Option("save_images", bool, False, "Copy the images into images/<subset>/ (bytes are "
           "copied as they are unless --image-ext changes the encoding)."),
    Option("image_ext", str, None, "Write images and file names with this extension "
           "(e.g. .png); images are re-encoded.", check=check_image_ext),
    Option("save_dataset_meta", bool, False, "Also write dataset_meta.json with labels, "
           "keypoint schemas and colours."),
    Option("segmentation_mode", str, "guess", "guess: keep each shape as the source had it; "
           "polygons: masks become polygons; mask: polygons become RLE.",
           ("guess", "polygons", "mask")),
    Option("crop_covered", bool, False, "Cut from each object the parts covered by objects "
           "drawn above it (higher z_order, or later at equal z_order)."),
    Option("allow_attributes", bool, True, "Write custom attributes in each annotation's "
           "'attributes' object (CVAT's COCO extension); off drops them, with a count."),
    Option("reindex", bool, False, "Renumber image, annotation and category ids 1..N in "
           "input order; otherwise the source ids are kept."),
    Option("merge_images", bool, False, "Save all images into images/ instead of "
           "images/<subset>/."),
    Option("tasks", list, [], "Write only these tasks (comma-separated); none given: every "
           "task the source had or the data needs.", T.TASKS),
    Option("indent", bool, False, "Pretty-print the JSON (slower, larger)."),
    Option("box_segmentation", str, "empty", "What a box-only object carries as its "
           "segmentation: empty ([], as CVAT and Datumaro write; pycocotools' segm "
           "evaluation cannot read it) or polygon (the box's 4 corners: segm evaluation and "
           "mask training accept it; read back as a polygon).", ("empty", "polygon")),
)


class CocoExporter(Exporter):
    """COCO: annotations/<task>_<subset>.json for every task with content, images/<subset>/.

    Writes the tasks the source had plus any task the data needs (instances for shapes,
    person_keypoints for keypoints, captions, labels, panoptic, stuff). Keypoints, captions
    and labels that a chosen task set cannot hold are reported, not dropped silently.
    """

    name = "coco"
    tasks: ClassVar[tuple[str, ...]] = T.TASKS
    # One task file; a run with several tasks (or --save-images) fails after writing them.
    single_file_suffixes: ClassVar[tuple[str, ...]] = (".json",)
    options = OPTIONS

    def save(self, dataset: Dataset, out_dir: str, ctx: Context, **options: Any) -> None:
        report = ctx.report
        requested = options["tasks"] or []
        bad = [t for t in requested if t not in self.tasks]
        if bad:
            raise OptionError(f"exporter {self.name} cannot write task {bad[0]!r} "
                              f"(it writes: {', '.join(self.tasks)})")
        writer = CocoWriter(dataset, out_dir, report, options,
                            tuple(requested) if requested else self.tasks,
                            explicit=bool(requested) or len(self.tasks) == 1)
        writer.dataset = writable(dataset, report, writer.output_names)
        writer.tails.report(report)
        if not options["save_images"]:
            warn_kept_as_data(dataset, report)
        writer.write()


class CocoWriter:
    """One export run."""

    def __init__(self, dataset: Dataset, out_dir: str, report: Report, options: dict[str, Any],
                 tasks: tuple[str, ...], *, explicit: bool):
        self.dataset = dataset
        self.out_dir = out_dir
        self.report = report
        self.opts = options
        self.allowed_tasks = tasks
        self.explicit = explicit
        self.reindex = options["reindex"]
        self.mode = options["segmentation_mode"]
        self.meta_files: dict[str, dict] = dataset.meta.get("coco", {}).get("files", {})
        self._plan_counts: dict[str, dict[str, int]] = {}
        self._plan_stats: dict[str, Counter] = {}
        self._units: dict[int, list[tuple[str, list[Annotation]]]] = {}
        self._plan_used: dict[str, dict[str, set[int]]] = {}
        self.tasks: list[str] = []
        self.had: set[str] = set()
        self.subset = ""
        self.file_ids: dict[int, Any] = {}
        self._safe_subsets: set[str] = set()
        self.tails = TailNames("image name")

    def output_names(self, item: Item) -> tuple[Item, tuple[str, ...]]:
        """The names of ``item`` that become output paths (``paths.writable``): its subset
        (``annotations/<task>_<subset>.json``, ``images/<subset>/``) and, with
        --save-images, its image file name."""
        if item.subset not in self._safe_subsets:
            safe_segment(item.subset, what="subset")
            self._safe_subsets.add(item.subset)
        image = item.image
        if not self.opts["save_images"] or image is None or not image.has_data:
            return item, ()
        item = with_safe_image_name(item, self.tails)
        folder = "images" if self.opts["merge_images"] else f"images/{item.subset}"
        return item, (f"{folder}/{self._file_name(item)}",)

    # -- planning ------------------------------------------------------------------------
    def write(self) -> None:
        subsets = self.dataset.subsets or ["default"]
        items_by_subset: dict[str, list[Item]] = {s: [] for s in subsets}
        for item in self.dataset:
            items_by_subset[item.subset].append(item)
        self.category_ids = self._category_ids()
        present = self._tasks_with_content()
        for subset in subsets:
            items = items_by_subset[subset]
            tasks = self._tasks_for(subset, present.get(subset, set()))
            self.tasks = tasks
            self.had = {m["task"] for m in self.meta_files.values() if m["subset"] == subset}
            self.subset = subset
            image_ids = self._image_ids(items)
            if self.opts["crop_covered"]:
                from .crop import crop_covered_items
                items = crop_covered_items(items, self.report)
            for task in tasks:
                self._write_task(task, subset, items, image_ids)
            self._count_unwritten()
            if self.opts["save_images"]:
                self._save_images(items, subset)
        # Datumaro (what CVAT imports COCO with) refuses a COCO folder without images/.
        os.makedirs(os.path.join(self.out_dir, "images"), exist_ok=True)
        if self.opts["save_dataset_meta"]:
            self._write_dataset_meta()
        else:
            self.report.lost("label colours", "COCO has no colours (--save-dataset-meta keeps "
                             "them)", len(self.dataset.categories.colormap))

    def _tasks_with_content(self) -> dict[str, set[str]]:
        """One pass: per subset, records and labels per home task (reused by later steps)."""
        counts: dict[str, dict[str, int]] = {}
        used: dict[str, dict[str, set[int]]] = {}
        stats: dict[str, Counter] = {}
        for item in self.dataset:
            bucket = counts.setdefault(item.subset, {})
            labels_by_task = used.setdefault(item.subset, {})
            units = self._units[id(item)] = item_units(item)
            for task, anns in units:
                bucket[task] = bucket.get(task, 0) + 1
                labels = labels_by_task.get(task)
                if labels is None:
                    labels = labels_by_task[task] = set()
                for ann in anns:
                    if ann.label is not None:
                        labels.add(ann.label)
            _count_unwritable(item, stats.setdefault(item.subset, Counter()))
        self._plan_counts = counts
        self._plan_used = used
        self._plan_stats = stats
        return {subset: set(tasks) for subset, tasks in counts.items()}

    def _tasks_for(self, subset: str, present: set[str]) -> list[str]:
        if self.explicit:
            return list(self.allowed_tasks)
        had = {m["task"] for m in self.meta_files.values() if m["subset"] == subset}
        wanted = [t for t in T.TASKS if t in had or t in present]
        # Objects whose home task is not written go to a fallback task already chosen.
        if not wanted:
            wanted = [T.INSTANCES]
        return [t for t in wanted if t in self.allowed_tasks]

    def _route(self, task: str) -> str | None:
        """The written task that receives objects whose home task is ``task``.

        Objects of a left-out task fall back to a written one (keypoint objects to
        instances), unless the source had files of both tasks for this subset: then the
        fallback file already holds them, and they are reported as lost instead.
        """
        if task in self.tasks:
            return task
        for fallback in T.FALLBACK.get(task, ()):
            if fallback in self.tasks:
                # The source's own file of that task already has these objects.
                return None if task in self.had and fallback in self.had else fallback
        return None

    # -- ids -----------------------------------------------------------------------------
    def _category_ids(self) -> list[Any]:
        labels = self.dataset.categories.labels
        ids: list[Any] = [None] * len(labels)
        if self.reindex:
            next_id = 1
            for index, label in enumerate(labels):
                if not label.extra.get("placeholder"):
                    ids[index] = next_id
                    next_id += 1
            return ids
        used = {label.id for label in labels if type(label.id) is int}
        next_id = max(used, default=0) + 1
        for index, label in enumerate(labels):
            if type(label.id) in (int, str) and label.id != "":
                ids[index] = label.id
            else:
                ids[index] = next_id
                next_id += 1
        return ids

    def _image_ids(self, items: list[Item]) -> list[Any]:
        if self.reindex:
            return list(range(1, len(items) + 1))
        ids = []
        seen: set = set()
        taken = {item.attributes.get("id") for item in items}
        next_id = max((v for v in taken if type(v) is int), default=0) + 1
        for item in items:
            iid = item.attributes.get("id")
            if type(iid) not in (int, str) or iid in seen:
                while next_id in taken:
                    next_id += 1
                iid = next_id
                next_id += 1
            seen.add(iid)
            ids.append(iid)
        return ids

    # -- writing -------------------------------------------------------------------------
    def _file_meta(self, task: str, subset: str) -> dict | None:
        meta = self.meta_files.get(f"{task}_{subset}")
        if meta is None:
            for candidate in self.meta_files.values():
                if candidate["subset"] == subset:
                    return candidate
        return meta

    def _write_task(self, task: str, subset: str, items: list[Item],
                    image_ids: list[Any]) -> None:
        meta = self._file_meta(task, subset)
        top = dict(meta["top"]) if meta else {}
        head = {"info": top.pop("info", {}), "licenses": top.pop("licenses", [])}
        head.update(top)
        labels = self._labels_for(task, meta)
        self._file_category_ids(labels)
        if task == T.PANOPTIC:
            from .panoptic_writer import PanopticWriter
            records = PanopticWriter(self, subset).records(items, image_ids)
        else:
            records = self._records(task, items, image_ids)
        images = (self._image_record(item, iid) for item, iid in zip(items, image_ids))
        path = join_inside(self.out_dir, f"annotations/{T.file_name(task, subset)}",
                           what="subset")
        categories = [self._category_record(index, task, meta) for index in labels]
        sections: list[tuple[str, Iterable[Any]]] = [("images", images)]
        if task != T.IMAGE_INFO or (meta and meta.get("has_annotations")):
            sections.append(("annotations", records))
        write_json(path, head, sections, {"categories": categories},
                   indent=self.opts["indent"])

    def _labels_for(self, task: str, meta: dict | None) -> list[int]:
        labels = self.dataset.categories.labels
        own = meta if meta is not None and meta["task"] == task else None
        if task in (T.CAPTIONS, T.IMAGE_INFO):
            return list(own["categories"]) if own else []
        if own is not None and own["categories"]:
            chosen = list(own["categories"])
            known = set(chosen)
            # Labels the data uses in this task but the file did not declare are added.
            chosen += [i for i in self._used_labels(task) if i not in known]
            return chosen
        return [i for i, label in enumerate(labels) if not label.extra.get("placeholder")]

    def _used_labels(self, task: str) -> list[int]:
        """Labels of this subset's objects routed to ``task`` (from the planning pass)."""
        found: set[int] = set()
        for unit_task, labels in self._plan_used.get(self.subset, {}).items():
            if self._route(unit_task) == task:
                found |= labels
        return sorted(found)

    def _file_category_ids(self, labels: list[int]) -> None:
        """Category ids for one file: the global ones, unless two labels share one there."""
        self.file_ids = {}
        seen: set = set()
        next_id = max((v for v in self.category_ids if type(v) is int), default=0) + 1
        for index in labels:
            cid = self.category_ids[index]
            if cid in seen:
                first = next(i for i in labels if self._category(i) == cid)
                names = self.dataset.categories.labels
                self.report.warn(f"labels {names[first].name!r} and {names[index].name!r} "
                                 f"share category id {cid!r} in one file; "
                                 f"{names[index].name!r} gets id {next_id}")
                cid = next_id
                next_id += 1
                self.file_ids[index] = cid
            seen.add(cid)

    def _category_record(self, index: int, task: str, meta: dict | None) -> dict[str, Any]:
        label = self.dataset.categories.labels[index]
        record: dict[str, Any] = {"id": self._category(index), "name": label.name,
                                  "supercategory": label.parent}
        schema = self.dataset.categories.keypoints.get(index)
        from_this_task = meta is not None and meta["task"] == task and \
            index in meta["category_extra"]
        if task == T.PERSON_KEYPOINTS and (schema is not None or "coco" not in
                                           self.dataset.meta):
            # A category not read from COCO (CVAT labels, VOC classes) declares both, empty
            # without a schema: Datumaro refuses a keypoints file whose category lacks them
            # (MissingFieldError). A COCO source's categories are written as they were.
            record["keypoints"] = list(schema.names) if schema is not None else []
            record["skeleton"] = [list(edge) for edge in schema.skeleton] \
                if schema is not None else []
        if from_this_task:
            extra = meta["category_extra"][index]
        else:
            extra = {k: v for k, v in label.extra.items()
                     if task == T.PANOPTIC or k not in ("isthing", "color")}
        for key, value in extra.items():
            if key != "placeholder" and key not in FORMAT_NAMESPACES:
                record[key] = value
        if task == T.PANOPTIC:
            record.setdefault("isthing", 1)
        return record

    def _image_record(self, item: Item, iid: Any) -> dict[str, Any]:
        record: dict[str, Any] = {"id": iid}
        image = item.image
        size = image.size if image is not None else None
        if size is None and image is not None and image.has_data:
            size = probe_size(image)
        if size is not None:
            record["width"] = size[1]
            record["height"] = size[0]
        if image is not None:
            record["file_name"] = self._file_name(item)
        extra = item.extra.get("coco_image")
        if extra:
            for key, value in extra.items():
                record.setdefault(key, value)
        return record

    def _file_name(self, item: Item) -> str:
        name = item.image.name if item.image is not None else item.id + ".jpg"
        return with_ext(name, normalise_ext(self.opts["image_ext"]))

    # -- object records ------------------------------------------------------------------
    def _records(self, task: str, items: list[Item], image_ids: list[Any]) -> Iterator[dict]:
        next_id = 1
        if not self.reindex:
            next_id = 1 + max((a.id for it in items for a in it.annotations
                               if type(a.id) is int), default=0)
        used_ids: set = set()
        for item, iid in zip(items, image_ids):
            for record, ann in self._item_records(task, item, iid):
                if self.reindex:
                    record["id"] = next_id
                    next_id += 1
                elif record.get("id") is None:
                    while next_id in used_ids:
                        next_id += 1
                    record["id"] = next_id
                    next_id += 1
                used_ids.add(record["id"])
                yield record
        if 0 in used_ids and task in (T.INSTANCES, T.PERSON_KEYPOINTS, T.STUFF):
            # COCOeval stores matches as annotation ids with 0 for "no match": an object
            # with id 0 never counts as matched (AP 0.0 where --reindex gives 1.0).
            self.report.warn(f"annotations/{T.file_name(task, self.subset)}: annotation id 0 "
                             f"is kept; pycocotools' COCOeval reads id 0 as 'no match' and "
                             f"scores that object as missed: use --reindex for ids 1..N")

    def _item_records(self, task: str, item: Item, iid: Any) -> Iterator[tuple[dict, Annotation]]:
        if task == T.CAPTIONS:
            for ann in item.annotations:
                if type(ann) is Caption:
                    record = {"id": ann.id, "image_id": iid, "caption": ann.caption}
                    self._finish(record, ann, task)
                    yield record, ann
            return
        if task == T.LABELS:
            for ann in item.annotations:
                if type(ann) is Label and self._route(home_task(ann, item)) == task:
                    record = {"id": ann.id, "image_id": iid,
                              "category_id": self._category(ann.label)}
                    self._finish(record, ann, task)
                    yield record, ann
            return
        if task == T.IMAGE_INFO:
            return
        units = self._units.get(id(item))
        if units is None:  # an item made during the export (--crop-covered)
            units = item_units(item)
        links = linked_groups(obj for _task, obj in units if obj[0].group and (
            type(obj[0]) not in (Caption, Label) or obj[0].extra.get("coco_task")))
        for unit_task, obj in units:
            kind = type(obj[0])
            if kind is Caption or (kind is Label and not obj[0].extra.get("coco_task")) or \
                    self._route(unit_task) != task:
                continue
            try:
                record = self._object_record(obj, item, iid, task,
                                             obj[0].group if obj[0].group in links else 0)
            except CococonvError as err:  # a mask limit (docs/limits.md): name the object
                raise err.located(file=item.id, where=f"annotation {obj[0].id}") from None
            if record is not None:
                yield record, obj[0]

    def _category(self, label: int | None) -> Any:
        if label is None:
            return None
        return self.file_ids.get(label, self.category_ids[label]) if self.file_ids \
            else self.category_ids[label]

    def _finish(self, record: dict, ann: Annotation, task: str,
                drop: tuple[str, ...] = ()) -> None:
        attrs = ann.attributes
        if "score" in attrs:
            record["score"] = attrs["score"]
        for key, value in ann.extra.items():
            if key not in _PRIVATE_EXTRA:
                record.setdefault(key, value)
        custom = {k: v for k, v in attrs.items() if k not in _OWN_ATTRS and k not in drop} \
            if not attrs.keys() <= _OWN_ATTRS_SET else {}
        verbatim = ann.extra.get("_attributes")
        if verbatim is not None:
            custom = verbatim
        if custom or ann.extra.get("_attributes_empty"):
            if self.opts["allow_attributes"]:
                record["attributes"] = custom
            else:
                self.report.lost("annotation attributes", "--no-allow-attributes", 1)

    def _link(self, record: dict, group: int) -> None:
        """Keep a group that spans several records as ``attributes["group_id"]``."""
        if not self.opts["allow_attributes"]:
            self.report.lost("group links between objects (e.g. VOC layout parts)",
                             "--no-allow-attributes", 1)
            return
        record["attributes"] = {**record.get("attributes", {}), LINK_ATTRIBUTE: group}

    def _object_record(self, obj: list[Annotation], item: Item, iid: Any,
                       task: str, link: int = 0) -> dict | None:
        """One COCO record for one object of :func:`group_objects`; ``link`` is its group
        when the group spans several records."""
        leader = obj[0]
        if len(obj) == 1 and type(leader) is Polygon and self.mode != "mask" \
                and leader.label is not None:
            extra = leader.extra
            area = extra.get("area")
            bbox = extra.get("bbox")
            if area is not None and bbox is not None:
                # The common case: a lone polygon whose declared box and area still hold.
                record = {"id": leader.id, "image_id": iid,
                          "category_id": self._category(leader.label),
                          "segmentation": [leader.points], "area": area, "bbox": bbox,
                          "iscrowd": 1 if leader.attributes.get("is_crowd") else 0}
                self._finish(record, leader, task)
                if link:
                    self._link(record, link)
                return record
        polygons: list = []
        masks_: list = []
        boxes: list = []
        points: list = []
        ellipses: list = []
        lines: list = []
        buckets = {Polygon: polygons, Mask: masks_, Bbox: boxes, Points: points,
                   Ellipse: ellipses, Polyline: lines}
        for ann in obj:
            bucket = buckets.get(type(ann))
            if bucket is not None:
                bucket.append(ann)
        if lines:
            self.report.lost("polylines", "COCO has no open lines", len(lines))
            if len(lines) == len(obj):
                return None
        extra = leader.extra
        attrs = leader.attributes
        crowd = bool(attrs.get("is_crowd", False))
        record: dict[str, Any] = {"id": leader.id, "image_id": iid}
        if leader.label is not None:
            record["category_id"] = self._category(leader.label)
        if type(leader) is Label and not polygons and not masks_ and not boxes and not points:
            self._finish(record, leader, task)
            if link:
                self._link(record, link)
            return record
        if leader.label is None and not extra.get("_no_category"):
            self.report.lost("unlabelled shapes", "COCO needs a category_id",
                             len(obj) - len(lines))
            return None
        height, width = item.image.size if item.image is not None and item.image.size \
            else (None, None)
        rings = [p.points for p in polygons]
        if ellipses:
            from cococonv.geometry import ellipse_to_polygon
            rings += [ellipse_to_polygon(e) for e in ellipses]
            self.report.approximated("ellipses", "written as 64-point polygons", len(ellipses))
        # A box COCO itself declared (CVAT's COCO export adds a "rotation" attribute) stays a
        # box; a rotated box from CVAT becomes its outline.
        rotated = [b for b in boxes if rotation_of(b) and "bbox" not in b.extra]
        if rotated:
            from cococonv.geometry import box_corners
            rings += [box_corners(b) for b in rotated]
            boxes = [b for b in boxes if b not in rotated]
            self.report.approximated("rotated boxes", "written as 4-point polygons",
                                     len(rotated))
        segmentation, seg_rle = self._segmentation(rings, masks_, crowd, height, width)
        record["segmentation"] = [] if segmentation is None else segmentation
        area = extra.get("area")
        bbox = extra.get("bbox")
        # Rings of one COCO record share its extra; another record's declared box and
        # area (two records linked by group_id, one category) are not this object's.
        others = {id(a.extra) for a in obj if a.extra is not extra and "bbox" in a.extra}
        if others:
            area = bbox = None
            self.report.approximated("COCO records of one category and group_id",
                                     "joined into one object with all their outlines",
                                     len(others))
        if bbox is None:
            bbox = self._bbox(rings, seg_rle, boxes, points)
        if not segmentation and not rings and not masks_ and bbox and \
                self.opts["box_segmentation"] == "polygon":
            x, y, w, h = bbox
            record["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        if area is None:
            area = self._area(rings, seg_rle, boxes, bbox, height, width)
        record["area"] = area
        record["bbox"] = bbox
        record["iscrowd"] = 1 if crowd else 0
        if boxes and (rings or masks_ or (points and task == T.PERSON_KEYPOINTS)):
            self.report.approximated("boxes joined with the shape or keypoints they bound",
                                     "written as that COCO object's bbox", len(boxes))
        if points:
            if task == T.PERSON_KEYPOINTS:
                pts = points[0]
                flat: list[Any] = []
                for k, v in enumerate(pts.visibility):
                    flat += (pts.points[2 * k], pts.points[2 * k + 1], v)
                record["keypoints"] = flat
                num = extra.get("num_keypoints")
                record["num_keypoints"] = num if num is not None else \
                    sum(1 for v in pts.visibility if v)
            else:
                self.report.lost("keypoints", f"{task} has no keypoints (add "
                                 f"person_keypoints to --tasks)", len(points))
        self._finish(record, leader, task, drop=("rotation",) if rotated or ellipses else ())
        if link:
            self._link(record, link)
        return record

    def _segmentation(self, rings: list[list[float]], masks_: list[Mask], crowd: bool,
                      height: int | None, width: int | None) -> tuple[Any, dict | None]:
        # cococonv.masks (numpy, pycocotools) is imported only where a mask is computed.
        mode = self.mode
        size_known = height is not None and width is not None
        if masks_ and (rings or len(masks_) > 1):
            if not size_known:
                size = masks_[0].rle["size"]
                height, width = size[0], size[1]
            from cococonv import masks
            from cococonv.geometry import rasterize
            rle = rasterize(masks_ + [Polygon(points=r) for r in rings], height, width)
            self.report.approximated("masks and polygons joined with another outline of "
                                     "their object", "merged into one RLE",
                                     len(masks_) + len(rings) - 1)
            return (masks.uncompress(rle) if crowd else rle), rle
        if masks_:
            rle = masks_[0].rle
            if mode == "polygons" and not crowd:
                from cococonv.contours import mask_to_polygons
                found = mask_to_polygons(rle)
                if found is not None:
                    self.report.approximated("masks", "traced into polygons", 1)
                    return found, rle
                self.report.approximated("masks", "kept as RLE (could not trace exactly)", 1)
            return rle, rle
        if rings:
            if mode == "mask" and size_known:
                from cococonv import masks
                rle = masks.polygons_to_rle(rings, height, width)
                return (masks.uncompress(rle) if crowd else rle), rle
            if mode == "mask":
                self.report.approximated("polygons", "kept as polygons: image size unknown", 1)
            return rings, None
        return [], None

    def _bbox(self, rings: list[list[float]], rle: dict | None, boxes: list[Bbox],
              points: list[Points]) -> list[float]:
        from cococonv.geometry import points_bbox
        if boxes:
            return boxes[0].bounds()
        if rle is not None:
            from cococonv import masks
            return masks.bbox(rle)
        if rings:
            flat = [v for ring in rings for v in ring]
            return points_bbox(flat)
        if points:
            pts = points[0]
            visible = []
            for k, v in enumerate(pts.visibility):
                if v:
                    visible += (pts.points[2 * k], pts.points[2 * k + 1])
            return points_bbox(visible)
        return [0, 0, 0, 0]

    def _area(self, rings: list[list[float]], rle: dict | None, boxes: list[Bbox],
              bbox: list[float], height: int | None, width: int | None) -> float:
        if rle is not None:
            from cococonv import masks as m
            return m.area(rle)
        if rings:
            if height is not None and width is not None:
                from cococonv import masks as m
                return m.polygons_area(rings, height, width)
            from cococonv.geometry import shoelace_area
            return sum(shoelace_area(r) for r in rings)
        return bbox[2] * bbox[3]

    def _count_unwritten(self) -> None:
        """Report this subset's objects no written task takes, and what COCO cannot hold."""
        lost: dict[str, int] = {}
        for task, count in self._plan_counts.get(self.subset, {}).items():
            if self._route(task) is None:
                lost[task] = lost.get(task, 0) + count
        for task, count in lost.items():
            self.report.lost(f"{task} annotations", f"task {task} not in --tasks", count)
        stats = self._plan_stats.get(self.subset, Counter())
        void, drawn = stats["void"], stats["z_order"]
        foreign = {key[len("ns:"):]: count for key, count in stats.items()
                   if key.startswith("ns:")}
        self.report.lost("images' VOC void (255) regions", "COCO has no void; import VOC "
                         "with --void-regions crowd to keep them", void)
        self.report.lost("z_order values", "COCO has no drawing order (--crop-covered applies "
                         "it)", drawn)
        for key, count in sorted(foreign.items()):
            self.report.lost(f"{key}-only annotation fields (e.g. CVAT source, VOC tags)",
                             "COCO has no place for them", count)

    # -- images and meta -----------------------------------------------------------------
    def _save_images(self, items: list[Item], subset: str) -> None:
        folder = "images" if self.opts["merge_images"] else f"images/{subset}"
        save_images(items, self.out_dir, lambda item: f"{folder}/{self._file_name(item)}",
                    self.report, ext=self.opts["image_ext"])

    def _write_dataset_meta(self) -> None:
        cats = self.dataset.categories
        meta = {
            "labels": [{"name": label.name, "id": self.category_ids[i], "parent": label.parent}
                       for i, label in enumerate(cats.labels)],
            "keypoints": {cats.labels[i].name: {"names": s.names, "skeleton": s.skeleton}
                          for i, s in cats.keypoints.items()},
            "colormap": {cats.labels[i].name: list(rgb) for i, rgb in cats.colormap.items()},
        }
        write_bytes(os.path.join(self.out_dir, "dataset_meta.json"), dumps_json(meta, indent=True))


def home_task(ann: Annotation, item: Item | None = None) -> str:
    """The task an annotation belongs to when nothing else decides."""
    explicit = ann.extra.get("coco_task") if ann.extra else None
    if explicit:
        return explicit
    kind = type(ann)
    if kind is Caption:
        return T.CAPTIONS
    if kind is Label:
        return T.LABELS
    if kind is Points:
        return T.PERSON_KEYPOINTS
    return T.INSTANCES


def object_task(obj: list[Annotation], item: Item) -> str:
    if len(obj) == 1:
        ann = obj[0]
        explicit = ann.extra.get("coco_task") if ann.extra else None
        if explicit:
            return explicit
        return T.PERSON_KEYPOINTS if type(ann) is Points else T.INSTANCES
    for ann in obj:
        explicit = ann.extra.get("coco_task") if ann.extra else None
        if explicit:
            return explicit
    if any(type(a) is Points for a in obj):
        return T.PERSON_KEYPOINTS
    return T.INSTANCES


def _count_unwritable(item: Item, stats: Counter) -> None:
    """Count what COCO cannot hold: drawing order, other formats' fields and VOC void
    (groups split into several records keep their link, see grouping.py)."""
    for ann in item.annotations:
        if ann.z_order:
            stats["z_order"] += 1
        if ann.extra:
            for key in FORMAT_NAMESPACES.intersection(ann.extra):
                stats["ns:" + key] += 1
    voc = item.extra.get("voc")
    if voc and (voc.get("void_class") or voc.get("void_object")):
        stats["void"] += 1


def item_units(item: Item) -> list[tuple[str, list[Annotation]]]:
    """Everything an item holds, as (home task, annotations of one COCO record)."""
    units: list[tuple[str, list[Annotation]]] = []
    for ann in item.annotations:
        kind = type(ann)
        if kind is Caption:
            units.append((home_task(ann), [ann]))
        elif kind is Label and not (ann.extra and ann.extra.get("coco_task")):
            units.append((home_task(ann), [ann]))
    for obj in group_objects(item):
        units.append((object_task(obj, item), obj))
    return units


def write_json(path: str, head: dict, sections: list[tuple[str, Iterable[Any]]],
               tail: dict, *, indent: bool = False) -> None:
    """Write one JSON object; the big lists are streamed record by record."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if indent:
        doc = dict(head)
        for key, records in sections:
            doc[key] = list(records)
        doc.update(tail)
        with open(path, "wb") as fh:
            fh.write(dumps_json(doc, indent=True))
        return
    dumps = dumps_json
    with open(path, "wb") as fh:
        parts = [dumps(key) + b":" + dumps(value) for key, value in head.items()]
        fh.write(b"{" + b",".join(parts))
        first_key = not parts
        for key, records in sections:
            fh.write((b"" if first_key else b",") + dumps(key) + b":[")
            first_key = False
            # Batches of records per dumps call: 3x faster than one call per record, and
            # memory stays bounded by the batch.
            chunk: list[Any] = []
            wrote_any = False
            for record in records:
                chunk.append(record)
                if len(chunk) >= 512:
                    fh.write((b"," if wrote_any else b"") + dumps(chunk)[1:-1])
                    wrote_any = True
                    chunk = []
            if chunk:
                fh.write((b"," if wrote_any else b"") + dumps(chunk)[1:-1])
            fh.write(b"]")
        for key, value in tail.items():
            fh.write((b"" if first_key else b",") + dumps(key) + b":" + dumps(value))
            first_key = False
        fh.write(b"}")


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
