"""png_masks importer: image + mask PNG pairs to one Mask annotation per class (semantic
masks) or per object (instance-id masks).

Image sizes come from the image headers (never decoded); a mask of another size, or a
value or colour the colour map does not know, is an error naming the mask file and the
pixel (or the item is skipped and counted under --on-error skip|warn).
"""
from __future__ import annotations

import posixpath
from cococonv.context import Context
from cococonv.errors import CococonvError, DataError, OptionError
from cococonv.images import probe_size
from cococonv.model import Categories, Dataset, IgnoreRegions, Image, Item, Mask
from cococonv.plugin import Importer, Option
from cococonv.sources import Tree

from .colormap import MAP_FILES, ColorMap, read_color_map
from .decode import first_pixel, read_plane, value_rles
from .layout import Layout, Pair, find_layout

NAMESPACE = "png_masks"
KINDS = ("semantic", "instance")


def _check_void(value: int) -> None:
    if not -1 <= value <= 65535:
        raise OptionError(f"--void-index: {value} is not a mask value (0-65535, or -1 for "
                          f"none)")


def _check_divisor(value: int) -> None:
    if not 0 <= value <= 65535:
        raise OptionError(f"--instance-divisor: {value} is not within 0-65535")


OPTIONS = (
    Option("mask_kind", str, "semantic", "What a mask value is: 'semantic' (a class: one "
           "mask per class and image) or 'instance' (an object id: one mask per object).",
           KINDS),
    Option("instance_divisor", int, 0, "Instance masks: a value is class * N + object "
           "(Cityscapes' instanceIds use 1000); 0: the value is the object alone, labelled "
           "with the colour map's one class (else 'object').", check=_check_divisor),
    Option("void_index", int, 255, "The mask value of void (ignored) pixels; -1: none "
           "(255 is then a class).", check=_check_void),
    Option("void_regions", str, "keep", "Void pixels: 'keep' them as the item's ignore "
           "region (png_masks and VOC write it back as 255; COCO and CVAT report it lost) or "
           "make each image's a 'crowd' mask of the background class (COCO iscrowd).",
           ("keep", "crowd")),
)


class PngMasksImporter(Importer):
    """Image + mask PNG pairs: images/ and masks/ (or labels/, annotations/, gt/), with an
    optional colour map (labelmap.txt, class_dict.csv, class_names.txt, labelmap.json)."""

    name = "png_masks"
    namespace = NAMESPACE
    options = OPTIONS

    @classmethod
    def detect(cls, tree: Tree) -> int:
        try:
            layout = find_layout(tree)
        except DataError:
            return 5
        if layout is None or not layout.masks:
            return 0
        with_map = any(tree.exists(folder + name) for folder in layout.map_folders
                       for name in MAP_FILES)
        if layout.matched:
            return 22 if with_map else 15
        return 12 if with_map else 0  # masks alone: only with the map beside them

    def load(self, tree: Tree, ctx: Context, *, mask_kind: str = "semantic",
             instance_divisor: int = 0, void_index: int = 255,
             void_regions: str = "keep") -> Dataset:
        layout = find_layout(tree, mask_kind)
        if layout is None or not layout.masks:  # -if png_masks on a COCO folder: no PNG
            raise DataError("no png_masks dataset found (expected mask PNGs in masks/ beside "
                            "images/, or another layout of docs/formats/png_masks.md)",
                            file=tree.name)
        color_map = read_color_map(tree, layout.map_folders)
        reader = _Reader(tree, ctx, color_map, mask_kind, instance_divisor, void_index,
                         void_regions == "crowd")
        return reader.read(layout)


