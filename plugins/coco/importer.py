"""COCO importers: ``coco`` (every task file found) and one per task.

Every task file found is read and its annotations are added to the items of its subset,
matched by file name, so instances, keypoints, captions, ... of one image meet on one item.
The parsed JSON records are reused as the model's ``extra`` dicts (their own keys popped),
which keeps unknown keys and the declared ``bbox``/``area`` at no copying cost.
"""
from __future__ import annotations

import posixpath
import re
from typing import Any, ClassVar

from cococonv.errors import DataError
from cococonv.fileio import loads_json, paused_gc
from cococonv.limits import (LimitError, box_problem, check_rle_canvas, coordinate_bounds,
                             coordinates_problem)
from cococonv.model import (MAX_IMAGE_SIDE, Bbox, Caption, Categories, Dataset, Image, Item, KeypointSchema,
                            Label, LabelCategory, Mask, Points, Polygon)
from cococonv.paths import is_hidden, lookup_relpath
from cococonv.plugin import Importer, Option
from cococonv.context import Context
from cococonv.report import Report
from cococonv.sources import FileTree, Tree

from . import tasks as T
from .grouping import LINK_ATTRIBUTE
from .keypoints import KeypointReader

_NUMBER = (int, float)
MAX_DIMENSION = MAX_IMAGE_SIDE
_NUMBER_TYPES = frozenset(_NUMBER)
_ID_TYPES = frozenset((int, str))
_INT_TYPES = frozenset((int,))


def _all_numbers(values: list) -> bool:
    """Every value is an int or a float (not a bool or a string), in one C-level pass."""
    return set(map(type, values)) <= _NUMBER_TYPES


def _box_within(box: list, low: float, high: float) -> bool:
    """All corners of ``[x, y, w, h]`` lie in ``low..high`` (box_problem would pass it)."""
    x, y, w, h = box
    try:
        return low <= x <= high and low <= y <= high and low <= x + w <= high \
            and low <= y + h <= high
    except OverflowError:  # a float plus an int of hundreds of digits: box_problem says so
        return False

_SNIFF = re.compile(rb'"(images|annotations|categories)"\s*:')


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def item_id_of(file_name: str) -> str:
    """The item id of an image file name: the path without its extension."""
    stem, _ext = posixpath.splitext(file_name.replace("\\", "/"))
    return stem or file_name


class AnnotationFile:
    """One annotation file to read: where it is, its task and subset."""

    __slots__ = ("rel", "task", "subset")

    def __init__(self, rel: str, task: str | None, subset: str):
        self.rel, self.task, self.subset = rel, task, subset


def find_annotation_files(tree: Tree, tasks: tuple[str, ...],
                          relpaths: list[str] | None = None, *,
                          sniff: bool = True) -> list[AnnotationFile]:
    """The COCO annotation files of a tree, in a stable order (task, then subset).

    A single-file input is taken as COCO only when its first bytes look like it, unless
    ``sniff`` is off (the user named the format: a broken file should say why it is broken).
    Files the user named (``-r``, or the input itself) are returned whatever task their
    name says: the importer reads them as its own task.
    """
    if relpaths:
        found = []
        for rel in relpaths:
            rel = rel.replace("\\", "/").removeprefix("./")
            if not tree.exists(rel):
                raise DataError("no such annotation file in the input", file=tree.display(rel))
            found.append(_describe(rel))
        return found
    if isinstance(tree, FileTree):
        if sniff and not _looks_like_coco(tree, tree.filename):
            return []
        return [_describe(tree.filename)]
    files = tree.files()
    standard = []
    for rel in files:
        parsed = T.parse_filename(posixpath.basename(rel))
        if parsed and parsed[0] in tasks and _in_annotations_dir(rel):
            standard.append(AnnotationFile(rel, *parsed))
    if standard:
        order = {task: i for i, task in enumerate(T.TASKS)}
        standard.sort(key=lambda f: (order[f.task], f.subset, f.rel))
        return standard
    # Roboflow: <subset>/_annotations.coco.json
    roboflow = [AnnotationFile(rel, None, posixpath.basename(posixpath.dirname(rel)) or "default")
                for rel in files if posixpath.basename(rel) == "_annotations.coco.json"]
    if roboflow:
        return roboflow
    # Anything else: JSON files near the top that look like COCO.
    loose = []
    for rel in files:
        if rel.lower().endswith(".json") and rel.count("/") <= 1 and _looks_like_coco(tree, rel):
            loose.append(_describe(rel))
    if len(loose) > 1:
        # Several unrelated files: each is its own subset, named after the file.
        for found in loose:
            if found.task is None or T.parse_filename(posixpath.basename(found.rel)) is None:
                found.subset = posixpath.splitext(posixpath.basename(found.rel))[0]
    return [f for f in loose if f.task is None or f.task in tasks]


