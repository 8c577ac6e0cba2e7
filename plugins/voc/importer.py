"""VOC importers: ``voc`` (every task found) and one per task.

Model mapping (docs/formats/voc.md has the full table):
- ``<object>`` -> Bbox in group N (its 1-based position in the XML), with ``difficult``,
  ``truncated``, ``occluded`` as bools, ``pose`` as text, ``<actions>`` children as bools and
  ``<attributes><attribute>`` values typed; ``<part>`` -> Bbox of the part label, same group;
- ``<class>_<subset>.txt`` flag 1 -> Label, flag 0 -> Label with ``difficult=True``;
- SegmentationClass + SegmentationObject -> one Mask per (instance, class), grouped with the
  N-th object when instance N has that object's label (the VOC convention);
- unknown XML tags and the void (255) regions are kept in ``extra["voc"]`` so a voc -> voc
  round trip loses nothing; ``--void-regions crowd`` makes the void region a crowd Mask of
  the background label instead, which COCO and CVAT can carry.
"""
from __future__ import annotations

import posixpath
from typing import Any, ClassVar

from cococonv.errors import CococonvError, DataError
from cococonv.limits import box_problem
from cococonv.model import (MAX_IMAGE_SIDE, Annotation, Bbox, Categories, Dataset, Image,
                            Item, Label, LabelCategory)
from cococonv.paths import lookup_relpath
from cococonv.plugin import Importer, Option
from cococonv.context import Context
from cococonv.engine import Prefetch, worth_a_pool
from cococonv.report import Report
from cococonv.sources import Tree

from . import layout as L
from .labelmap import LabelEntry, LabelMap, default_voc, parse_class_names, parse_labelmap
from .lists import FLAG_FOLDERS, plain_id, split_action, split_flag
from .parts import PART_MARK
from .scan import VocSource, scan
from .xmlsafe import parse_number, parse_value, parse_xml

COORDINATE_MODE = Option(
    "coordinate_mode", str, "one-based",
    "one-based: VOC boxes are 1-based pixel numbers as in the original VOC, so 1 is "
    "subtracted on import and added on export; zero-based: values are taken as they are.",
    ("one-based", "zero-based"))

VOID_REGIONS = Option(
    "void_regions", str, "keep",
    "keep: the void (255) border of the masks is kept for VOC output only (other formats "
    "have no void); crowd: it becomes a crowd mask (is_crowd) of the background label, the "
    "COCO way of marking a region ignored in evaluation, so voc -> coco -> voc keeps it.",
    ("keep", "crowd"))

_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")
_OWN_OBJECT_TAGS = {"name", "pose", "bndbox", "part", "actions", "attributes"} | set(L.FLAG_TAGS)
# Tags written as 0 when the model has no value, for objects that did not come from VOC
# (VOC-sourced objects get exactly the tags they had).
DEFAULT_TAGS = ("truncated", "difficult")


def _text(element: Any) -> str:
    return (element.text or "").strip()


def _raw(element: Any) -> str:
    """An unknown element as XML text without its layout whitespace (re-indented on export)."""
    import copy

    from lxml import etree

    clone = copy.deepcopy(element)
    for node in clone.iter():
        if node.text is not None and not node.text.strip() and len(node):
            node.text = None
        if node is not clone and node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(clone, encoding="unicode", with_tail=False)


def _check_in_image(obj: "_Object", size: tuple[int, int], display: str) -> None:
    """Refuse a box reaching past the margin around its image (docs/limits.md)."""
    for box in [obj.box, *(part for _name, part in obj.parts)]:
        if type(box) is Bbox and (problem := box_problem([box.x, box.y, box.w, box.h], *size)):
            raise DataError(f"<bndbox> {problem}", file=display, where=f"line {obj.line}")


class _Object:
    """One parsed ``<object>``: its annotations and the names to resolve into labels."""

    __slots__ = ("name", "box", "parts", "line")

    def __init__(self, name: str, box: Annotation, parts: list[tuple[str, Bbox]], line: int):
        self.name, self.box, self.parts, self.line = name, box, parts, line