class _Reader:
    def __init__(self, tree: Tree, ctx: Context, color_map: ColorMap, kind: str,
                 divisor: int, void: int, void_as_crowd: bool):
        self.tree, self.report = tree, ctx.report
        self.map = color_map
        self.map_name = posixpath.basename(color_map.source) if color_map.source else ""
        self.colors = color_map.color_lookup() if color_map.source else None
        self.instance = kind == "instance"
        self.divisor = divisor
        self.void_as_crowd = void_as_crowd
        self.void = set(color_map.void_values) | ({void} if void >= 0 else set())
        self.void -= set(color_map.names)  # a value the map names is that class
        self.void.add(-1)  # what an RGB mask's void colour reads as
        self.background = color_map.background
        self.categories = Categories()
        self.label_of: dict[int, int] = {}  # class value -> label index
        for value in sorted(color_map.names):
            self._label(value)

    def _label(self, value: int) -> int:
        label = self.label_of.get(value)
        if label is None:
            name = self.map.names.get(value)
            if name is None:
                name = "background" if value == self.background else f"class_{value}"
            label = self.label_of[value] = self.categories.add(name)
            color = self.map.colors.get(value)
            if color is not None:
                self.categories.colormap[label] = color
        return label

    def read(self, layout: Layout) -> Dataset:
        items: list[Item] = []
        without_image = without_mask = 0
        for pair in self.report.progress(layout.pairs, desc="png_masks"):
            without_image += pair.image is None
            without_mask += pair.mask is None
            try:
                items.append(self._item(pair))
            except CococonvError as error:
                self.report.bad_record(error)
        if without_image:
            self.report.warn(f"{without_image} mask(s) have no image beside them; read with "
                             f"the mask's size")
        if without_mask:
            self.report.warn(f"{without_mask} image(s) have no mask; read without "
                             f"annotations")
        # without a colour map, classes are named by value in value order, whatever the
        # order the items showed them in
        return Dataset(self._sorted_categories(items), items)

    def _item(self, pair: Pair) -> Item:
        item = Item(id=pair.id, subset=pair.subset)
        if pair.image is not None:
            item.image = Image(pair.id + posixpath.splitext(pair.image)[1])
            self.tree.bind_image(item.image, pair.image)
            if probe_size(item.image) is None:
                raise DataError("cannot read the image's size from its header",
                                file=self.tree.display(pair.image))
        if pair.mask is not None:
            self._masks(item, pair)
        return item

    def _masks(self, item: Item, pair: Pair) -> None:
        tree, rel = self.tree, pair.mask or ""
        display = tree.display(rel)
        plane = read_plane(tree.read_bytes(rel), display, self.colors,
                           self.map_name or "the colour map")
        height, width = int(plane.shape[0]), int(plane.shape[1])
        size = item.image.size if item.image is not None else None
        if size is not None and tuple(size) != (height, width):
            raise DataError(f"mask is {width}x{height} but its image "
                            f"{tree.display(pair.image or '')} is {size[1]}x{size[0]} "
                            f"(width x height)", file=display)
        if item.image is None:
            item.image = Image(pair.id + ".jpg", (height, width))
        try:
            regions = value_rles(plane)
        except DataError as err:
            raise err.located(file=display) from None
        void = [regions.pop(v) for v in sorted(self.void & set(regions))]
        for value, rle in regions.items():
            if value == self.background and self.background is not None:
                continue
            item.annotations.append(self._mask(value, rle, plane, display))
        if void:
            from cococonv import masks
            region = masks.merge(void) if len(void) > 1 else void[0]
            if self.void_as_crowd:
                item.annotations.append(Mask(label=self._background_label(),
                                             attributes={"is_crowd": True}, rle=region))
            elif self.instance:
                item.ignore = IgnoreRegions(instance=region)
            else:
                item.ignore = IgnoreRegions(semantic=region)

    def _mask(self, value: int, rle: dict, plane: Any, display: str) -> Mask:
        cls: int | None = value
        number = None
        if self.instance:
            # Cityscapes' instanceIds: class * N + object for classes with instances, the
            # bare class id for the others and for crowds (cityscapesscripts' json2instanceImg).
            cls, number = (None, value) if not self.divisor else \
                divmod(value, self.divisor) if value >= self.divisor else (value, None)
        if cls is None:
            label = self._single_label()
        else:
            if self.map.source and cls not in self.map.names:
                x, y = first_pixel(plane, value)
                shown = f"class {cls} (value {value})" if cls != value else f"index {value}"
                raise DataError(f"{shown} at x={x} y={y} is not in {self.map_name} "
                                f"({len(self.map.names)} classes)", file=display)
            label = self._label(cls)
        mask = Mask(label=label, rle=rle)
        if number:  # kept so that png_masks writes the object back with its id
            mask.extra[NAMESPACE] = {"instance": number}
        return mask

    def _background_label(self) -> int:
        return self._label(self.background if self.background is not None else 0)

    def _single_label(self) -> int:
        classes = [v for v in self.map.names if v != self.background]
        if len(classes) == 1:
            return self._label(classes[0])
        if -1 not in self.label_of:
            self.label_of[-1] = self.categories.add("object")
        return self.label_of[-1]

    def _sorted_categories(self, items: list[Item]) -> Categories:
        if self.map.source:
            return self.categories
        order = sorted(self.label_of, key=lambda v: (v < 0, v))
        if [self.label_of[v] for v in order] == list(range(len(order))):
            return self.categories
        remap = {self.label_of[v]: n for n, v in enumerate(order)}
        categories = Categories([self.categories.labels[self.label_of[v]] for v in order])
        for item in items:
            for ann in item.annotations:
                ann.label = remap[ann.label]  # type: ignore[index]
        return categories
