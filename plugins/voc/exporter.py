"""VOC exporters: ``voc`` (every task with content) and one per task.

Layout written: ``Annotations/<id>.xml``, ``ImageSets/<Task>/<subset>.txt`` (+ class and
action flag lists), ``SegmentationClass/`` and ``SegmentationObject/`` palette PNGs,
``JPEGImages/`` with ``--save-images``, ``labelmap.txt`` when the labels are not VOC's.
Each XML object is one model object: a box plus the parts and area shapes of its group;
area shapes without a box get one from the shape. What VOC cannot hold is reported.
"""
from __future__ import annotations

import os
import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

from cococonv.errors import DataError, OptionError
from cococonv.fileio import dumps_json, write_bytes
from cococonv.images import NOT_AN_IMAGE, check_image_ext, copy_image, probe_size
from cococonv.model import (Annotation, Bbox, Caption, Dataset, Ellipse, Item, Label, Mask,
                            Points, Polygon, Polyline)
from cococonv.paths import join_inside, safe_relpath, safe_segment
from cococonv.plugin import Exporter, Option
from cococonv.context import Context
from cococonv.engine import map_items
from cococonv.report import Report
from cococonv.xmlsafe import check_writable
from cococonv.xmlsafe import text as xml_text

from . import layout as L
from .coverage import objects_without_pixels
from .importer import COORDINATE_MODE, DEFAULT_TAGS
from .labelmap import (LabelEntry, LabelMap, default_voc, parse_labelmap, with_background,
                       writable_map)
from .lists import ListFiles
from .naming import list_subset, writable_ids
from .parts import AREA as _AREA
from .parts import gather_units, inferred_parts
from .parts import ObjectUnit as _Unit
from .xmlsafe import format_value, solve

OPTIONS = (
    Option("save_images", bool, False, "Copy the images into JPEGImages/ (bytes are copied "
           "as they are unless --image-ext changes the encoding)."),
    Option("image_ext", str, None, "Save images with this extension (e.g. .png); images are "
           "re-encoded.", check=check_image_ext),
    Option("save_dataset_meta", bool, False, "Also write dataset_meta.json with the label "
           "map and its colours."),
    Option("apply_colormap", bool, True, "Write segmentation PNGs with the label colours as "
           "their palette; off writes grayscale index PNGs (same indices)."),
    Option("label_map", str, "source", "Label map of the masks and class lists: 'source' "
           "(the dataset's labels), 'voc' (the 21 VOC classes; other labels are reported "
           "lost) or the path of a labelmap.txt."),
    Option("allow_attributes", bool, True, "Write custom attributes as <attributes> in each "
           "object; off drops them, with a count."),
    Option("keep_empty", bool, False, "List every item in every written task list and write "
           "segmentation PNGs for items without masks (all background)."),
    Option("tasks", list, [], "Write only these tasks (comma-separated).", L.TASKS),
    COORDINATE_MODE,
)

class VocExporter(Exporter):
    """Pascal VOC: Annotations XML, ImageSets lists, segmentation PNGs, labelmap.txt.

    Writes every task the data has (detection, classification, segmentation, layout,
    action), or those of --tasks. Polygons, masks and ellipses are painted into
    SegmentationClass/SegmentationObject (later z_order on top, crowd regions void);
    keypoints, captions and polylines cannot be held and are reported.
    """

    name = "voc"
    tasks: ClassVar[tuple[str, ...]] = L.TASKS
    options = OPTIONS

    def save(self, dataset: Dataset, out_dir: str, ctx: Context, **options: Any) -> None:
        report = ctx.report
        requested = options["tasks"] or []
        bad = [t for t in requested if t not in self.tasks]
        if bad:
            raise OptionError(f"exporter {self.name} cannot write task {bad[0]!r} "
                              f"(it writes: {', '.join(self.tasks)})")
        chosen = tuple(requested) if requested else self.tasks
        dataset = writable_ids(dataset, report, save_images=options["save_images"],
                               image_ext=options["image_ext"])
        writer = VocWriter(dataset, out_dir, report, options, chosen,
                           explicit=bool(requested) or len(self.tasks) == 1)
        writer.jobs = ctx.jobs
        writer.write()


def _item_files_at(writer: "VocWriter", index: int) -> tuple[bool, list[tuple[str, Any, int]]]:
    """One item's PNGs and XML (the engine's per-item function)."""
    return writer._item_files(index)