class VocReader:
    """One import run: scan, lists, XMLs, label map, masks, images."""

    def __init__(self, tree: Tree, report: Report, tasks: tuple[str, ...], one_based: bool,
                 void_as_crowd: bool = False):
        self.tree = tree
        self.void_as_crowd = void_as_crowd
        self.report = report
        self.tasks = set(tasks)
        self.one_based = one_based
        self.pending: list[tuple[Annotation, str]] = []
        self.object_names: dict[str, None] = {}
        self.part_names: dict[str, None] = {}
        self.found_parts: dict[str, dict[str, None]] = {}
        self.found_actions: dict[str, dict[str, None]] = {}
        self.union_lists: dict[str, dict[str, list[str]]] = {}
        self.tasks_found: set[str] = set()
        self.zero_boxes = 0
        self.jobs = 1
        self._early_reader: Any = None  # with --jobs: the workers' MaskReader and plan
        self._early_plan: Any = None

    # -- entry point ---------------------------------------------------------------------
    def read(self) -> Dataset:
        source = scan(self.tree)
        if source is None or not (source.xmls or source.lists or source.has_masks):
            raise DataError("no VOC dataset found (expected Annotations/*.xml, ImageSets/ or "
                            "SegmentationClass/, or <annotation> XML files next to images)",
                            file=self.tree.name)
        self.source = source
        declared = self._declared_labelmap()
        memberships, class_flags, action_flags = self._read_lists()
        keys = self._item_keys(memberships)
        prefetch = self._prefetch_masks(keys)
        try:
            return self._read_items(keys, declared, class_flags, action_flags, prefetch)
        finally:
            if prefetch is not None:
                prefetch.close()

    def _read_items(self, keys: list[tuple[str, str]], declared: LabelMap | None,
                    class_flags: dict, action_flags: dict, prefetch: Prefetch | None) -> Dataset:
        items: list[Item] = []
        objects_of: dict[tuple[str, str], list[_Object]] = {}
        read_xml = bool(self.tasks & {L.DETECTION, L.LAYOUT, L.ACTION})
        for position, (subset, item_id) in enumerate(self.report.progress(keys, desc="voc")):
            if prefetch is not None and position % 8 == 0:  # a few ms apart: keeps the
                prefetch.poll()  # workers fed without a syscall per item
            item = Item(item_id, subset, None, [], {}, {})
            objects: list[_Object] = []
            rel = self.source.xmls.get(self._data_key(subset, item_id)) if read_xml else None
            if rel is not None:
                try:
                    template, objects = self._read_xml(rel, item_id)
                except CococonvError as error:
                    self.report.bad_record(error)
                    continue
                item.image = template.image
                item.extra = template.extra
                for obj in objects:
                    item.annotations.append(obj.box)
                    item.annotations.extend(part for _name, part in obj.parts)
            elif read_xml:
                item.extra = {"voc": {"xml": False}}
            for name, flag in class_flags.get((subset, item_id), ()):
                if flag == -1:
                    continue
                label = Label(attributes={"difficult": True} if flag == 0 else {})
                self.pending.append((label, name))
                self.object_names.setdefault(name, None)
                item.annotations.append(label)
            self._apply_action_flags(item, objects, action_flags.get((subset, item_id), ()))
            objects_of[(subset, item_id)] = objects
            items.append(item)
        label_map = self._resolve_labels(declared)
        categories = self._categories(label_map)
        if L.SEGMENTATION in self.tasks and self.source.has_masks:
            self._read_masks(items, objects_of, label_map, categories, prefetch)
        self._attach_images(items)
        if self.zero_boxes:
            self.report.warn(f"{self.zero_boxes} box(es) start at coordinate 0, but VOC "
                             f"coordinates are 1-based; if this source is 0-based (Roboflow, "
                             f"labelme2voc), use --coordinate-mode zero-based")
        meta = {"labelmap": [entry.as_dict() for entry in label_map.entries],
                "label_source": label_map.source,
                "tasks": sorted(self.tasks_found)}
        if self.union_lists:
            meta["union_lists"] = self.union_lists
        return Dataset(categories, items, meta={"voc": meta})

    # -- keys and lists ------------------------------------------------------------------
    def _data_key(self, subset: str, item_id: str) -> str:
        if self.source.flat and self.source.flat_subsets:
            return f"{subset}/{item_id}"
        return item_id

    def _read_lists(self) -> tuple[dict[str, list[str]], dict, dict]:
        """Subset membership from the task lists, plus class and action flags."""
        wanted = {L.LIST_FOLDER[task] for task in self.tasks}
        known = set(L.VOC_CLASSES) | set(L.VOC_ACTIONS)
        if self.declared is not None:
            for entry in self.declared.entries:
                known.add(entry.name)
                known.update(entry.actions)
        memberships: dict[str, list[str]] = {}
        class_flags: dict[tuple[str, str], list[tuple[str, int]]] = {}
        action_flags: dict[tuple[str, str], list[tuple[str, int | None, int]]] = {}
        flagged: dict[str, list[str]] = {}
        for folder in L.LIST_FOLDERS:
            if folder not in wanted:
                continue
            paths = self.source.lists.get(folder, [])
            stems = {posixpath.splitext(posixpath.basename(p))[0]: p for p in paths}
            subset_lists: dict[str, list[str]] = {}
            for stem, rel in stems.items():
                name, subset, rows = self._list_kind(folder, stem, rel, known, set(stems))
                if name is None:
                    subset_lists[subset] = rows
                elif folder == "Main":
                    if L.CLASSIFICATION in self.tasks:
                        self.tasks_found.add(L.CLASSIFICATION)
                        for item_id, flag in rows:
                            class_flags.setdefault((subset, item_id), []).append((name, flag))
                            flagged.setdefault(subset, []).append(item_id)
                else:
                    for item_id, index, flag in rows:
                        action_flags.setdefault((subset, item_id), []).append(
                            (name, index, flag))
            subset_lists = self._drop_unions(folder, subset_lists)
            if subset_lists and folder != "Main":
                self.tasks_found.add({"Segmentation": L.SEGMENTATION, "Layout": L.LAYOUT,
                                      "Action": L.ACTION}[folder])
            for subset, ids in subset_lists.items():
                memberships.setdefault(subset, []).extend(ids)
        for subset, ids in flagged.items():
            memberships.setdefault(subset, []).extend(ids)
        return memberships, class_flags, action_flags

    def _lines(self, rel: str) -> list[tuple[int, str]]:
        """The stripped, non-comment lines of a list (ids may hold spaces: lists.py)."""
        text = self.tree.read_bytes(rel).decode("utf-8", errors="replace")
        found = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line and not line.startswith("#"):
                found.append((number, line))
        return found

    def _list_kind(self, folder: str, stem: str, rel: str, known: set[str],
                   stems: set[str]) -> tuple[str | None, str, list[Any]]:
        """``(class or action, subset, flag rows)`` of a class or action list, or
        ``(None, subset, ids)`` of a subset list (how they are told apart: lists.py)."""
        lines = self._lines(rel)
        name, subset = (None, stem)
        if folder in FLAG_FOLDERS:
            name, subset = L.split_list_name(stem, known, stems - {stem})
        if name is None:
            return None, stem, [plain_id(line, folder) for _n, line in lines]
        parse = split_flag if folder == "Main" else split_action
        rows = [parse(line) for _n, line in lines]
        bad = [i for i, row in enumerate(rows) if row is None]
        if bad and (len(bad) == len(rows) or name not in known):
            self.report.info(f"{self.tree.display(rel)}: read as the list of subset {stem!r} "
                             f"(its lines are not '<id> <flag>')")
            return None, stem, [plain_id(line, folder) for _n, line in lines]
        if bad and folder == "Main" and L.CLASSIFICATION not in self.tasks:
            return name, subset, []  # a class list the run does not read
        if bad:
            number, line = lines[bad[0]]
            shape = "<id> 1|-1|0" if folder == "Main" else "<id> [<object>] 1|-1|0"
            raise DataError(f"expected '{shape}', got {line!r}",
                            file=self.tree.display(rel), where=f"line {number}")
        return name, subset, rows

    def _drop_unions(self, folder: str, lists: dict[str, list[str]]) -> dict[str, list[str]]:
        """Leave out a list that is exactly the union of disjoint others (trainval = train +
        val), so its images are not read twice; the exporter writes it back."""
        sets = {name: set(ids) for name, ids in lists.items()}
        unions: dict[str, list[str]] = {}
        for name, ids in sets.items():
            parts = [other for other, o_ids in sets.items()
                     if other != name and o_ids and o_ids < ids]
            if len(parts) < 2 or sum(len(sets[p]) for p in parts) != len(ids):
                continue
            if set().union(*(sets[p] for p in parts)) == ids:
                unions[name] = sorted(parts)
        if unions:
            self.union_lists[folder] = unions
            self.report.info(f"ImageSets/{folder}: " + ", ".join(
                f"{n} = {' + '.join(p)}" for n, p in unions.items()) + " (read once)")
        return {name: ids for name, ids in lists.items() if name not in unions}

    def _item_keys(self, memberships: dict[str, list[str]]) -> list[tuple[str, str]]:
        keys: dict[tuple[str, str], None] = {}
        listed: set[str] = set()
        for subset, ids in memberships.items():
            for item_id in ids:
                keys.setdefault((subset, item_id), None)
                listed.add(item_id)
        source = self.source
        found: dict[str, None] = {}
        if self.tasks & {L.DETECTION, L.LAYOUT, L.ACTION}:
            found.update(dict.fromkeys(source.xmls))
        if L.SEGMENTATION in self.tasks:
            found.update(dict.fromkeys(source.class_masks))
            found.update(dict.fromkeys(source.object_masks))
        if len(self.tasks) == len(L.TASKS) and not source.flat:
            found.update(dict.fromkeys(source.images))
        extra: list[tuple[str, str]] = []
        for key in found:
            if source.flat and source.flat_subsets:
                subset = source.flat_subsets[key]
                extra.append((subset, key[len(subset) + 1:]))
            elif key not in listed:
                extra.append(("default", key))
        for subset, item_id in sorted(extra):
            keys.setdefault((subset, item_id), None)
        return list(keys)

    # -- XML -----------------------------------------------------------------------------
    def _read_xml(self, rel: str, item_id: str) -> tuple[Item, list[_Object]]:
        display = self.tree.display(rel)
        root = parse_xml(self.tree.read_bytes(rel), display)
        if root.tag != "annotation":
            raise DataError(f"the root element is <{root.tag}>, expected <annotation>",
                            file=display, where=f"line {root.sourceline}")
        children: list[str] = []
        voc: dict[str, Any] = {"children": children}
        size = None
        filename = None
        objects: list[_Object] = []
        for child in root:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "filename":
                filename = _text(child)
                children.append(tag)
            elif tag == "size":
                parsed = self._read_size(child)
                if parsed is None:
                    children.append(_raw(child))
                else:
                    size, depth = parsed
                    voc["depth"] = depth
                    children.append(tag)
            elif tag == "segmented":
                voc["segmented"] = _text(child)
                children.append(tag)
            elif tag == "object":
                if "object" not in children:
                    children.append("object")
                objects.append(self._read_object(child, len(objects) + 1, display))
            else:
                children.append(_raw(child))
        if size is not None:
            for obj in objects:
                _check_in_image(obj, size, display)
        image = Image(item_id + ".jpg", size)
        if filename is not None:
            ext = posixpath.splitext(filename)[1]
            image.name = item_id + (ext or ".jpg")
            if filename != posixpath.basename(image.name):
                voc["filename"] = filename
        item = Item(item_id, extra={"voc": voc}, image=image)
        return item, objects

    def _read_size(self, element: Any) -> tuple[tuple[int, int], str] | None:
        values: dict[str, str] = {}
        for child in element:
            if isinstance(child.tag, str):
                values[child.tag] = _text(child)
        try:
            width = parse_number(values.get("width", ""))
            height = parse_number(values.get("height", ""))
        except ValueError:
            return None
        if set(values) - {"width", "height", "depth"} or float(width) != int(width) or \
                float(height) != int(height) or not 0 < width <= MAX_IMAGE_SIDE or \
                not 0 < height <= MAX_IMAGE_SIDE:
            return None
        return (int(height), int(width)), values.get("depth", None)  # type: ignore[return-value]

    def _read_object(self, element: Any, index: int, display: str) -> _Object:
        name = None
        attrs: dict[str, Any] = {}
        unknown: list[str] = []
        empty: list[str] = []
        box: tuple | None = None
        parts: list[tuple[str, Bbox]] = []
        actions: list[str] = []
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "name":
                name = _text(child)
            elif tag in L.FLAG_TAGS:
                text = _text(child)
                if not text:
                    empty.append(tag)
                else:
                    attrs[tag] = self._flag(text, child, display)
            elif tag == "pose":
                text = _text(child)
                if text:
                    attrs["pose"] = text
                else:
                    empty.append(tag)
            elif tag == "bndbox":
                box = self._read_box(child, display)
            elif tag == "part" and L.LAYOUT in self.tasks:
                parts.append(self._read_part(child, index, display))
            elif tag == "actions" and L.ACTION in self.tasks:
                for action in child:
                    if isinstance(action.tag, str):
                        attrs[action.tag] = self._flag(_text(action), action, display)
                        actions.append(action.tag)
            elif tag == "attributes":
                for attribute in child:
                    if attribute.tag != "attribute":
                        continue
                    key = attribute.findtext("name")
                    if not key or not key.strip():
                        raise DataError("<attribute> has no <name>", file=display,
                                        where=f"line {attribute.sourceline}")
                    attrs[key.strip()] = parse_value(attribute.findtext("value") or "")
            else:
                unknown.append(_raw(child))
        if not name:
            raise DataError("<object> has no <name>", file=display,
                            where=f"line {element.sourceline}")
        if actions:
            self.found_actions.setdefault(name, {}).update(dict.fromkeys(actions))
        extra: dict[str, Any] = {}
        voc: dict[str, Any] = {}
        if unknown:
            voc["unknown"] = unknown
        if empty:
            voc["empty"] = empty
        ann: Annotation
        if box is None:
            voc["no_bndbox"] = True
            ann = Label(group=index, attributes=attrs)
        else:
            ann = Bbox(group=index, attributes=attrs, x=box[0], y=box[1], w=box[2], h=box[3])
        if voc:
            extra["voc"] = voc
        ann.extra = extra
        self.pending.append((ann, name))
        self.object_names.setdefault(name, None)
        for part_name, part in parts:
            if part_name == name:
                # A part of its object's own label (a person's "person" part) cannot be
                # told from a second object once the layout is gone (COCO): say it.
                part.attributes[PART_MARK] = True
            self.pending.append((part, part_name))
            self.part_names.setdefault(part_name, None)
            self.found_parts.setdefault(name, {})[part_name] = None
        return _Object(name, ann, parts, element.sourceline)

    def _read_part(self, element: Any, index: int, display: str) -> tuple[str, Bbox]:
        name = _text(element.find("name")) if element.find("name") is not None else ""
        bndbox = element.find("bndbox")
        if not name or bndbox is None:
            raise DataError("<part> needs a <name> and a <bndbox>", file=display,
                            where=f"line {element.sourceline}")
        x, y, w, h = self._read_box(bndbox, display)
        return name, Bbox(group=index, x=x, y=y, w=w, h=h)

    def _flag(self, text: str, element: Any, display: str) -> bool:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise DataError(f"<{element.tag}> must be 0 or 1, got {text!r}", file=display,
                        where=f"line {element.sourceline}")

    def _read_box(self, element: Any, display: str) -> tuple:
        values: dict[str, int | float] = {}
        for child in element:
            tag = child.tag
            if tag in ("xmin", "ymin", "xmax", "ymax"):
                try:
                    values[tag] = parse_number(child.text or "")
                except ValueError:
                    raise DataError(f"<{tag}> must be a number, got {_text(child)!r}",
                                    file=display, where=f"line {child.sourceline}") from None
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            if tag not in values:
                raise DataError(f"<bndbox> has no <{tag}>", file=display,
                                where=f"line {element.sourceline}")
        xmin, ymin, xmax, ymax = values["xmin"], values["ymin"], values["xmax"], values["ymax"]
        if xmax < xmin or ymax < ymin:
            raise DataError(f"box ({xmin}, {ymin}, {xmax}, {ymax}) has xmax < xmin or "
                            f"ymax < ymin", file=display, where=f"line {element.sourceline}")
        shift = 1 if self.one_based else 0
        if shift and (xmin == 0 or ymin == 0):
            self.zero_boxes += 1
        return xmin - shift, ymin - shift, xmax - xmin, ymax - ymin

    def _apply_action_flags(self, item: Item, objects: list[_Object],
                            flags: Any) -> None:
        """ImageSets/Action/<action>_<subset>.txt flags fill actions the XML did not give."""
        for action, index, flag in flags:
            targets = [objects[index - 1]] if index and index <= len(objects) else \
                [o for o in objects if index is None]
            for obj in targets:
                obj.box.attributes.setdefault(action, flag == 1)
                self.found_actions.setdefault(obj.name, {})[action] = None

    # -- labels --------------------------------------------------------------------------
    def _declared_labelmap(self) -> LabelMap | None:
        source = self.source
        self.declared: LabelMap | None = None
        if source.labelmap is not None:
            text = self.tree.read_bytes(source.labelmap).decode("utf-8", errors="replace")
            self.declared = parse_labelmap(text, file=self.tree.display(source.labelmap))
        elif source.class_names is not None:
            text = self.tree.read_bytes(source.class_names).decode("utf-8", errors="replace")
            self.declared = parse_class_names(text)
        return self.declared

    def _resolve_labels(self, declared: LabelMap | None) -> LabelMap:
        """The label map in force: the file's, the VOC one, or the names found (flat sets
        with their own classes and no masks)."""
        names = [n for n in self.object_names]
        if declared is not None:
            label_map = declared.without_void_entry(set(names))
        elif self.source.has_masks or all(n in L.VOC_CLASSES for n in names):
            label_map = default_voc()
        else:
            label_map = LabelMap([LabelEntry(n) for n in names], "found")
        known = set(label_map.names())
        unknown = [n for n in names if n not in known]
        if unknown:
            where = {"labelmap": "labelmap.txt", "class_names": "class_names.txt"}.get(
                label_map.source, "the VOC label map")
            shown = ", ".join(unknown[:10]) + (", ..." if len(unknown) > 10 else "")
            self.report.warn(f"{len(unknown)} class name(s) not in {where} added as labels: "
                             f"{shown}")
            label_map.entries.extend(LabelEntry(n) for n in unknown)
        for parent, parts in self.found_parts.items():
            entry = label_map.get(parent)
            if entry is not None:
                entry.parts.extend(p for p in parts if p not in entry.parts)
        for parent, actions in self.found_actions.items():
            entry = label_map.get(parent)
            if entry is not None:
                entry.actions.extend(a for a in actions if a not in entry.actions)
        return label_map

    def _categories(self, label_map: LabelMap) -> Categories:
        categories = Categories()
        for index, entry in enumerate(label_map.entries):
            categories.labels.append(LabelCategory(entry.name))
            if entry.color is not None:
                categories.colormap[index] = entry.color
        index_of = {label.name: i for i, label in enumerate(categories.labels)}
        for part in self.part_names:
            if part not in index_of:
                index_of[part] = len(categories.labels)
                categories.labels.append(LabelCategory(part))
        for ann, name in self.pending:
            ann.label = index_of[name]
        self.pending = []
        return categories

    # -- masks and images ----------------------------------------------------------------
    def _mask_files(self, subset: str, item_id: str) -> tuple[str | None, str | None, bool]:
        """The item's class and object PNGs, and whether its image is missing."""
        key = self._data_key(subset, item_id)
        source = self.source
        missing = bool(source.images) and not source.flat and key not in source.images
        return source.class_masks.get(key), source.object_masks.get(key), missing

    def _prefetch_masks(self, keys: list[tuple[str, str]]) -> Prefetch | None:
        """With --jobs N, start reading the mask PNGs in workers before the XML pass: the
        PNGs need only the label map's own entries (the XML can only add labels after
        them), and the parent parses the XML meanwhile. None without jobs or masks."""
        from .segmentation import MaskReader

        if L.SEGMENTATION not in self.tasks or not self.source.has_masks:
            return None
        plan = []
        for subset, item_id in keys:
            class_rel, object_rel, missing = self._mask_files(subset, item_id)
            if (class_rel or object_rel) and not missing:
                plan.append((subset, item_id, class_rel, object_rel))
        if not worth_a_pool(self.jobs, len(plan)):
            return None
        base = self.declared if self.declared is not None else default_voc()
        self._early_reader = MaskReader(self.tree, LabelMap(list(base.entries), base.source),
                                        Categories(), void_as_crowd=self.void_as_crowd)
        self._early_plan = plan
        return Prefetch(_early_masks_at, self._early_reader, plan, self.jobs)

    def _read_masks(self, items: list[Item], objects_of: dict, label_map: LabelMap,
                    categories: Categories, prefetch: Prefetch | None) -> None:
        from .segmentation import MaskReader

        reader = MaskReader(self.tree, label_map, categories, void_as_crowd=self.void_as_crowd)
        early: dict[tuple[str, str], Any] = {}
        if prefetch is not None:
            results = prefetch.finish()
            # the workers' reader knew only the label map's own entries; the XML can only
            # append labels, so their readings hold unless index 0 stopped (or started)
            # being the background, which changes which pixels are objects
            if self._early_reader.background == reader.background:
                early = {(subset, item_id): raw for (subset, item_id, _c, _o), raw
                         in zip(self._early_plan, results) if raw is not None}
            self._early_reader = self._early_plan = None
        planned = [(item, *self._mask_files(item.subset, item.id)) for item in items]
        without_image = 0
        for item, class_rel, object_rel, missing in self.report.progress(
                [entry for entry in planned if entry[1] or entry[2]], desc="voc masks"):
            # A mask whose image is missing is still the item's annotation (cococonv's own
            # VOC output of a source with missing images has such masks): read, counted.
            without_image += missing
            try:
                # a worker's reading, or (without jobs, or where it failed, say on an RGB
                # colour of a label the XML added) the reading done here
                raw = early.pop((item.subset, item.id), None) or \
                    reader.decode(class_rel, object_rel)
                reader.resolve(item, raw, class_rel, object_rel,
                               objects_of.get((item.subset, item.id), []))
            except CococonvError as error:
                self.report.bad_record(error)
        if without_image:
            self.report.warn(f"{without_image} mask(s) have no image in {L.IMAGES_DIR}/; "
                             f"read with the mask's size")
        self.tasks_found.add(L.SEGMENTATION)

    def _attach_images(self, items: list[Item]) -> None:
        source = self.source
        tree = self.tree
        for item in items:
            key = self._data_key(item.subset, item.id)
            rel = source.images.get(key)
            voc = item.extra.get("voc", {})
            # <filename> is untrusted: looked up inside the input only, by its tail when
            # it is absolute or climbs out with '..'
            name = lookup_relpath(voc["filename"]) if voc.get("filename") else None
            if rel is None and name is not None:
                base = posixpath.dirname(source.xmls.get(key, "")) if source.flat else \
                    source.prefix + L.IMAGES_DIR
                candidate = posixpath.join(base, name) if base else name
                if tree.exists(candidate):
                    rel = candidate
            if item.image is None:
                item.image = Image(item.id + (posixpath.splitext(rel)[1] if rel else ".jpg"))
            if rel is None:
                continue
            if rel == source.images.get(key):
                item.image.name = item.id + posixpath.splitext(rel)[1]
            tree.bind_image(item.image, rel)


