"""The ``yolo`` exporter: the Ultralytics layout.

``images/<subset>/<id>.<ext>`` (with --save-images), ``labels/<subset>/<id>.txt``,
``data.yaml`` (split folders, names in index order, ``kpt_shape``/``flip_idx`` for
pose) and ``yolo_meta.json`` (source category ids, supercategories, keypoint names,
image names and sizes: what lets yolo -> coco give back the source's ids).
"""
from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cococonv import export_options as shared
from cococonv.context import Context
from cococonv.errors import DataError, OptionError
from cococonv.fileio import write_bytes
from cococonv.foreign_fields import outline, settle
from cococonv.foreign_fields import what as field_what
from cococonv.images import copy_image, normalise_ext, probe_size, with_ext
from cococonv.model import Dataset, Item, Label, Mask, Points, Polygon
from cococonv.paths import join_inside, safe_relpath, safe_segment, writable
from cococonv.plugin import Exporter, Option
from cococonv.text import shown

from . import paths as P
from .flips import flip_index
from .names import name_problem
from .shapes import EVENTS, TASKS, LineMaker
from .sidecar import META_NAME, Meta, dump_meta
from .yamlfile import dump_data_yaml

NAMESPACE = "yolo"

OPTIONS = (
    Option("task", str, None, "detect, segment, pose or obb; default: what the data holds "
           "(keypoints: pose, unless polygons or masks of classes without a keypoint schema "
           "would be lost; polygons or masks: segment; else detect).", TASKS),
    shared.save_images("images/<subset>/"),
    shared.image_ext(),
    Option("save_scores", bool, False, "Write each object's score as a trailing confidence "
           "(the prediction format; Ultralytics training reads no such column)."),
)


@dataclass(slots=True)
class YoloPlan:
    out_dir: str
    task: str
    classes: dict[int, int]  # model label index -> YOLO class index
    kpt_count: int
    save_images: bool
    save_scores: bool
    image_ext: str | None  # --image-ext, normalised (.png)
    meta: Meta = field(default_factory=Meta)  # classes, keypoints, task: all but images
    flip: list[int] | None = None
    items: list[Item] = field(default_factory=list)


def default_task(source: Any) -> str:
    """The task the data holds: keypoints make pose when no polygon or mask would be lost
    for it, or when every class with objects has a keypoint schema (a person_keypoints
    file, whose persons have outlines too); polygons or masks make segment (obb when the
    source was an OBB dataset); else detect."""
    kinds: set[type] = set()
    classes: set[int] = set()
    for item in source:
        for ann in item.annotations:
            kinds.add(type(ann))
            if ann.label is not None and type(ann) is not Label:
                classes.add(ann.label)
    area = Polygon in kinds or Mask in kinds
    schemas = {k for k, schema in source.categories.keypoints.items() if schema.names}
    if Points in kinds and (not area or classes <= schemas):
        return "pose"
    if area:
        own = source.meta.get(NAMESPACE, {}).get("task") if hasattr(source, "meta") else ""
        return "obb" if own == "obb" else "segment"
    return "detect"


def write_item(plan: YoloPlan, item: Item) -> tuple[str, str, dict[str, Any], Counter]:
    """One item's label file (and image): runs in workers under --jobs."""
    events: Counter[str] = Counter()
    image = item.image
    size = probe_size(image) if image is not None else None
    record: dict[str, Any] = {}
    if image is not None:
        record["file"] = with_ext(image.name, plan.image_ext)
    if size is not None:
        record["size"] = [size[0], size[1]]
    if type(item.image_id) in (int, str):
        record["image_id"] = item.image_id
    shapes = [a for a in item.annotations]
    unlabelled = bool(item.extra.get(NAMESPACE, {}).get("unlabelled")) and not shapes
    rel = _label_rel(item, _saves_image(item, plan.save_images))
    if size is None:
        events["no_size"] += len(shapes)
        lines: list[str] = []
    else:
        maker = LineMaker(plan.task, plan.classes, size, plan.kpt_count, plan.save_scores)
        lines = maker.lines(shapes)
        events = maker.events
        if maker.box_lines:
            record["boxes"] = maker.box_lines
        if any(maker.line_groups):
            record["groups"] = maker.line_groups
    if item.ignore:
        events["void"] += 1
    if item.attributes:
        events["image_attributes"] += 1
    for key in outline(item.extra, NAMESPACE):  # judged in finish (foreign_fields)
        events["image_field:" + key] += 1
    if not unlabelled:
        text = "".join(line + "\n" for line in lines)
        write_bytes(join_inside(plan.out_dir, rel, what="label file"), text.encode())
    if plan.save_images and image is not None:
        if not image.has_data:
            events["image_missing"] += 1
        elif not copy_image(image, join_inside(plan.out_dir, _image_rel(item, plan.image_ext),
                                               what="image file"),
                            plan.image_ext):
            events["image_not_image"] += 1
    return item.subset, item.id, record, events