class VocWriter:
    """One export run."""

    def __init__(self, dataset: Dataset, out_dir: str, report: Report,
                 options: dict[str, Any], tasks: tuple[str, ...], *, explicit: bool):
        self.dataset = dataset
        self.out = out_dir
        self.report = report
        self.opts = options
        self.explicit = explicit
        self.tasks = set(tasks)
        self.one_based = options["coordinate_mode"] == "one-based"
        self.meta = dataset.meta.get("voc", {}) if isinstance(dataset.meta, dict) else {}
        self.names = [label.name for label in dataset.categories.labels]
        self.lost: Counter[tuple[str, str]] = Counter()
        self.approx: Counter[tuple[str, str]] = Counter()
        self.scratch = bytearray()  # the mask painter's reused buffer
        self.list_files = ListFiles()  # ImageSets file -> what it was written for
        self.jobs = 1

    # -- planning ------------------------------------------------------------------------
    def write(self) -> None:
        items = list(self.dataset)
        self.declared_parts = self._declared_parts()
        units_of = [self._units(item) for item in items]
        self.units_of = units_of
        has = self._content(items, units_of)
        active = {task for task in self.tasks if self.explicit or has[task]}
        if not self.explicit:
            active.add(L.DETECTION)  # Main lists and XMLs always, as every VOC reader wants
        self.active = active
        self.label_map = self._label_map(paint=L.SEGMENTATION in active)
        self.index = self.label_map.index()
        self.parts = self.label_map.part_names()
        lists: dict[str, dict[str, list[str]]] = {f: {} for f in L.LIST_FOLDERS}
        class_flags: dict[str, list[tuple[str, list[Label]]]] = {}
        action_rows: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
        subsets = self.dataset.subsets or ["default"]
        for subset in subsets:
            for folder in L.LIST_FOLDERS:
                lists[folder][subset] = []
        self._palettes()
        xml_units_of = [self._number_objects(item, units) for item, units in zip(items,
                                                                                 units_of)]
        self.items, self.units_of, self.xml_units_of = items, units_of, xml_units_of
        results = self._files(len(items))
        for index, (item, units) in enumerate(zip(self.report.progress(items, desc="voc"),
                                                  units_of)):
            self._count_unwritable(item)
            xml_units = xml_units_of[index]
            painted, events = next(results)
            for counter, key, count in events:
                (self.lost if counter == "lost" else self.approx)[key] += count
            if L.SEGMENTATION in active:
                if painted:
                    lists["Segmentation"][item.subset].append(item.id)
            else:
                count = sum(len(u.shapes) for u in units)
                if count:
                    self.lost[("masks and polygons", "segmentation is not written")] += count
            if active & {L.DETECTION, L.CLASSIFICATION}:
                lists["Main"][item.subset].append(item.id)
            if L.CLASSIFICATION in active:
                labels = [a for a in item.annotations if type(a) is Label
                          and not a.extra.get("voc", {}).get("no_bndbox")]
                class_flags.setdefault(item.subset, []).append((item.id, labels))
            elif any(type(a) is Label and not a.extra.get("voc") for a in item.annotations):
                self.lost[("image labels", "classification is not written")] += sum(
                    1 for a in item.annotations if type(a) is Label)
            if L.LAYOUT in active:
                if self.opts["keep_empty"] or any(u.parts for u in xml_units):
                    lists["Layout"][item.subset].append(item.id)
            else:
                count = sum(len(u.parts) for u in units)
                if count:
                    self.lost[("layout parts", "layout is not written")] += count
            if L.ACTION in active:
                rows = [(item.id, u.xml_index, self._actions(u)) for u in xml_units
                        if self._actions(u)]
                if rows or self.opts["keep_empty"]:
                    lists["Action"][item.subset].append(item.id)
                action_rows.setdefault(item.subset, []).extend(rows)  # type: ignore[arg-type]
            if self.opts["save_images"]:
                self._save_image(item)
        self._write_lists(lists)
        if L.CLASSIFICATION in active:
            self._write_class_lists(class_flags)
        if L.ACTION in active:
            self._write_action_lists(action_rows)
        if not self.label_map.is_standard():
            write_bytes(os.path.join(self.out, L.LABELMAP_FILE),
                        self.label_map.to_text(masks=L.SEGMENTATION in active).encode())
        if self.opts["save_dataset_meta"]:
            self._write_dataset_meta()
        for (what, why), count in self.lost.items():
            self.report.lost(what, why, count)
        for (what, how), count in self.approx.items():
            self.report.approximated(what, how, count)

    def _content(self, items: list[Item], units_of: list[list[_Unit]]) -> dict[str, bool]:
        had = set(self.meta.get("tasks", ()))
        has = {task: task in had for task in L.TASKS}
        for item, units in zip(items, units_of):
            voc = item.extra.get("voc", {})
            if any(type(a) is Label and not a.extra.get("voc") for a in item.annotations):
                has[L.CLASSIFICATION] = True
            if any(u.box is not None or u.shapes for u in units):
                has[L.DETECTION] = True
            if any(u.shapes for u in units) or voc.get("void_class") or voc.get("void_object"):
                has[L.SEGMENTATION] = True
            if any(u.parts for u in units):
                has[L.LAYOUT] = True
        has[L.ACTION] = has[L.ACTION] or self._dataset_has_actions()
        return has

    def _dataset_has_actions(self) -> bool:
        # One pass over the annotations whatever the number of labels (200,000 labels
        # with actions were a pass each).
        position = self._label_positions()
        actions_of: dict[int, set] = {}
        for entry in self.meta.get("labelmap", ()):
            if entry.get("actions") and entry["name"] in position:
                actions_of.setdefault(position[entry["name"]], set()).update(entry["actions"])
        if not actions_of:
            return False
        for item in self.dataset:
            for ann in item.annotations:
                actions = actions_of.get(ann.label)
                if actions and actions & set(ann.attributes):
                    return True
        return False

    def _label_positions(self) -> dict[str, int]:
        """Each label name's first index (list.index per name was quadratic)."""
        position: dict[str, int] = {}
        for index, name in enumerate(self.names):
            position.setdefault(name, index)
        return position

    # -- labels --------------------------------------------------------------------------
    def _label_map(self, *, paint: bool) -> LabelMap:
        choice = self.opts["label_map"] or "source"
        if choice == "voc":
            label_map = default_voc()
        elif choice == "source":
            label_map = self._source_map()
        else:
            if not os.path.isfile(choice):
                raise OptionError(f"--label-map {choice}: expected voc, source or the path "
                                  f"of a labelmap.txt")
            with open(choice, encoding="utf-8") as fh:
                label_map = parse_labelmap(fh.read(), file=choice)
        label_map = writable_map(label_map, self.report)
        if paint:
            label_map = with_background(label_map)
            if len(label_map.entries) > L.VOID_INDEX:
                raise DataError(f"{len(label_map.entries)} labels do not fit 8-bit VOC masks "
                                f"(at most 255 with background); export without segmentation "
                                f"(--tasks detection,...)")
        known = set(label_map.names()) | label_map.part_names()
        missing = {name for name in self.names if name not in known}
        if missing:
            counts = Counter(self.names[a.label] for item in self.dataset
                             for a in item.annotations if a.label is not None
                             and self.names[a.label] in missing)
            total = sum(counts.values())
            if total:
                shown = ", ".join(n if n.isprintable() else repr(n) for n in sorted(counts))
                self.lost[(f"annotations of labels not in the label map ({shown})",
                           f"--label-map {choice}")] += total
        return label_map

    def _declared_parts(self) -> dict[str, set[str]]:
        """Part labels per label that a VOC source's label map or ``--label-map voc``
        declares (empty: parts are found from the groups, see parts.py)."""
        declared: dict[str, set[str]] = {}
        for entry in self.meta.get("labelmap", ()):
            if entry.get("parts"):
                declared.setdefault(entry["name"], set()).update(entry["parts"])
        if self.opts["label_map"] == "voc":
            for entry in default_voc().entries:
                if entry.parts:
                    declared.setdefault(entry.name, set()).update(entry.parts)
        return declared

    def _source_map(self) -> LabelMap:
        """The dataset's labels; parts, actions and explicit colours kept from a VOC source.

        Parts found in the groups of a source without a label map (see parts.py) are
        declared on their owner's line, and labels used only as parts get no line (no mask
        index), as in VOC's own map.
        """
        known = {entry["name"]: LabelEntry.from_dict(entry)
                 for entry in self.meta.get("labelmap", ())}
        parts = {part for entry in known.values() for part in entry.parts}
        found_parts, objects = inferred_parts(self.units_of) if not self.declared_parts \
            else ({}, set())
        for owner, labels in found_parts.items():
            entry = known.get(self.names[owner])
            if entry is None:
                entry = known[self.names[owner]] = LabelEntry(self.names[owner])
            for label in labels:
                name = self.names[label]
                if name not in entry.parts:
                    entry.parts.append(name)
                if label not in objects:
                    parts.add(name)
        colormap = self.dataset.categories.colormap
        labels = self.dataset.categories.labels
        entries = []
        for index, name in enumerate(self.names):
            if name in parts and name not in known:
                continue
            if index == 0 and labels[0].extra.get("placeholder") and \
                    "background" not in self.names:
                # --keep-original-category-ids with 1-based COCO ids: the gap at index 0 is
                # the background slot, so mask indices equal the COCO category ids.
                entries.append(LabelEntry("background", (0, 0, 0), [], []))
                continue
            source = known.get(name)
            entries.append(LabelEntry(name, colormap.get(index),
                                      list(source.parts) if source else [],
                                      list(source.actions) if source else []))
        return LabelMap(entries, "source")

    # -- objects -------------------------------------------------------------------------
    def _units(self, item: Item) -> list[_Unit]:
        """The item's annotations gathered into VOC objects, in annotation order."""
        return gather_units(item.annotations, self.names, self.declared_parts)

    def _number_objects(self, item: Item, units: list[_Unit]) -> list[_Unit]:
        """Give XML positions to the units written as objects; returns them in order."""
        from_voc = "voc" in item.extra
        written = []
        for unit in units:
            unit.xml_index = None
            crowd = bool(unit.leader.attributes.get("is_crowd")) and unit.shapes
            if unit.label is None:
                self.lost[("unlabelled shapes", "VOC needs a class name")] += \
                    (type(unit.box) is Bbox) + len(unit.shapes) + len(unit.parts)
                continue
            if self.names[unit.label] not in self.index:
                if self.names[unit.label] in self.parts:
                    # Not reported as a label missing from the map: it is there, as a part.
                    self.lost[("layout part labels outside an object that has them",
                               "VOC writes parts inside their object")] += \
                        (type(unit.box) is Bbox) + len(unit.shapes) + len(unit.parts)
                continue
            if crowd or (unit.box is None and from_voc):
                continue
            written.append(unit)
            unit.xml_index = len(written)
        if self.active & {L.DETECTION, L.LAYOUT, L.ACTION}:
            # The target needs a box that the source did not hold as a shape of its own.
            self.approx[("masks and polygons without a box", "given one as their VOC "
                         "object's <bndbox> (COCO's bbox, else their bounds)")] += \
                sum(1 for u in written if u.box is None)
        return written

    def _wants_xml(self, item: Item, units: list[_Unit]) -> bool:
        voc = item.extra.get("voc")
        return bool(units) or voc is None or voc.get("xml", True)

    def _count_unwritable(self, item: Item) -> None:
        for ann in item.annotations:
            kind = type(ann)
            if kind is Points:
                self.lost[("keypoints", "VOC has no keypoints")] += 1
            elif kind is Caption:
                self.lost[("captions", "VOC has no captions")] += 1
            elif kind is Polyline:
                self.lost[("polylines", "VOC has no open lines")] += 1
        if item.attributes:
            self.lost[("image attributes", "VOC has no image attributes")] += 1

    # -- XML -----------------------------------------------------------------------------
    def _write_xml(self, item: Item, units: list[_Unit], painted: bool) -> None:
        """The item's XML, written as strings (the same bytes lxml would give); documents
        with raw XML kept from a source, or text lxml would escape or refuse differently,
        go through the lxml tree instead."""
        try:
            data = self._xml_text(item, units, painted).encode("utf-8")
        except _Fallback:
            try:
                self._write_xml_tree(item, units, painted)
            except ValueError as exc:
                if "XML compatible" not in str(exc):  # lxml's words for a NUL, U+FFFE...
                    raise
                self._refuse_unwritable(item, units)
                raise DataError("the XML would hold a character XML 1.0 cannot hold "
                                "(docs/limits.md)", file=item.id) from None
            return
        path = join_inside(self.out, f"{L.ANNOTATIONS_DIR}/{item.id}.xml", what="item id")
        write_bytes(path, data)

    def _refuse_unwritable(self, item: Item, units: list[_Unit]) -> None:
        """Name the value lxml refused: the file name, a label, an attribute."""
        voc = item.extra.get("voc", {})
        values = [("file name", voc.get("filename") or self._image_name(item))]
        for unit in units:
            labels = [unit.label] + [part.label for part in unit.parts]
            values += [("label", self.names[i]) for i in labels if i is not None]
            for key, value in unit.leader.attributes.items():
                values += [("attribute name", str(key)),
                           (f"attribute {key!r}", format_value(value))]
        for what, value in values:
            if isinstance(value, str):
                check_writable(value, f"{what} {value!r}", file=item.id)

    def _xml_text(self, item: Item, units: list[_Unit], painted: bool) -> str:
        voc = item.extra.get("voc", {})
        children = list(voc.get("children") or ["folder", "filename", "size", "segmented",
                                                 "object"])
        for needed in ("filename", "size", "segmented", "object"):
            if needed not in children and (needed != "size" or self._size(item)):
                children.append(needed)
        out = ["<annotation>\n"]
        add = out.append
        for entry in children:
            if entry == "folder":
                add("  <folder></folder>\n")
            elif entry == "filename":
                name = voc.get("filename") or posixpath.basename(self._image_name(item))
                add(f"  <filename>{_text(name)}</filename>\n")
            elif entry == "size":
                size = self._size(item)
                if size is not None:
                    add(f"  <size>\n    <width>{size[1]}</width>\n"
                        f"    <height>{size[0]}</height>\n")
                    depth = voc.get("depth", "3") if "voc" in item.extra else "3"
                    if depth is not None:
                        add(f"    <depth>{_text(depth)}</depth>\n")
                    add("  </size>\n")
            elif entry == "segmented":
                text = voc.get("segmented")
                if text is None or (painted and not _flag_text(text)) or \
                        (not painted and "masks" in voc and _flag_text(text)):
                    text = "1" if painted else "0"
                add(f"  <segmented>{_text(text)}</segmented>\n")
            elif entry == "object":
                for unit in units:
                    self._object_text(unit, item, add)
            else:
                raise _Fallback
        add("</annotation>\n")
        if len(out) == 2:  # no children: lxml writes <annotation/>
            raise _Fallback
        return "".join(out)

    def _object_text(self, unit: _Unit, item: Item, add: Any) -> None:
        leader = unit.leader
        voc = leader.extra.get("voc", {}) if leader.extra else {}
        if voc.get("unknown"):
            raise _Fallback
        attrs = dict(leader.attributes)
        empty = voc.get("empty", ())
        from_voc = "voc" in item.extra
        add(f"  <object>\n    <name>{_text(self.names[unit.label])}</name>\n")  # type: ignore
        if "pose" in attrs:
            add(f"    <pose>{_text(str(attrs.pop('pose')))}</pose>\n")
        elif "pose" in empty:
            add("    <pose/>\n")
        for tag in ("truncated", "occluded", "difficult"):
            if tag in attrs and isinstance(attrs[tag], bool):
                add(f"    <{tag}>1</{tag}>\n" if attrs.pop(tag) else f"    <{tag}>0</{tag}>\n")
            elif tag in empty:
                add(f"    <{tag}/>\n")
            elif tag in DEFAULT_TAGS and not from_voc and tag not in attrs:
                add(f"    <{tag}>0</{tag}>\n")
        box = self._box_of(unit)
        if box is not None:
            add(self._bndbox_text(*box, indent="    "))
        if L.LAYOUT in self.active:
            for part in unit.parts:
                add(f"    <part>\n      <name>{_text(self.names[part.label])}</name>\n")  # type: ignore
                add(self._bndbox_text(part.x, part.y, part.w, part.h, indent="      "))
                add("    </part>\n")
        actions = self._actions(unit) if L.ACTION in self.active else {}
        if actions:
            add("    <actions>\n")
            for action, value in actions.items():
                if not _SIMPLE_TAG.fullmatch(action):
                    raise _Fallback
                add(f"      <{action}>{'1' if value else '0'}</{action}>\n")
                attrs.pop(action, None)
            add("    </actions>\n")
        _drop_implied(attrs, leader, from_voc)
        if attrs:
            if self.opts["allow_attributes"]:
                add("    <attributes>\n")
                for key, value in attrs.items():
                    add(f"      <attribute>\n        <name>{_text(str(key))}</name>\n"
                        f"        <value>{_text(format_value(value))}</value>\n"
                        f"      </attribute>\n")
                add("    </attributes>\n")
            else:
                self.lost[("object attributes", "--no-allow-attributes")] += len(attrs)
        add("  </object>\n")

    def _bndbox_text(self, x: Any, y: Any, w: Any, h: Any, *, indent: str) -> str:
        shift = 1 if self.one_based else 0
        xmin = solve(x, shift) if shift else x
        ymin = solve(y, shift) if shift else y
        inner = indent + "  "
        return (f"{indent}<bndbox>\n{inner}<xmin>{_number(xmin)}</xmin>\n"
                f"{inner}<ymin>{_number(ymin)}</ymin>\n"
                f"{inner}<xmax>{_number(solve(w, xmin))}</xmax>\n"
                f"{inner}<ymax>{_number(solve(h, ymin))}</ymax>\n{indent}</bndbox>\n")

    def _write_xml_tree(self, item: Item, units: list[_Unit], painted: bool) -> None:
        from lxml import etree

        from .xmlsafe import parse_xml

        voc = item.extra.get("voc", {})
        root = etree.Element("annotation")
        children = list(voc.get("children") or ["folder", "filename", "size", "segmented",
                                                 "object"])
        for needed in ("filename", "size", "segmented", "object"):
            if needed not in children and (needed != "size" or self._size(item)):
                children.append(needed)
        for entry in children:
            if entry.startswith("<"):
                root.append(parse_xml(entry.encode(), "extra"))
            elif entry == "folder":
                etree.SubElement(root, "folder").text = ""
            elif entry == "filename":
                etree.SubElement(root, "filename").text = voc.get("filename") or \
                    posixpath.basename(self._image_name(item))
            elif entry == "size":
                size = self._size(item)
                if size is not None:
                    node = etree.SubElement(root, "size")
                    etree.SubElement(node, "width").text = str(size[1])
                    etree.SubElement(node, "height").text = str(size[0])
                    depth = voc.get("depth", "3") if "voc" in item.extra else "3"
                    if depth is not None:
                        etree.SubElement(node, "depth").text = depth
            elif entry == "segmented":
                text = voc.get("segmented")
                if text is None or (painted and not _flag_text(text)) or \
                        (not painted and "masks" in voc and _flag_text(text)):
                    text = "1" if painted else "0"
                etree.SubElement(root, "segmented").text = text
            elif entry == "object":
                for unit in units:
                    root.append(self._object(unit, item))
        etree.indent(root, space="  ")
        data = etree.tostring(root, encoding="utf-8")
        path = join_inside(self.out, f"{L.ANNOTATIONS_DIR}/{item.id}.xml", what="item id")
        write_bytes(path, data + b"\n")

    def _object(self, unit: _Unit, item: Item) -> Any:
        from lxml import etree

        from .xmlsafe import parse_xml

        leader = unit.leader
        voc = leader.extra.get("voc", {}) if leader.extra else {}
        attrs = dict(leader.attributes)
        empty = set(voc.get("empty", ()))
        from_voc = "voc" in item.extra
        node = etree.Element("object")
        name = self.names[unit.label]  # type: ignore[index]
        etree.SubElement(node, "name").text = name
        if "pose" in attrs:
            etree.SubElement(node, "pose").text = str(attrs.pop("pose"))
        elif "pose" in empty:
            etree.SubElement(node, "pose")
        for tag in ("truncated", "occluded", "difficult"):
            if tag in attrs and isinstance(attrs[tag], bool):
                etree.SubElement(node, tag).text = "1" if attrs.pop(tag) else "0"
            elif tag in empty:
                etree.SubElement(node, tag)
            elif tag in DEFAULT_TAGS and not from_voc and tag not in attrs:
                etree.SubElement(node, tag).text = "0"
        box = self._box_of(unit)
        if box is not None:
            node.append(self._bndbox(*box))
        if L.LAYOUT in self.active:
            for part in unit.parts:
                part_node = etree.SubElement(node, "part")
                etree.SubElement(part_node, "name").text = self.names[part.label]  # type: ignore
                part_node.append(self._bndbox(part.x, part.y, part.w, part.h))
        actions = self._actions(unit) if L.ACTION in self.active else {}
        if actions:
            actions_node = etree.SubElement(node, "actions")
            for action, value in actions.items():
                etree.SubElement(actions_node, action).text = "1" if value else "0"
                attrs.pop(action, None)
        _drop_implied(attrs, leader, from_voc)
        if attrs:
            if self.opts["allow_attributes"]:
                attributes = etree.SubElement(node, "attributes")
                for key, value in attrs.items():
                    attribute = etree.SubElement(attributes, "attribute")
                    etree.SubElement(attribute, "name").text = str(key)
                    etree.SubElement(attribute, "value").text = format_value(value)
            else:
                self.lost[("object attributes", "--no-allow-attributes")] += len(attrs)
        for raw in voc.get("unknown", ()):
            node.append(parse_xml(raw.encode(), "extra"))
        return node

    def _box_of(self, unit: _Unit) -> tuple | None:
        box = unit.box
        if type(box) is Bbox:
            if box.attributes.get("rotation"):
                from cococonv.geometry import box_corners
                from cococonv.masks import points_bbox
                self.approx[("rotated boxes", "written as their axis-aligned bounds")] += 1
                return tuple(points_bbox(box_corners(box)))
            return box.x, box.y, box.w, box.h
        if box is not None:
            return None  # an object without <bndbox> in the source
        shape = unit.shapes[0]
        declared = shape.extra.get("bbox") if shape.extra else None
        if isinstance(declared, list) and len(declared) == 4 and len(unit.shapes) == 1 and \
                all(type(v) in (int, float) for v in declared):
            return tuple(declared)
        from cococonv import masks
        bounds: list[list[float]] = []
        for shape in unit.shapes:
            if type(shape) is Mask:
                bounds.append(masks.bbox(shape.rle))
            elif type(shape) is Polygon:
                bounds.append(masks.points_bbox(shape.points))
            elif type(shape) is Ellipse:
                from cococonv.geometry import ellipse_to_polygon
                bounds.append(masks.points_bbox(ellipse_to_polygon(shape)))
        x0 = min(b[0] for b in bounds)
        y0 = min(b[1] for b in bounds)
        x1 = max(b[0] + b[2] for b in bounds)
        y1 = max(b[1] + b[3] for b in bounds)
        return x0, y0, x1 - x0, y1 - y0

    def _bndbox(self, x: Any, y: Any, w: Any, h: Any) -> Any:
        from lxml import etree

        shift = 1 if self.one_based else 0
        xmin = solve(x, shift) if shift else x
        ymin = solve(y, shift) if shift else y
        node = etree.Element("bndbox")
        for tag, value in (("xmin", xmin), ("ymin", ymin), ("xmax", solve(w, xmin)),
                           ("ymax", solve(h, ymin))):
            etree.SubElement(node, tag).text = repr(value) if type(value) is float \
                else str(value)
        return node

    def _actions(self, unit: _Unit) -> dict[str, bool]:
        if unit.box is None or unit.label is None:
            return {}
        names = self.label_map.actions_of(self.names[unit.label])
        attrs = unit.box.attributes
        return {name: bool(attrs[name]) for name in names
                if name in attrs and isinstance(attrs[name], bool)}

    # -- per-item files (masks and XML), in this process or a pool ------------------------
    def _palettes(self) -> None:
        from .layout import voc_palette

        self.class_palette = bytes(self.label_map.palette()) \
            if self.opts["apply_colormap"] else None
        self.object_palette = bytes(voc_palette()) if self.opts["apply_colormap"] else None

    def _item_files(self, index: int) -> tuple[bool, list[tuple[str, Any, int]]]:
        """Write item ``index``'s PNGs and XML: whether masks were painted, and the loss
        and approximation counts it made, in order."""
        item, units, xml_units = self.items[index], self.units_of[index], \
            self.xml_units_of[index]
        saved = self.lost, self.approx
        self.lost, self.approx = Counter(), Counter()
        try:
            painted = False
            if L.SEGMENTATION in self.active:
                try:
                    painted = self._write_masks(item, units)
                except DataError as err:  # a mask limit (docs/limits.md): name the item
                    raise err.located(file=item.id) from None
            if self.active & {L.DETECTION, L.LAYOUT, L.ACTION} and \
                    self._wants_xml(item, xml_units):
                self._write_xml(item, xml_units, painted)
            events = [("lost", key, count) for key, count in self.lost.items()] + \
                [("approx", key, count) for key, count in self.approx.items()]
        finally:
            self.lost, self.approx = saved
        return painted, events

    def _files(self, count: int) -> Iterator[tuple[bool, list[tuple[str, Any, int]]]]:
        """Per-item results in item order; with --jobs N > 1 written by N forked workers,
        chunk by chunk (a few chunks in flight, so memory stays bounded)."""
        yield from map_items(_item_files_at, self, range(count), self.jobs)

    def _write_masks(self, item: Item, units: list[_Unit]) -> bool:
        from .png import encode_index_png
        from .segmentation import paint_scanlines

        voc = item.extra.get("voc", {})
        painted_units = [u for u in units if u.shapes]
        void_class, void_object = voc.get("void_class"), voc.get("void_object")
        if not painted_units and not void_class and not void_object and \
                not self.opts["keep_empty"]:
            return False
        size = self._size(item) or _mask_size(painted_units)
        if size is None:
            self.lost[("masks and polygons", "image size unknown")] += sum(
                len(u.shapes) for u in painted_units)
            return False
        height, width = size
        next_instance = max((u.xml_index or 0 for u in units), default=0)
        plan = []
        order = sorted(range(len(painted_units)),
                       key=lambda k: max(s.z_order for s in painted_units[k].shapes))
        instance_of: dict[int, int | None] = {}
        for unit in painted_units:
            if unit.xml_index is not None:
                instance_of[id(unit)] = unit.xml_index
            elif not unit.leader.attributes.get("is_crowd"):
                next_instance += 1
                instance_of[id(unit)] = next_instance
        chosen = []
        for k in order:
            unit = painted_units[k]
            if unit.label is None or self.names[unit.label] not in self.index:
                continue
            chosen.append(unit)
        shapes_rles = _painter_layers([u.shapes for u in chosen], height, width)
        painted: list[int | None] = []  # instance indices painted
        for unit, layers in zip(chosen, shapes_rles):
            crowd = bool(unit.leader.attributes.get("is_crowd"))
            cls = L.VOID_INDEX if crowd else self.index[self.names[unit.label]]  # type: ignore
            if crowd:
                self.approx[("crowd regions", "painted as void (255) in the masks")] += 1
            instance = instance_of.get(id(unit))
            if instance is not None and instance >= L.VOID_INDEX:
                self.lost[("instances beyond 254", "SegmentationObject holds 254")] += 1
                instance = None
            if layers is None:
                continue
            if len(unit.shapes) > 1:
                self.approx[("masks and polygons joined with another outline of their "
                             "object", "painted as one instance")] += len(unit.shapes) - 1
            for shape in unit.shapes:
                if type(shape) is Ellipse:
                    self.approx[("ellipses", "rasterized into the masks")] += 1
                elif type(shape) is Polygon:
                    self.approx[("polygons", "rasterized into the masks")] += 1
            plan.extend((rle, cls, instance) for rle in layers)
            painted.append(instance)
        void_class = void_class if _fits(void_class, height, width) else None
        void_object = void_object if _fits(void_object, height, width) else None
        classes, instances = paint_scanlines(height, width, plan, void_class, void_object,
                                             scratch=self.scratch)
        if voc.get("masks", {}).get("object", True):
            missing = objects_without_pixels(painted, instances)
            if missing:
                self.lost[("objects with no pixel left in the masks", "covered by what is "
                           "painted above them, or too thin")] += missing
        rel = safe_relpath(f"{item.id}.png", what="item id").split("/")
        write_bytes(os.path.join(self.out, "SegmentationClass", *rel),
                    encode_index_png(classes, height, width, self.class_palette))
        if voc.get("masks", {}).get("object", True):
            write_bytes(os.path.join(self.out, "SegmentationObject", *rel),
                        encode_index_png(instances, height, width, self.object_palette))
        return True

    def _size(self, item: Item) -> tuple[int, int] | None:
        image = item.image
        if image is None:
            return None
        if image.size is None and image.has_data:
            probe_size(image)
        return tuple(image.size) if image.size else None  # type: ignore[return-value]

    # -- lists ---------------------------------------------------------------------------
    def _write_lists(self, lists: dict[str, dict[str, list[str]]]) -> None:
        keep_empty = self.opts["keep_empty"]
        all_ids = {s: [i.id for i in self.dataset.items_of(s)] for s in lists["Main"]}
        for folder, by_subset in lists.items():
            task_on = {"Main": self.active & {L.DETECTION, L.CLASSIFICATION},
                       "Segmentation": L.SEGMENTATION in self.active,
                       "Layout": L.LAYOUT in self.active,
                       "Action": L.ACTION in self.active}[folder]
            if not task_on:
                continue
            written = {}
            for subset, ids in by_subset.items():
                if keep_empty:
                    ids = all_ids.get(subset, ids)
                if not ids and not keep_empty:
                    continue
                written[subset] = ids
                self._write_list(folder, subset, ids)
            for union, parts in self.meta.get("union_lists", {}).get(folder, {}).items():
                union, parts = list_subset(union), [list_subset(p) for p in parts]
                if union not in written and all(p in written for p in parts):
                    self._write_list(folder, union, [i for p in parts for i in written[p]])

    def _write_list(self, folder: str, name: str, ids: list[str]) -> None:
        unique = list(dict.fromkeys(ids))
        path = self._list_path(folder, name, "", "subset")
        if path is not None:
            write_bytes(path, "".join(f"{i}\n" for i in unique).encode())

    def _list_path(self, folder: str, name: str, subset: str, what: str) -> str | None:
        """``ImageSets/<folder>/<name>[_<subset>].txt``; a label or action ``name`` that
        cannot be a file name is a bad record, and that list is not written."""
        try:
            stem = safe_segment(name, what=what) + (f"_{subset}" if subset else "")
        except DataError as err:
            self.report.bad_record(err.located(where=f"ImageSets/{folder}"))
            return None
        rel = f"{L.IMAGESETS_DIR}/{folder}/{stem}.txt"
        self.list_files.claim(rel, f"the {folder} list of {what} {name!r}" +
                              (f" for subset {subset!r}" if subset else ""))
        return join_inside(self.out, rel, what=what)

    def _write_class_lists(self, flags: dict[str, list[tuple[str, list[Label]]]]) -> None:
        names = [e.name for e in self.label_map.entries]
        position = self._label_positions()
        for subset, rows in flags.items():
            for name in names:
                index = position.get(name)
                lines = []
                for item_id, labels in rows:
                    mine = [a for a in labels if a.label == index and index is not None]
                    if not mine:
                        flag = -1
                    elif all(a.attributes.get("difficult") for a in mine):
                        flag = 0
                    else:
                        flag = 1
                    lines.append(f"{item_id} {flag:>2}\n")
                path = self._list_path("Main", name, subset, "label name")
                if path is not None:
                    write_bytes(path, "".join(lines).encode())

    def _write_action_lists(self, rows: dict[str, list[tuple[str, int, dict]]]) -> None:
        for subset, subset_rows in rows.items():
            names: dict[str, None] = {}
            for _id, _index, actions in subset_rows:
                names.update(dict.fromkeys(actions))
            for action in names:
                lines = [f"{item_id} {index} {1 if actions[action] else -1:>2}\n"
                         for item_id, index, actions in subset_rows if action in actions]
                path = self._list_path("Action", action, subset, "action name")
                if path is not None:
                    write_bytes(path, "".join(lines).encode())

    # -- images and meta -----------------------------------------------------------------
    def _image_name(self, item: Item) -> str:
        ext = self.opts["image_ext"]
        if ext:
            return item.id + "." + ext.lstrip(".")
        name = item.image.name if item.image is not None else ""
        return item.id + (posixpath.splitext(name)[1] or ".jpg")

    def _save_image(self, item: Item) -> None:
        image = item.image
        if image is None or not image.has_data:
            self.lost[("images", "not present in the input")] += 1
            return
        name = self._image_name(item)
        dst = join_inside(self.out, f"{L.IMAGES_DIR}/{name}", what="image file name")
        if os.path.exists(dst):
            raise DataError(f"two items would save their image as {name!r}", file=item.id)
        ext = posixpath.splitext(name)[1].lower() if self.opts["image_ext"] else None
        if not copy_image(image, dst, ext):
            self.lost[("images", NOT_AN_IMAGE)] += 1

    def _write_dataset_meta(self) -> None:
        entries = self.label_map.entries
        meta = {"label_map": {str(i): e.name for i, e in enumerate(entries)},
                "segmentation_colors": [list(self.label_map.color(i))
                                        for i in range(len(entries))],
                "background_label": "0" if entries and
                entries[0].name in L.BACKGROUND_NAMES else None}
        write_bytes(os.path.join(self.out, "dataset_meta.json"), dumps_json(meta, indent=True))