def _in_annotations_dir(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 1 or parts[-2] == "annotations" or len(parts) <= 2


def _describe(rel: str) -> AnnotationFile:
    parsed = T.parse_filename(posixpath.basename(rel))
    if parsed:
        return AnnotationFile(rel, *parsed)
    return AnnotationFile(rel, None, "default")


def _looks_like_coco(tree: Tree, rel: str) -> bool:
    try:
        with tree.open(rel) as fh:
            head = fh.read(1 << 16)
    except DataError:
        return False
    stripped = head.lstrip()
    return bool(_SNIFF.search(head)) or (stripped.startswith(b"[") and b'"image_id"' in head)


class CocoReader:
    """Builds one Dataset from several COCO task files."""

    def __init__(self, tree: Tree, report: Report):
        self.tree = tree
        self.report = report
        self.categories = Categories()
        self.dataset = Dataset(self.categories, meta={"coco": {"files": {}}})
        self._label_by_key: dict[tuple[Any, str], int] = {}
        self._label_by_name: dict[str, int] = {}
        self._group = 0
        # id(item) -> (group_id value -> model group, model groups the item uses)
        self._links: dict[int, tuple[dict[int, int], set[int]]] = {}
        self._image_dirs: dict[str, list[str]] = {}
        self._names_of: dict | None = None  # the cat_map _declared_name indexed last
        self._items_by_file: dict[tuple[str, str], Item] = {}
        self.images_by_id: dict[Any, list[Item]] = {}
        self.largest_id: tuple[int, str, str] | None = None  # (id, file, where) for limits

    # -- helpers -------------------------------------------------------------------------
    def next_group(self, item: Item | None = None) -> int:
        """A group number no other object of ``item`` uses."""
        self._group += 1
        links = self._links.get(id(item)) if self._links and item is not None else None
        if links is not None:
            while self._group in links[1]:
                self._group += 1
            links[1].add(self._group)
        return self._group

    def link_group(self, item: Item, value: int) -> int:
        """The model group of an ``attributes["group_id"]`` link (see grouping.py): the
        value itself unless another object of the item already uses that number."""
        links = self._links.get(id(item))
        if links is None:
            links = self._links[id(item)] = ({}, {a.group for a in item.annotations if a.group})
        mapping, used = links
        group = mapping.get(value)
        if group is None:
            group = value if value > 0 and value not in used else self.next_group(item)
            used.add(group)
            mapping[value] = group
        return group

    def error(self, message: str, where: str) -> DataError:
        return DataError(message, file=self.display, where=where)

    # -- one file ------------------------------------------------------------------------
    def read(self, source: AnnotationFile) -> None:
        self.display = self.tree.display(source.rel)
        doc = loads_json(self.tree.read_bytes(source.rel), file=self.display)
        results = isinstance(doc, list)
        if results:
            doc = {"annotations": doc}
        if not isinstance(doc, dict):
            raise self.error(f"expected a JSON object with images, annotations and categories, "
                             f"got {_type_name(doc)}", "top level")
        task = source.task or T.guess_task(doc)
        subset = source.subset
        self.task, self.subset = task, subset
        images = doc.pop("images", None)
        if images is None and not results and task != T.PANOPTIC:
            raise self.error("missing key 'images'", "top level")
        if images is not None and not isinstance(images, list):
            raise self.error(f"must be a list, got {_type_name(images)}", "images")
        categories = doc.pop("categories", None)
        if categories is None:
            categories = []
        if not isinstance(categories, list):
            raise self.error(f"must be a list, got {_type_name(categories)}", "categories")
        annotations = doc.pop("annotations", None)
        has_annotations_key = annotations is not None
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            raise self.error(f"must be a list, got {_type_name(annotations)}", "annotations")

        if task == T.PANOPTIC and annotations and T.guess_task(annotations) != T.PANOPTIC:
            # panopticapi's "detection format" files carry a panoptic name but instances.
            task = T.guess_task(annotations)
            self.task = task
        self.cat_map = self._read_categories(categories, task)
        self.invent_categories = not self.cat_map
        self.image_map: dict[Any, tuple[Item, int | None, int | None]] = {}
        self._image_index: dict[Any, int] = {}
        self._read_images(images or [], subset)
        self.results = results
        file_meta = {"task": task, "subset": subset, "source": source.rel,
                     "categories": list(dict.fromkeys(self.cat_map.values())),
                     "category_extra": self.category_extra,
                     "results": results, "has_annotations": has_annotations_key,
                     "top": doc}
        key = f"{task}_{subset}"
        while key in self.dataset.meta["coco"]["files"]:
            key += "+"
        self.dataset.meta["coco"]["files"][key] = file_meta
        reader = {
            T.INSTANCES: self._read_objects, T.STUFF: self._read_objects,
            T.PERSON_KEYPOINTS: self._read_objects, T.CAPTIONS: self._read_captions,
            T.LABELS: self._read_labels, T.PANOPTIC: self._read_panoptic,
            T.IMAGE_INFO: self._read_nothing,
        }[task]
        reader(annotations, task, source)
        if results or not file_meta["categories"]:
            file_meta["categories"] = list(dict.fromkeys(self.cat_map.values()))

    # -- categories ----------------------------------------------------------------------
    def _read_categories(self, categories: list, task: str) -> dict[Any, int]:
        cat_map: dict[Any, int] = {}
        self.category_extra: dict[int, dict] = {}
        for ci, cat in enumerate(categories):
            if type(cat) is not dict:
                raise self.error(f"must be an object, got {_type_name(cat)}", f"categories[{ci}]")
            cid = cat.get("id")
            if type(cid) not in (int, str):
                raise self.error(f"must be an integer, got {_type_name(cid)}",
                                 f"categories[{ci}].id")
            name = cat.get("name")
            if type(name) is not str:
                if name is None or isinstance(name, (dict, list)):
                    raise self.error(f"must be a string, got {_type_name(name)}",
                                     f"categories[{ci}].name")
                name = str(name)
            if cid in cat_map:
                raise self.error(f"{cid!r} is used twice", f"categories[{ci}].id")
            if type(cid) is int and (self.largest_id is None or cid > self.largest_id[0]):
                self.largest_id = (cid, self.display, f"categories[{ci}].id")
            rest = {k: v for k, v in cat.items()
                    if k not in ("id", "name", "supercategory", "keypoints", "skeleton")}
            parent = cat.get("supercategory")
            if "supercategory" in cat and not isinstance(parent, str):
                rest["supercategory"] = parent  # e.g. labelme writes null; kept as given
            index = self._label_by_key.get((cid, name))
            if index is None:
                if name in self._label_by_name:
                    self.report.warn(f"{self.display}: categories[{ci}]: label {name!r} also has "
                                     f"id {self.categories.labels[self._label_by_name[name]].id!r}"
                                     f" in another file; kept as two labels")
                index = len(self.categories.labels)
                self.categories.labels.append(LabelCategory(
                    name, parent if isinstance(parent, str) else "", cid, [], dict(rest)))
                self._label_by_key[(cid, name)] = index
                self._label_by_name.setdefault(name, index)
            else:
                label_extra = self.categories.labels[index].extra
                for key, value in rest.items():
                    label_extra.setdefault(key, value)
            self.category_extra[index] = rest
            if "keypoints" in cat or "skeleton" in cat:
                names = cat.get("keypoints") or []
                skeleton = cat.get("skeleton") or []
                if not isinstance(names, list) or not all(type(n) is str for n in names):
                    raise self.error("must be a list of point names",
                                     f"categories[{ci}].keypoints")
                if not isinstance(skeleton, list):
                    raise self.error("must be a list of [a, b] point pairs",
                                     f"categories[{ci}].skeleton")
                for k, edge in enumerate(skeleton):
                    if type(edge) is not list or len(edge) != 2 or \
                            not all(type(v) is int and v >= 0 for v in edge):
                        raise self.error(f"expected a pair of point numbers, got {edge!r}",
                                         f"categories[{ci}].skeleton[{k}]")
                if index not in self.categories.keypoints or names:
                    self.categories.keypoints[index] = KeypointSchema(list(names), skeleton)
            cat_map[cid] = index
        return cat_map

    def _label_by_id(self, cid: Any) -> int | None:
        found = [index for (key_id, _name), index in self._label_by_key.items() if key_id == cid]
        return found[0] if len(found) == 1 else None

    def _label_of(self, ann: dict, i: int, required: bool = True,
                  where: str | None = None, zero_unlabelled: bool = False) -> int | None:
        if "category_id" not in ann:
            return None
        cid = ann.pop("category_id")
        if type(cid) not in _ID_TYPES:
            if cid is None and not required:
                return None
            raise self.error(f"must be an integer, got {_type_name(cid)}",
                             where or f"annotations[{i}].category_id")
        index = self.cat_map.get(cid)
        if index is not None:
            return index
        if isinstance(cid, str) and cid and not self.cat_map:
            # RedBrick-style exports put the label name in category_id and no categories.
            index = self._label_by_name.get(cid)
            if index is None:
                index = len(self.categories.labels)
                self.categories.labels.append(LabelCategory(cid))
                self._label_by_name[cid] = index
                self.report.warn(f"{self.display}: annotations[{i}].category_id: {cid!r} is not "
                                 f"a category id; read as the label name")
            return index
        if isinstance(cid, str) and cid:
            index = self._declared_name(cid, i)
            if index is not None:
                return index
        if self.results and self.invent_categories and type(cid) in (int, str):
            # A results list names no categories: each id becomes a label (one per id across
            # files), named by its ground truth when one was read, else by category_name.
            name = ann.get("category_name")
            index = self._label_by_id(cid)
            if index is None:
                name = name if type(name) is str and name else str(cid)
                index = self._label_by_key.get((cid, name))
            if index is None:
                index = len(self.categories.labels)
                self.categories.labels.append(LabelCategory(name, "", cid))
                self._label_by_key[(cid, name)] = index
                self._label_by_name.setdefault(name, index)
            self.cat_map[cid] = index
            return index
        if not required:
            return None
        if zero_unlabelled and cid == 0 and type(cid) is int:
            # Datumaro writes category_id 0 for an object without a label (0 is no category
            # here): unlabelled, and written back as 0.
            ann["category_id"] = 0
            return None
        known = _describe_ids(list(self.cat_map))
        raise self.error(f"{cid!r} is not a category ({known})",
                         where or f"annotations[{i}].category_id")

    def _declared_name(self, name: str, i: int) -> int | None:
        """The one category of this file named ``name``: some exports write the name where
        the id belongs, next to a categories list that declares both (warned once a name)."""
        if self._names_of is not self.cat_map:
            self._names_of = self.cat_map
            self._by_name: dict[str, list[int]] = {}
            for index in dict.fromkeys(self.cat_map.values()):
                self._by_name.setdefault(self.categories.labels[index].name, []).append(index)
            self._named_warned: set[str] = set()
        found = self._by_name.get(name)
        if found is None:
            return None
        if len(found) > 1:
            ids = ", ".join(repr(self.categories.labels[k].id) for k in found)
            raise self.error(f"{name!r} is not a category id, and it names {len(found)} "
                             f"categories (ids {ids}): use the id",
                             f"annotations[{i}].category_id")
        if name not in self._named_warned:
            self._named_warned.add(name)
            self.report.warn(f"{self.display}: annotations[{i}].category_id: {name!r} is a "
                             f"category name, not an id; read as category "
                             f"{self.categories.labels[found[0]].id!r}")
        return found[0]

    # -- images --------------------------------------------------------------------------
    def _read_images(self, images: list, subset: str) -> None:
        by_name: dict[str, tuple[int, Any]] = {}
        for ii, img in enumerate(images):
            try:
                if type(img) is not dict:
                    raise self.error(f"must be an object, got {_type_name(img)}", f"images[{ii}]")
                iid = img.pop("id", None)
                if type(iid) not in (int, str):
                    raise self.error(f"must be an integer or string, got {_type_name(iid)}",
                                     f"images[{ii}].id")
                if iid in self.image_map:
                    raise self.error(f"{iid!r} is used twice (first at images["
                                     f"{self._image_index[iid]}])", f"images[{ii}].id")
                fname = img.pop("file_name", None)
                if fname is None:
                    fname = ""
                elif type(fname) is not str:
                    raise self.error(f"must be a string, got {_type_name(fname)}",
                                     f"images[{ii}].file_name")
                width = self._dimension(img, "width", ii)
                height = self._dimension(img, "height", ii)
                if (width is None) != (height is None):
                    # A lone dimension is no size; keep it as the source had it.
                    img["width" if height is None else "height"] = width or height
                if fname:
                    if fname in by_name:
                        first, other_id = by_name[fname]
                        raise self.error(f"{fname!r} is also the file of images[{first}] (ids "
                                         f"{other_id!r} and {iid!r}); two images cannot share "
                                         f"a file", f"images[{ii}].file_name")
                    by_name[fname] = (ii, iid)
                item = self._items_by_file.get((subset, fname)) if fname else None
                if item is None:
                    item_id = item_id_of(fname) if fname else str(iid)
                    if self.dataset.get(subset, item_id) is not None:
                        # a.jpg and a.png in one subset: the second keeps its extension.
                        item_id = fname or f"{item_id}#{iid}"
                    size = (height, width) if height is not None and width is not None else None
                    image = Image(fname or item_id, size)
                    self._attach_image(image, subset)
                    item = Item(item_id, subset, image, [], {"id": iid}, {"coco_image": img})
                    self.dataset.add(item)
                    if fname:
                        self._items_by_file[(subset, fname)] = item
                elif item.attributes.get("id") != iid:
                    self.report.warn(f"{self.display}: images[{ii}]: {fname!r} has id {iid!r} "
                                     f"here and {item.attributes.get('id')!r} in an earlier "
                                     f"file; the first id is kept")
                self._image_index[iid] = ii
                self.images_by_id.setdefault(iid, []).append(item)
                self.image_map[iid] = (item, height, width)
            except DataError as err:
                self.report.bad_record(err)

    def _dimension(self, img: dict, key: str, ii: int) -> int | None:
        value = img.pop(key, None)
        if value is None:
            return None
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is int and 0 < value <= MAX_DIMENSION:
            return value
        if value == 0 and type(value) is int:
            # Datumaro writes 0 for a size it does not know: no size, kept as written.
            img[key] = 0
            return None
        raise self.error(f"must be a positive integer up to {MAX_DIMENSION}, got {value!r}",
                         f"images[{ii}].{key}")

    def _image_folders(self, subset: str) -> list[str]:
        dirs = self._image_dirs.get(subset)
        if dirs is None:
            tree = self.tree
            if isinstance(tree, FileTree):
                dirs = []
            else:
                dirs = [d for d in (f"images/{subset}", "images", subset)
                        if not is_hidden(d.split("/")) and tree.is_dir(d)]
                dirs.append("")
            self._image_dirs[subset] = dirs
        return dirs

    def _attach_image(self, image: Image, subset: str) -> None:
        """Point the image at its file when the input has it; a missing image is fine.

        Only the input roots are searched (a single file's: its folder, and the one above
        ``annotations/``); an absolute or escaping ``file_name`` is looked up by its tail.
        """
        tree: Tree = self.tree
        name = lookup_relpath(image.name)
        if name is None:
            return
        if isinstance(tree, FileTree):
            candidates = (name, f"images/{subset}/{name}", f"images/{name}", f"{subset}/{name}")
            for base, rel in tree.image_lookups(candidates, ("images", subset)):
                if base.exists(rel):
                    base.bind_image(image, rel)
                    return
            return
        for folder in self._image_folders(subset):
            rel = f"{folder}/{name}" if folder else name
            if tree.exists(rel):
                tree.bind_image(image, rel)
                return

    def _item_of(self, ann: dict, i: int) -> tuple[Item, int | None, int | None]:
        iid = ann.pop("image_id", None)
        if iid is not None and type(iid) not in _ID_TYPES:
            raise self.error(f"must be an integer or string, got {_type_name(iid)}",
                             f"annotations[{i}].image_id")
        found = self.image_map.get(iid)
        if found is not None:
            return found
        if self.results and type(iid) in (int, str):
            # A results list names images of a ground-truth file read before it, if any.
            known = self.images_by_id.get(iid)
            source = known[0] if known and len(known) == 1 else None
            item_id = source.id if source is not None else str(iid)
            item = self.dataset.get(self.subset, item_id)
            if item is None:
                image = source.image if source is not None else None
                item = self.dataset.add(Item(item_id, self.subset, image, [], {"id": iid},
                                             dict(source.extra) if source else {}))
            size = item.image.size if item.image is not None else None
            found = (item, size[0], size[1]) if size else (item, None, None)
            self.image_map[iid] = found
            return found
        if iid is None:
            raise self.error("missing key 'image_id'", f"annotations[{i}]")
        raise self.error(f"{iid!r} is not an image ({_describe_ids(list(self.image_map))})",
                         f"annotations[{i}].image_id")

    # -- annotations ---------------------------------------------------------------------
    def _check_ann(self, ann: Any, i: int) -> dict:
        if type(ann) is not dict:
            raise self.error(f"must be an object, got {_type_name(ann)}", f"annotations[{i}]")
        return ann

    def _common(self, ann: dict, i: int) -> tuple[Any, dict]:
        """Pop id and the attribute-like keys; returns (id, attributes)."""
        aid = ann.pop("id", None)
        if aid is not None and type(aid) not in (int, str):
            raise self.error(f"must be an integer or string, got {_type_name(aid)}",
                             f"annotations[{i}].id")
        attrs = ann.pop("attributes", None)
        if attrs is None:
            attrs = {}
        elif type(attrs) is not dict:
            raise self.error(f"must be an object, got {_type_name(attrs)}",
                             f"annotations[{i}].attributes")
        elif attrs == {}:
            ann["_attributes_empty"] = True
        elif "score" in attrs or "is_crowd" in attrs:
            # Custom attributes named like COCO's own fields: keep the object verbatim.
            ann["_attributes"] = attrs
            attrs = {k: v for k, v in attrs.items() if k not in ("score", "is_crowd")}
        if "score" in ann:
            score = ann.pop("score")
            if not _is_number(score):
                raise self.error(f"must be a number, got {score!r}", f"annotations[{i}].score")
            attrs["score"] = score
        return aid, attrs

    def _read_nothing(self, annotations: list, task: str, source: AnnotationFile) -> None:
        for i, ann in enumerate(annotations):
            try:
                self._check_ann(ann, i)
            except DataError as err:
                self.report.bad_record(err)
        if annotations:
            self.report.warn(f"{self.display}: {len(annotations)} annotations in an image_info "
                             f"file were not read")

    def _read_labels(self, annotations: list, task: str, source: AnnotationFile) -> None:
        for i, ann in enumerate(annotations):
            try:
                ann = self._check_ann(ann, i)
                item = self._item_of(ann, i)[0]
                aid, attrs = self._common(ann, i)
                label = self._label_of(ann, i)
                item.annotations.append(Label(id=aid, label=label, attributes=attrs, extra=ann))
            except DataError as err:
                self.report.bad_record(err)

    def _read_captions(self, annotations: list, task: str, source: AnnotationFile) -> None:
        for i, ann in enumerate(annotations):
            try:
                ann = self._check_ann(ann, i)
                item = self._item_of(ann, i)[0]
                aid, attrs = self._common(ann, i)
                caption = ann.pop("caption", None)
                if type(caption) is not str:
                    raise self.error(f"must be a string, got {_type_name(caption)}",
                                     f"annotations[{i}].caption")
                item.annotations.append(Caption(id=aid, caption=caption, attributes=attrs,
                                                extra=ann))
            except DataError as err:
                self.report.bad_record(err)

    def _read_objects(self, annotations: list, task: str, source: AnnotationFile) -> None:
        """instances, stuff and person_keypoints records: shapes, boxes and keypoints."""
        keypoints_task = task == T.PERSON_KEYPOINTS
        flat_rings = 0
        crowd_repairs = 0
        seen_ids: set = set()
        duplicate_ids = 0
        image_map = self.image_map
        cat_map = self.cat_map
        keypoint_reader = KeypointReader(self.categories, self.error)
        for i, ann in enumerate(self.report.progress(annotations, desc=task)):
            try:
                # The common cases are inlined (known image and category, no attributes):
                # this loop runs once per object of multi-GB files.
                if type(ann) is not dict:
                    raise self.error(f"must be an object, got {_type_name(ann)}", f"annotations[{i}]")
                image_id = ann.get("image_id")
                found = image_map.get(image_id) if type(image_id) in _ID_TYPES else None
                if found is not None:
                    del ann["image_id"]
                    item, height, width = found
                else:
                    item, height, width = self._item_of(ann, i)
                if "attributes" in ann or "score" in ann or type(ann.get("id")) not in _ID_TYPES:
                    aid, attrs = self._common(ann, i)
                    link = attrs.pop(LINK_ATTRIBUTE, None) if LINK_ATTRIBUTE in attrs else None
                    if link is not None and type(link) is not int:
                        attrs[LINK_ATTRIBUTE] = link  # not ours: an ordinary attribute
                        link = None
                else:
                    aid = ann.pop("id")
                    attrs = {}
                    link = None
                if aid is not None:
                    if aid in seen_ids:
                        duplicate_ids += 1
                    else:
                        seen_ids.add(aid)
                cid = ann.get("category_id")
                label = cat_map.get(cid) if type(cid) in _ID_TYPES else None
                if label is not None:
                    del ann["category_id"]
                else:
                    label = self._label_of(ann, i, zero_unlabelled=True)
                if label is None:
                    ann["_no_category"] = True  # written back without one, as the source had
                crowd = ann.pop("iscrowd", 0)
                if type(crowd) is not int or crowd not in (0, 1):
                    crowd, repaired = self._read_crowd(crowd, i)
                    crowd_repairs += repaired
                attrs["is_crowd"] = bool(crowd)
                bbox = ann.get("bbox")
                if bbox is not None and (type(bbox) is not list or len(bbox) != 4
                                         or not _all_numbers(bbox)):
                    raise self.error(f"expected [x, y, width, height] numbers, got {bbox!r}"[:200],
                                     f"annotations[{i}].bbox")
                if height and width:
                    low, high = coordinate_bounds(height, width)  # the inline fast checks
                    if bbox is not None and not _box_within(bbox, low, high) and (
                            problem := box_problem(bbox, height, width)):
                        raise self.error(problem, f"annotations[{i}].bbox")
                area = ann.get("area")
                if area is not None and type(area) not in _NUMBER:
                    raise self.error(f"must be a number, got {area!r}", f"annotations[{i}].area")
                seg = ann.pop("segmentation", None)
                keypoints = ann.pop("keypoints", None) if keypoints_task else None
                group = self.link_group(item, link) if link is not None else 0
                shapes: list = []
                if type(seg) is list and seg:
                    if type(seg[0]) is list:
                        if not group and (len(seg) > 1 or keypoints is not None):
                            group = self.next_group(item)
                        for j, ring in enumerate(seg):
                            if (type(ring) is not list or len(ring) < 6 or len(ring) % 2
                                    or not _all_numbers(ring)):
                                raise self.error(_ring_problem(ring),
                                                 f"annotations[{i}].segmentation[{j}]")
                            if height and width and not (
                                    low <= min(ring) and max(ring) <= high) and (
                                    problem := coordinates_problem(ring, height, width)):
                                raise self.error(problem, f"annotations[{i}].segmentation[{j}]")
                            shapes.append(Polygon(id=aid, label=label, group=group,
                                                  attributes=attrs, extra=ann, points=ring))
                    elif type(seg[0]) in _NUMBER:
                        # A flat ring instead of a list of rings (RedBrick and some scripts).
                        if len(seg) < 6 or len(seg) % 2 or not _all_numbers(seg):
                            raise self.error(_ring_problem(seg), f"annotations[{i}].segmentation")
                        if height and width and not (
                                low <= min(seg) and max(seg) <= high) and (
                                problem := coordinates_problem(seg, height, width)):
                            raise self.error(problem, f"annotations[{i}].segmentation")
                        flat_rings += 1
                        if keypoints is not None and not group:
                            group = self.next_group(item)
                        shapes.append(Polygon(id=aid, label=label, group=group, attributes=attrs,
                                              extra=ann, points=seg))
                    else:
                        raise self.error(f"expected polygons or RLE, got a list of "
                                         f"{_type_name(seg[0])}", f"annotations[{i}].segmentation")
                elif type(seg) is dict:
                    self._check_rle(seg, height, width, i)
                    if keypoints is not None and not group:
                        group = self.next_group(item)
                    shapes.append(Mask(id=aid, label=label, group=group, attributes=attrs,
                                       extra=ann, rle=seg))
                elif seg is not None and seg != []:
                    raise self.error(f"expected polygons or RLE, got {_type_name(seg)}",
                                     f"annotations[{i}].segmentation")
                if keypoints is not None:
                    points, visibility = keypoint_reader.read(keypoints, label, i)
                    shapes.insert(0, Points(id=aid, label=label, group=group, attributes=attrs,
                                            extra=ann, points=points, visibility=visibility))
                if not shapes:
                    if bbox is not None:
                        # "bbox" stays in extra: it marks the box as COCO's own (not rotated).
                        shapes.append(Bbox(id=aid, label=label, group=group, attributes=attrs,
                                           extra=ann, x=bbox[0], y=bbox[1], w=bbox[2], h=bbox[3]))
                    else:
                        shapes.append(Label(id=aid, label=label, group=group, attributes=attrs,
                                            extra=ann))
                if task != T.INSTANCES:
                    derived = T.PERSON_KEYPOINTS if keypoints is not None else T.INSTANCES
                    if task != derived or task == T.STUFF:
                        ann["coco_task"] = task
                elif type(shapes[0]) is Label:
                    ann["coco_task"] = task
                item.annotations.extend(shapes)
            except DataError as err:
                self.report.bad_record(err)
        keypoint_reader.warn(self.report, self.display)
        if flat_rings:
            self.report.approximated("flat segmentation lists", "read as one polygon each",
                                     flat_rings)
        if crowd_repairs:
            self.report.approximated("iscrowd values given as text or bool", "read as 0/1",
                                     crowd_repairs)
        if duplicate_ids:
            self.report.warn(f"{self.display}: {duplicate_ids} annotations reuse an id already "
                             f"used in this file; ids are kept as they are")

    def _read_crowd(self, value: Any, i: int) -> tuple[int, int]:
        text = str(value).strip().lower()
        if value is True or text in ("1", "true", "yes"):
            return 1, 1
        if value is False or value is None or text in ("0", "false", "no", ""):
            return 0, 1
        raise self.error(f"must be 0 or 1, got {value!r}", f"annotations[{i}].iscrowd")

    def _check_rle(self, rle: dict, height: int | None, width: int | None, i: int) -> None:
        size = rle.get("size")
        counts = rle.get("counts")
        where = f"annotations[{i}].segmentation"
        if (type(size) is not list or len(size) != 2
                or not all(type(v) is int and v >= 0 for v in size)):
            raise self.error(f"RLE size must be [height, width], got {size!r}", where)
        if height is not None and width is not None and (size[0], size[1]) != (height, width):
            raise self.error(f"RLE size {size[0]}x{size[1]} does not match the image "
                             f"{height}x{width} (height x width)", where)
        try:
            check_rle_canvas(size[0], size[1])
        except LimitError as exc:
            raise self.error(exc.message, where) from None
        if type(counts) is list:
            if counts and not (set(map(type, counts)) <= _INT_TYPES and min(counts) >= 0):
                raise self.error("RLE counts must be non-negative integers", where)
            total = sum(counts)
            if total != size[0] * size[1]:
                raise self.error(f"RLE counts sum to {total}, expected height*width = "
                                 f"{size[0] * size[1]}", where)
        elif type(counts) is str:
            from cococonv import masks
            try:
                masks.check_rle(rle)
            except ValueError as exc:
                raise self.error(str(exc), where) from None
        else:
            raise self.error(f"RLE counts must be a list or a string, got "
                             f"{_type_name(counts)}", where)

    def _read_panoptic(self, annotations: list, task: str, source: AnnotationFile) -> None:
        from .panoptic import read_panoptic_annotations
        read_panoptic_annotations(self, annotations, source)

    # -- finish --------------------------------------------------------------------------
    def finish(self, keep_original_category_ids: bool) -> Dataset:
        if keep_original_category_ids:
            _pad_labels_to_ids(self.dataset, self.display, self.largest_id)
        return self.dataset


def _ring_problem(ring: Any) -> str:
    if type(ring) is not list:
        return f"a polygon must be a list of numbers, got {_type_name(ring)}"
    if not _all_numbers(ring):
        return "a polygon must hold numbers only"
    return (f"a polygon needs at least 3 points (6 numbers) and an even count, "
            f"got {len(ring)} numbers")


def _describe_ids(ids: list) -> str:
    if not ids:
        return "there are none"
    if all(type(v) is int for v in ids):
        lo, hi = min(ids), max(ids)
        if hi - lo + 1 == len(ids):
            return f"known: {lo}-{hi}" if lo != hi else f"known: {lo}"
    shown = ", ".join(repr(v) for v in ids[:10])
    return f"known: {shown}{', ...' if len(ids) > 10 else ''}"


#: The most placeholder labels --keep-original-category-ids makes for gaps between ids:
#: each costs ~400 bytes and a line in every label list written, so one id of 10**9
#: would decide the memory of the run (docs/limits.md).
MAX_PLACEHOLDER_LABELS = 100_000


def _pad_labels_to_ids(dataset: Dataset, display: str,
                       largest: tuple[int, str, str] | None) -> None:
    """Make each label's index equal its COCO id, filling gaps with placeholder labels;
    refused when the gaps would need more than MAX_PLACEHOLDER_LABELS of them."""
    labels = dataset.categories.labels
    ids = [label.id for label in labels]
    if not all(type(v) is int and v >= 0 for v in ids) or len(set(ids)) != len(ids):
        raise DataError("--keep-original-category-ids needs unique non-negative integer "
                        "category ids", file=display)
    size = max(ids) + 1 if ids else 0
    if size - len(ids) > MAX_PLACEHOLDER_LABELS:
        file, where = (largest[1], largest[2]) if largest else (display, "categories")
        raise LimitError(f"{size - 1} would need {size - len(ids)} placeholder labels for the "
                         f"gaps between category ids with --keep-original-category-ids (at "
                         f"most {MAX_PLACEHOLDER_LABELS}; docs/limits.md)", file=file,
                         where=where)
    new_labels = [LabelCategory(f"class-{i}", "", i, [], {"placeholder": True})
                  for i in range(size)]
    remap = {}
    for old, label in enumerate(labels):
        new_labels[label.id] = label
        remap[old] = label.id
    dataset.categories.labels = new_labels
    dataset.categories.keypoints = {remap[k]: v for k, v in dataset.categories.keypoints.items()}
    dataset.categories.colormap = {remap[k]: v for k, v in dataset.categories.colormap.items()}
    for item in dataset:
        for ann in item.annotations:
            if ann.label is not None:
                ann.label = remap[ann.label]
    for file_meta in dataset.meta.get("coco", {}).get("files", {}).values():
        file_meta["categories"] = [remap[i] for i in file_meta["categories"]]


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
    tasks: ClassVar[tuple[str, ...]] = T.TASKS
    options = (RELPATH, KEEP_IDS)

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
             keep_original_category_ids: bool) -> Dataset:
        report = ctx.report
        files = find_annotation_files(tree, self.tasks, relpath, sniff=False)
        if not files:
            wanted = "annotations/<task>_<subset>.json" if len(self.tasks) > 1 else \
                f"annotations/{self.tasks[0]}_<subset>.json"
            raise DataError(f"no COCO annotation files found (expected {wanted}, a Roboflow "
                            f"_annotations.coco.json, or a .json file; use -r to name one)",
                            file=tree.name)
        reader = CocoReader(tree, report)
        with paused_gc():  # the model is millions of small acyclic objects
            for source in files:
                if len(self.tasks) == 1 and source.task != self.tasks[0]:
                    if source.task is not None:
                        report.info(f"{tree.display(source.rel)}: read as {self.tasks[0]} "
                                    f"(the file name says {source.task})")
                    source.task = self.tasks[0]
                reader.read(source)
            return reader.finish(keep_original_category_ids)


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