def _label_rel(item: Item, with_image: bool) -> str:
    """``labels/<subset>/<id>.txt``; beside a saved image, the label file Ultralytics reads
    for it: it swaps the image path's last ``images`` folder for ``labels``, so the labels of
    an id with an ``images`` folder (Label Studio's ``images/a``) go in
    ``images/<subset>/labels/`` (red-team R6: they were never found)."""
    if with_image:
        return P.label_of(f"images/{item.subset}/{item.id}.jpg")
    return f"labels/{item.subset}/{item.id}.txt"


def _saves_image(item: Item, save_images: bool) -> bool:
    return save_images and item.image is not None and item.image.has_data


def _image_rel(item: Item, image_ext: str | None) -> str:
    """``images/<subset>/<id>`` with the image's extension (--image-ext's when given)."""
    ext = posixpath.splitext(item.image.name)[1].lower() if item.image else ""
    ext = image_ext or (ext if P.is_image("x" + ext) else ".jpg")
    return f"images/{item.subset}/{item.id}{ext}"


class YoloExporter(Exporter):
    """YOLO (Ultralytics): data.yaml, labels/<subset>/*.txt, images/<subset>/ (--save-images).

    Writes detect, segment, pose or OBB lines (--task; default: what the data holds),
    masks traced into exact polygons, keypoint schemas as kpt_shape and flip_idx, and
    yolo_meta.json with the source's category ids so yolo -> coco restores them. What
    YOLO cannot hold (captions, attributes, ellipses, polylines, image labels, groups)
    is reported.
    """

    name = "yolo"
    namespace = "yolo"
    options = OPTIONS
    item_function = write_item

    def plan(self, source: Dataset, out_dir: str, ctx: Context, *, task: str | None,
             save_images: bool, save_scores: bool, image_ext: str | None = None) -> YoloPlan:
        labels = source.categories.labels
        classes = {}
        for index, label in enumerate(labels):
            if not label.placeholder:
                problem = name_problem(label.name)
                if problem:  # the reader refuses it: the output would not read back
                    raise DataError(f"label {shown(label.name)} {problem}, which a YOLO "
                                    f"reader refuses (rename it with remap_labels)")
                classes[index] = len(classes)
        chosen = task or default_task(source)
        kpt_count = 0
        if chosen == "pose":
            counts = [len(source.categories.keypoints[k].names)
                      for k in classes if k in source.categories.keypoints]
            found = [len(a.points) // 2 for item in source for a in item.annotations
                     if type(a) is Points]
            kpt_count = max(counts + found, default=0)
            if kpt_count == 0:
                raise OptionError("--task pose needs keypoints (a keypoint schema or points)")
        image_ext = normalise_ext(image_ext)
        plan = YoloPlan(out_dir, chosen, classes, kpt_count, save_images, save_scores,
                        image_ext, _meta(source, classes, chosen))
        if chosen == "pose":
            plan.flip = flip_index(_keypoint_names(source, plan))

        def prepare(item: Item) -> tuple[Item, list[str]]:
            safe_segment(item.subset, what="subset")
            owned = [safe_relpath(_label_rel(item, _saves_image(item, save_images)),
                                  what="item id")]
            if save_images and item.image is not None:
                owned.append(safe_relpath(_image_rel(item, image_ext), what="item id"))
            return item, owned

        plan.items = list(writable(source, ctx.report, prepare))
        return plan

    def finish(self, plan: YoloPlan, results: Iterable[Any], ctx: Context) -> None:
        meta = plan.meta
        events: Counter[str] = Counter()
        for subset, item_id, record, counts in results:
            meta.images.setdefault(subset, {})[item_id] = record
            events.update(counts)
        keys = _yaml_keys(list(dict.fromkeys(item.subset for item in plan.items)))
        meta.subsets = {key: subset for key, subset in keys}
        kpt_shape = (plan.kpt_count, 3) if plan.task == "pose" else None
        yaml_splits = [(key, f"images/{subset}") for key, subset in keys]
        text = dump_data_yaml(yaml_splits, meta.names, kpt_shape, plan.flip)
        write_bytes(join_inside(plan.out_dir, "data.yaml", what="file"), text.encode())
        write_bytes(join_inside(plan.out_dir, META_NAME, what="file"), dump_meta(meta))
        _report(events, ctx)