def _painter_layers(groups: list[list[Annotation]], height: int,
                   width: int) -> list[list[Any] | None]:
    """Each group as painter layers whose union is ``rasterize(shapes)`` (None when it
    cannot be rasterised): the rings of polygon-only groups as they are, one layer each,
    since painting them in turn paints their union (``paint_scanlines`` rasterises them)."""
    from cococonv.geometry import rasterize

    out: list[list[Any] | None] = []
    for shapes in groups:
        if shapes and all(type(s) is Polygon and len(s.points) >= 6 and
                          len(s.points) % 2 == 0 for s in shapes):
            # as lists: the painter takes a list for a ring (and a tuple for RLE counts)
            out.append([s.points if type(s.points) is list else list(s.points)
                        for s in shapes])
        else:
            rle = rasterize(shapes, height, width)
            out.append([rle] if rle is not None else None)
    return out


class _Fallback(Exception):
    """The XML needs the lxml tree writer (raw XML, or text the string writer avoids)."""


# Text the string writer handles exactly as lxml: no CR (lxml writes &#13;), no characters
# lxml refuses (control characters, surrogates, U+FFFE/U+FFFF).
_PLAIN = re.compile("[^\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]*")
_SIMPLE_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _text(value: Any) -> str:
    if type(value) is not str or not _PLAIN.fullmatch(value):
        raise _Fallback
    return xml_text(value)