def _early_masks_at(reader: Any, entry: tuple[str, str, str | None, str | None]) -> Any:
    """A worker's reading of one item's mask PNGs (the engine's per-item function)."""
    _subset, _item_id, class_rel, object_rel = entry
    return reader.decode(class_rel, object_rel)


class VocImporter(Importer):
    """Pascal VOC: every task found (classification, detection, segmentation, layout, action).

    Reads Annotations/*.xml, ImageSets/Main|Segmentation|Layout|Action lists and class flags,
    SegmentationClass/ and SegmentationObject/ palette PNGs, JPEGImages/ and labelmap.txt (or
    labelme's class_names.txt). Also reads flat VOC: XMLs next to their images (Roboflow,
    labelImg), one folder down for subsets. Boxes are 1-based in VOC: see --coordinate-mode.
    """

    name = "voc"
    tasks: ClassVar[tuple[str, ...]] = L.TASKS
    options = (COORDINATE_MODE, VOID_REGIONS)

    @classmethod
    def detect(cls, tree: Tree) -> int:
        try:
            source = scan(tree)
        except DataError:
            return 5
        if source is None:
            return 0
        return _score(cls.tasks, source)

    def load(self, tree: Tree, ctx: Context, *, coordinate_mode: str,
             void_regions: str = "keep") -> Dataset:
        report = ctx.report
        reader = VocReader(tree, report, self.tasks, coordinate_mode == "one-based",
                           void_regions == "crowd")
        reader.jobs = ctx.jobs
        return reader.read()


