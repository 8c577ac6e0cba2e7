"""One VOC read: scan, label map, lists, XMLs, masks and images, in that order.

The order is the report's: each part's warnings and bad records come out as they did when
the reader was one class (list_reader.py, xml_objects.py, mask_images.py hold the parts).
"""
from __future__ import annotations

from typing import Any

from cococonv.engine import Prefetch
from cococonv.errors import CococonvError, DataError
from cococonv.model import Dataset, Item, Label
from cococonv.report import Report
from cococonv.sources import Tree

from . import layout as L
from .label_names import FoundLabels
from .labelmap import LabelMap, parse_class_names, parse_labelmap, utf8_text
from .list_reader import ListReader
from .mask_images import MaskPass
from .scan import scan
from .xml_objects import VocObject, XmlReader


class VocReader:
    """One import run: scan, lists, XMLs, label map, masks, images."""

    def __init__(self, tree: Tree, report: Report, tasks: tuple[str, ...], one_based: bool,
                 void_as_crowd: bool = False, jobs: int = 1):
        self.tree = tree
        self.report = report
        self.tasks = set(tasks)
        self.void_as_crowd = void_as_crowd
        self.jobs = jobs
        self.found = FoundLabels()
        self.xml = XmlReader(tree, self.tasks, one_based, self.found)
        self.tasks_found: set[str] = set()
        self.union_lists: dict[str, dict[str, list[str]]] = {}

    def read(self) -> Dataset:
        source = scan(self.tree)
        if source is None or not (source.xmls or source.lists or source.has_masks):
            raise DataError("no VOC dataset found (expected Annotations/*.xml, ImageSets/ or "
                            "SegmentationClass/, or <annotation> XML files next to images)",
                            file=self.tree.name)
        self.source = source
        declared = self._declared_labelmap()
        lists = ListReader(self.tree, self.report, source, self.tasks, declared,
                           self.tasks_found)
        memberships, class_flags, action_flags = lists.read()
        keys = lists.item_keys(memberships)
        masks = MaskPass(self.tree, self.report, source, self.tasks, self.void_as_crowd,
                         self.jobs)
        prefetch = masks.prefetch(keys, declared)
        self.union_lists = lists.union_lists
        try:
            return self._read_items(keys, declared, class_flags, action_flags, masks,
                                    prefetch)
        finally:
            if prefetch is not None:
                prefetch.close()

    def _read_items(self, keys: list[tuple[str, str]], declared: LabelMap | None,
                    class_flags: dict, action_flags: dict, masks: MaskPass,
                    prefetch: Prefetch | None) -> Dataset:
        items: list[Item] = []
        objects_of: dict[tuple[str, str], list[VocObject]] = {}
        read_xml = bool(self.tasks & {L.DETECTION, L.LAYOUT, L.ACTION})
        for position, (subset, item_id) in enumerate(self.report.progress(keys, desc="voc")):
            if prefetch is not None and position % 8 == 0:  # a few ms apart: keeps the
                prefetch.poll()  # workers fed without a syscall per item
            item = Item(item_id, subset, None, [], {}, {})
            objects: list[VocObject] = []
            rel = self.source.xmls.get(self.source.data_key(subset, item_id)) \
                if read_xml else None
            if rel is not None:
                try:
                    template, objects = self.xml.read(rel, item_id)
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
                self.found.add_object(label, name)
                item.annotations.append(label)
            self._apply_action_flags(item, objects, action_flags.get((subset, item_id), ()))
            objects_of[(subset, item_id)] = objects
            items.append(item)
        label_map = self.found.resolve(declared, self.source.has_masks, self.report)
        categories = self.found.categories(label_map, declared_parts=not read_xml)
        if L.SEGMENTATION in self.tasks and self.source.has_masks:
            masks.read(items, objects_of, label_map, categories, prefetch)
            self.tasks_found.add(L.SEGMENTATION)
        masks.attach_images(items)
        if self.xml.zero_boxes:
            self.report.warn(f"{self.xml.zero_boxes} box(es) start at coordinate 0, but VOC "
                             f"coordinates are 1-based; if this source is 0-based (Roboflow, "
                             f"labelme2voc), use --coordinate-mode zero-based")
        meta: dict[str, Any] = {"labelmap": [entry.as_dict() for entry in label_map.entries],
                                "label_source": label_map.source,
                                "tasks": sorted(self.tasks_found)}
        if self.union_lists:
            meta["union_lists"] = self.union_lists
        return Dataset(categories, items, meta={"voc": meta})

    def _apply_action_flags(self, item: Item, objects: list[VocObject],
                            flags: Any) -> None:
        """ImageSets/Action/<action>_<subset>.txt flags fill actions the XML did not give."""
        for action, index, flag in flags:
            targets = [objects[index - 1]] if index and index <= len(objects) else \
                [o for o in objects if index is None]
            for obj in targets:
                obj.box.attributes.setdefault(action, flag == 1)
                self.found.add_actions(obj.name, [action])

    def _declared_labelmap(self) -> LabelMap | None:
        """labelmap.txt (Datumaro) or class_names.txt (labelme), when the input has one."""
        source = self.source
        if source.labelmap is not None:
            file = self.tree.display(source.labelmap)
            return parse_labelmap(utf8_text(self.tree.read_bytes(source.labelmap), file),
                                  file=file)
        if source.class_names is not None:
            file = self.tree.display(source.class_names)
            return parse_class_names(utf8_text(self.tree.read_bytes(source.class_names),
                                               file), file=file)
        return None