def _number(value: Any) -> str:
    kind = type(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return str(value)
    text = str(value)
    if not _PLAIN.fullmatch(text):
        raise _Fallback
    return text


def _drop_implied(attrs: dict[str, Any], leader: Annotation, from_voc: bool) -> None:
    """Remove from ``attrs`` what is not a custom <attribute>: a false crowd flag, and a
    rotation that is geometry, consumed by the box/ellipse bounds (a CVAT-style
    "rotation": 0.0 of a non-VOC box is not an <attribute> either)."""
    if attrs.get("is_crowd") is False:
        attrs.pop("is_crowd")
    rotation = attrs.get("rotation")
    if type(leader) is Ellipse or (type(leader) is Bbox and (
            rotation or (not from_voc and type(rotation) in (int, float)))):
        attrs.pop("rotation", None)


def _flag_text(text: str) -> bool:
    return text.strip() not in ("", "0")


def _fits(rle: dict | None, height: int, width: int) -> bool:
    return rle is not None and list(rle.get("size", ())) == [height, width]


def _mask_size(units: list[_Unit]) -> tuple[int, int] | None:
    for unit in units:
        for shape in unit.shapes:
            if type(shape) is Mask:
                size = shape.rle.get("size")
                if size:
                    return int(size[0]), int(size[1])
    return None


class VocClassificationExporter(VocExporter):
    """VOC classification only: ImageSets/Main/<subset>.txt and <class>_<subset>.txt flags."""

    name = "voc_classification"
    tasks = (L.CLASSIFICATION,)


class VocDetectionExporter(VocExporter):
    """VOC detection only: Annotations/*.xml boxes and ImageSets/Main lists."""

    name = "voc_detection"
    tasks = (L.DETECTION,)


class VocSegmentationExporter(VocExporter):
    """VOC segmentation only: SegmentationClass/SegmentationObject PNGs and their lists."""

    name = "voc_segmentation"
    tasks = (L.SEGMENTATION,)


class VocInstanceSegmentationExporter(VocExporter):
    """VOC instance segmentation: SegmentationObject and SegmentationClass PNGs and their
    lists (Datumaro's name; cococonv's voc_segmentation writes the same)."""

    name = "voc_instance_segmentation"
    tasks = (L.SEGMENTATION,)


class VocLayoutExporter(VocExporter):
    """VOC layout only: XML boxes with head/hand/foot parts and ImageSets/Layout lists."""

    name = "voc_layout"
    tasks = (L.LAYOUT,)


class VocActionExporter(VocExporter):
    """VOC action only: XML boxes with <actions> and ImageSets/Action lists and flags."""

    name = "voc_action"
    tasks = (L.ACTION,)


TASK_EXPORTERS = (VocClassificationExporter, VocDetectionExporter, VocSegmentationExporter,
                  VocInstanceSegmentationExporter, VocLayoutExporter, VocActionExporter)