def _score(tasks: tuple[str, ...], source: VocSource) -> int:
    """General ``voc`` scores highest; a task importer scores when its files are there."""
    if len(tasks) > 1:
        if source.flat:
            return 15
        return 30 if not source.prefix else 25
    task = tasks[0]
    if task == L.SEGMENTATION:
        return 20 if source.has_masks else 0
    if source.flat:
        return 10 if task == L.DETECTION else 0
    if task == L.DETECTION:
        return 20 if source.xmls else 0
    folder = L.LIST_FOLDER[task]
    if task == L.CLASSIFICATION:
        has = any("_" in posixpath.basename(p) for p in source.lists.get(folder, []))
        return 20 if has else 0
    return 20 if source.lists.get(folder) else 0


class VocClassificationImporter(VocImporter):
    """VOC classification only: image-level labels from ImageSets/Main/<class>_<subset>.txt."""

    name = "voc_classification"
    tasks = (L.CLASSIFICATION,)


class VocDetectionImporter(VocImporter):
    """VOC detection only: boxes and their attributes from Annotations/*.xml."""

    name = "voc_detection"
    tasks = (L.DETECTION,)


class VocSegmentationImporter(VocImporter):
    """VOC segmentation only: masks from SegmentationClass/ and SegmentationObject/ PNGs."""

    name = "voc_segmentation"
    tasks = (L.SEGMENTATION,)


class VocInstanceSegmentationImporter(VocImporter):
    """VOC instance segmentation: one mask per object from SegmentationObject/, classed by
    SegmentationClass/ (Datumaro's name; cococonv's voc_segmentation reads the same)."""

    name = "voc_instance_segmentation"
    tasks = (L.SEGMENTATION,)


class VocLayoutImporter(VocImporter):
    """VOC layout only: person boxes with head/hand/foot part boxes (ImageSets/Layout)."""

    name = "voc_layout"
    tasks = (L.LAYOUT,)


class VocActionImporter(VocImporter):
    """VOC action only: person boxes with action flags (ImageSets/Action)."""

    name = "voc_action"
    tasks = (L.ACTION,)


TASK_IMPORTERS = (VocClassificationImporter, VocDetectionImporter, VocSegmentationImporter,
                  VocInstanceSegmentationImporter, VocLayoutImporter, VocActionImporter)