def _meta(source: Dataset, classes: dict[int, int], task: str) -> Meta:
    """What yolo_meta.json says of the classes: source ids, supercategories, keypoints."""
    labels = source.categories.labels
    meta = Meta(names=[labels[k].name for k in classes], task=task,
                classes=[{"name": labels[k].name, "id": _json_id(labels[k].id),
                          "supercategory": labels[k].parent} for k in classes])
    for index, schema in source.categories.keypoints.items():
        if index in classes:
            meta.keypoints[classes[index]] = {"names": list(schema.names),
                                              "skeleton": schema.skeleton}
    return meta


def _json_id(value: Any) -> Any:
    return value if type(value) in (int, str) else None


#: data.yaml keys that are not splits: a subset of such a name is written as subset_<name>.
RESERVED_KEYS = frozenset({"path", "names", "nc", "kpt_shape", "flip_idx", "download",
                           "channels", "yaml_file", "kpt_names", "roboflow"})


def _yaml_keys(subsets: list[str]) -> list[tuple[str, str]]:
    """(YAML key, subset): each subset under its own name, and ``train``/``val`` (which
    Ultralytics requires) pointing at the first subsets when no subset has that name."""
    keys = [(f"subset_{s}" if s in RESERVED_KEYS else s, s) for s in subsets]
    if not subsets:
        return keys
    train = "train" if "train" in subsets else subsets[0]
    if "train" not in subsets:
        keys.append(("train", train))
    if "val" not in subsets:
        others = [s for s in subsets if s != train]
        keys.append(("val", others[0] if others else train))
    return keys


def _keypoint_names(source: Dataset, plan: YoloPlan) -> list[str]:
    for index, schema in source.categories.keypoints.items():
        if index in plan.classes and len(schema.names) == plan.kpt_count:
            return list(schema.names)
    return []


def _report(events: Counter, ctx: Context) -> None:
    outlines: dict[str, dict[str, int]] = {"annotation": {}, "image": {}}
    for key, count in sorted(events.items()):
        if key.startswith("field:"):
            outlines["annotation"][key[len("field:"):]] = count
        elif key.startswith("image_field:"):
            outlines["image"][key[len("image_field:"):]] = count
        elif key == "image_missing":
            ctx.report.lost("images", "not present in the input", count)
        elif key == "image_not_image":
            ctx.report.lost("images", "not an image file", count)
        else:
            kind, what, why = EVENTS[key]
            (ctx.report.lost if kind == "lost" else ctx.report.approximated)(what, why, count)
    whys = {"annotation": "a YOLO line holds the class and the shape only",
            "image": "YOLO keeps an image's file, size and id only (yolo_meta.json)"}
    for of, counted in outlines.items():
        fields: dict[str, int] = {}
        settle(counted, lambda: ctx.namespaces, fields)
        for name, count in fields.items():
            ctx.report.lost(field_what(name, of), whys[of], count)
