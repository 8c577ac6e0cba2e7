"""png_masks exporter: one mask PNG per image, ``masks/[<subset>/]<id>.png``, and
``labelmap.txt`` naming the class values; ``images/[<subset>/]`` with --save-images.

Semantic masks (default) hold the class of each pixel (8-bit index, 0 background, 255
void); ``--mask-kind instance`` an object id (``instances.py``). Masks, polygons and
ellipses are painted in z_order (later on top) by core's painter
(``cococonv.raster.paint``); what a mask PNG cannot hold (boxes, keypoints, lines,
captions, image labels, attributes, groups, which object a pixel belonged to) is reported.
"""
from __future__ import annotations

import os
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cococonv import export_options as shared
from cococonv import foreign_fields as FF
from cococonv.context import Context
from cococonv.errors import DataError, OptionError
from cococonv.fileio import write_bytes
from cococonv.images import normalise_ext, probe_size, save_images, with_ext
from cococonv.model import Bbox, Caption, Ellipse, Item, Label, Mask, Points, Polygon, Polyline
from cococonv.paths import safe_relpath, safe_segment, writable
from cococonv.plugin import Exporter, Option
from cococonv.raster.palette import voc_color
from cococonv.report import Row, replay_tally
from cococonv.text import shown

from .colormap import BACKGROUND_NAMES, LABELMAP, VOID_COLOR, ColorMap, labelmap_text
from .importer import KINDS, NAMESPACE
from .instances import assign_instances, instance_png
from .layout import DEFAULT_SUBSET

MAX_CLASS = 254
VOID_VALUE = 255  # void in an 8-bit mask
_LOST = {Bbox: "boxes", Points: "keypoints", Polyline: "polylines", Caption: "captions",
         Label: "image labels"}
_WHY = "an index mask holds one class per pixel only"


@dataclass
class MaskPlan:
    out: str
    value_of: dict[int, int]  # label index -> mask value
    palette: bytes | None
    flat: bool  # one subset, "default": no subset folders
    foreign: frozenset[str]
    names: list[str] = field(default_factory=list)  # the labelmap's, by value
    colors: list[tuple[int, int, int]] = field(default_factory=list)
    save_images: bool = False
    image_ext: str | None = None
    instance: bool = False  # --mask-kind instance: object ids, not classes
    divisor: int = 0
    items: Any = None
    scratch: bytearray = field(default_factory=bytearray)

    def mask_path(self, item: Item) -> str:
        rel = safe_relpath(item.id, what="item id")
        return f"masks/{rel}.png" if self.flat else f"masks/{item.subset}/{rel}.png"


def write_item(plan: MaskPlan, item: Item) -> tuple[bool, dict[Row, int]]:
    """Paint and write one item's mask PNG (per item, in workers with --jobs): whether it
    has void pixels, and its report rows' counts (``report.replay_tally``)."""
    from cococonv.raster.paint import paint_scanlines
    from cococonv.raster.png import encode_index_png

    tally: Counter[tuple[str, str, str]] = Counter()
    # another format's namespace is that format's to write; the source data some hold
    # (Plugin.source_fields) is what dropped_fields names
    foreign = lambda: plan.foreign  # noqa: E731  (the namespaces, for foreign_fields)
    if item.image_id is not None or item.attributes or \
            FF.dropped_fields(item.extra, NAMESPACE, foreign):
        tally[("lost", "image ids and fields", "png_masks does not hold them")] += 1
    shapes = []
    for ann in item.annotations:
        lost = _LOST.get(type(ann))
        if lost:
            tally[("lost", lost, _WHY)] += 1
        elif ann.label is None or ann.label not in plan.value_of:
            tally[("lost", "masks and polygons without a class value",
                   f"unlabelled, or past the {MAX_CLASS} classes an 8-bit mask holds")] += 1
        elif plan.value_of[ann.label] == 0 and not ann.attributes.get("is_crowd"):
            tally[("lost", "masks and polygons of the background class",
                   "value 0 is background in the mask")] += 1
        else:
            shapes.append(ann)
            if any(key != "is_crowd" for key in ann.attributes):
                tally[("lost", "attributes", _WHY)] += 1
            if ann.group:
                tally[("lost", "groups", _WHY)] += 1
    fields: dict[str, int] = {}
    FF.count_dropped(shapes, NAMESPACE, foreign, fields)
    for name, count in fields.items():
        tally[("lost", FF.what(name), "png_masks has no place for them")] += count
    size = probe_size(item.image) or _mask_size(shapes)
    if size is None:
        tally[("lost", "items", "no image size is known, so no mask can be written")] += 1
        return False, dict(tally)
    height, width = size
    objects_of = assign_instances(shapes, plan.divisor, tally) if plan.instance else None
    units, areas = _units(shapes, height, width, plan.value_of, tally, objects_of)
    void = _ignored(item, plan.instance, height, width, tally)
    try:
        classes, objects = paint_scanlines(height, width, units, void,
                                           void if plan.instance else None,
                                           scratch=plan.scratch)
    except DataError as err:  # a mask limit (docs/limits.md): name the item
        raise err.located(file=item.id) from None
    if not plan.instance:
        per_class = Counter(unit[1] for unit in units if unit[1] != VOID_VALUE)
        merged = sum(count - 1 for count in per_class.values())
        if merged:
            tally[("approximated", "masks", "merged with the others of their class in the "
                   "image (one region per class)")] += merged
    elif not plan.divisor and len(plan.names) > 2:
        tally[("approximated", "masks", "instance ids without --instance-divisor hold no "
               "class: read back as 'object'")] += sum(1 for u in units if u[2])
    if areas > _painted(classes, height, width):
        tally[("approximated", "masks", "overlapping: each pixel keeps the shape on "
               "top")] += 1
    data = instance_png(classes, objects, height, width, plan.divisor) if plan.instance \
        else encode_index_png(classes, height, width, plan.palette)
    write_bytes(os.path.join(plan.out, *plan.mask_path(item).split("/")), data)
    painted_void = any(unit[1] == VOID_VALUE for unit in units)
    return void is not None or painted_void, dict(tally)


def _units(shapes: list[Any], height: int, width: int, value_of: dict[int, int],
           tally: Counter, objects_of: dict[int, int] | None
           ) -> tuple[list[tuple[Any, int, int | None]], int]:
    """The painter's layers ``(layer, class value, object id)`` in z_order, and the sum of
    their areas; with ``objects_of`` (instance masks) a shape without an id is left out."""
    from cococonv import masks
    from cococonv.geometry import rasterize

    units: list[tuple[Any, int, int | None]] = []
    area = 0
    for shape in sorted(shapes, key=lambda s: s.z_order):
        value = value_of[shape.label]
        number = objects_of.get(id(shape)) if objects_of is not None else None
        if shape.attributes.get("is_crowd"):
            tally[("approximated", "crowd regions", "painted as void (255)")] += 1
            value = VOID_VALUE
        elif objects_of is not None and number is None:
            continue
        if type(shape) is Polygon and len(shape.points) >= 6 and len(shape.points) % 2 == 0:
            tally[("approximated", "polygons", "rasterized into masks")] += 1
            ring = list(shape.points)
            units.append((ring, value, number))
            area += masks.polygons_area([ring], height, width) if value != VOID_VALUE else 0
            continue
        if type(shape) is Ellipse:
            tally[("approximated", "ellipses", "rasterized into masks")] += 1
        elif type(shape) is Mask and list(shape.rle.get("size", ())) != [height, width]:
            tally[("approximated", "masks", "resized to the image")] += 1
        rle = shape.rle if type(shape) is Mask and \
            list(shape.rle.get("size", ())) == [height, width] else \
            rasterize([shape], height, width)
        if rle is None:
            tally[("lost", "polygons", "too few points to paint")] += 1
            continue
        units.append((rle, value, number))
        area += masks.area(rle) if value != VOID_VALUE else 0
    return units, area


def _ignored(item: Item, instance: bool, height: int, width: int,
             tally: Counter) -> dict | None:
    """The item's ignore region for this kind of mask (the other layer's when it has only
    that one), painted void (255)."""
    ignore = item.ignore
    if not ignore:
        return None
    mine, other = (ignore.instance, ignore.semantic) if instance else \
        (ignore.semantic, ignore.instance)
    if mine and other and other != mine:
        tally[("lost", "ignore regions of the other mask layer", "png_masks writes one "
               "mask per image")] += 1
    region = mine or other
    if list(region.get("size", ())) != [height, width]:
        tally[("lost", "ignore regions", "not the size of the image")] += 1
        return None
    return region


def _painted(scanlines: Any, height: int, width: int) -> int:
    """Pixels of the class plane that are neither background (0) nor void (255)."""
    import numpy as np

    plane = np.frombuffer(scanlines, dtype=np.uint8).reshape(height, width + 1)[:, 1:]
    return int(np.count_nonzero((plane != 0) & (plane != 255)))


def _mask_size(shapes: list[Any]) -> tuple[int, int] | None:
    for shape in shapes:
        if type(shape) is Mask and shape.rle.get("size"):
            return int(shape.rle["size"][0]), int(shape.rle["size"][1])
    return None


def _check_divisor(value: int) -> None:
    if value and not 256 <= value <= 65535:
        raise OptionError(f"--instance-divisor: {value}: writing needs 0 or 256-65535 (255 "
                          f"stays void)")


class PngMasksExporter(Exporter):
    """Image + mask PNG pairs: masks/ index PNGs (one class per pixel), labelmap.txt,
    images/ with --save-images."""

    name = "png_masks"
    namespace = NAMESPACE
    supercategory_loss = "png_masks classes have no supercategory"
    options = (
        shared.save_images("images/<subset>/, or images/ when the only subset is 'default'"),
        shared.image_ext(),
        Option("apply_colormap", bool, True, "Write the masks with the class colours as "
               "their palette; off writes grayscale index PNGs (same values)."),
        Option("mask_kind", str, "semantic", "'semantic': a class per pixel; 'instance': "
               "an object id per pixel (grayscale, 16-bit when values pass 255).", KINDS),
        Option("instance_divisor", int, 0, "Instance masks: write class * N + object id "
               "(N > 255, e.g. 1000 as Cityscapes); 0: the object id alone.",
               check=_check_divisor),
    )
    item_function = write_item

    def plan(self, source: Any, out_dir: str, ctx: Context, *, save_images: bool = False,
             image_ext: str | None = None, apply_colormap: bool = True,
             mask_kind: str = "semantic", instance_divisor: int = 0) -> MaskPlan:
        names, colors, value_of = _class_values(source.categories, ctx)
        if mask_kind == "instance" and instance_divisor and \
                (len(names) - 1) * instance_divisor + 254 > 65535:
            raise OptionError(f"--instance-divisor {instance_divisor}: {len(names) - 1} "
                              f"classes would need values past 16 bits (65535)")
        palette = None
        if apply_colormap:
            table = [voc_color(v) for v in range(256)]
            table[:len(colors)] = colors
            table[255] = VOID_COLOR
            palette = bytes(channel for color in table for channel in color)
        subsets = {item.subset for item in source}
        plan = MaskPlan(out_dir, value_of, palette, subsets <= {DEFAULT_SUBSET},
                        ctx.namespaces - {NAMESPACE}, names, colors,
                        save_images, normalise_ext(image_ext), mask_kind == "instance",
                        instance_divisor)

        def prepare(item: Item) -> tuple[Item, list[str]]:
            if not plan.flat:
                safe_segment(item.subset, what="subset")
            return item, [plan.mask_path(item)]

        plan.items = writable(source, ctx.report, prepare)
        return plan

    def finish(self, plan: MaskPlan, results: Any, ctx: Context) -> None:
        report = ctx.report
        with_void = False
        for void, events in results:
            with_void |= void
            replay_tally(report, events)
        path = os.path.join(plan.out, LABELMAP)
        write_bytes(path, labelmap_text(plan.names, plan.colors, with_void).encode("utf-8"))
        if plan.save_images:
            def destination(item: Item) -> str:
                name = with_ext(item.image.name if item.image else item.id + ".jpg",
                                plan.image_ext)
                rel = safe_relpath(item.id, what="item id") + posixpath.splitext(name)[1]
                return f"images/{rel}" if plan.flat else f"images/{item.subset}/{rel}"
            save_images(plan.items, plan.out, destination, report, ext=plan.image_ext)


def _class_values(categories: Any, ctx: Context) -> tuple[list[str], list[tuple[int, int, int]],
                                                          dict[int, int]]:
    """The labelmap's names and colours by value, and each label's value: a label named
    background is value 0 (else a ``background`` entry is), the others follow in order."""
    labels = [(index, label) for index, label in enumerate(categories.labels)
              if not label.placeholder]
    background = next((index for index, label in labels
                       if label.name.lower() in BACKGROUND_NAMES), None)
    ordered = [index for index, _label in labels if index != background]
    names = [categories.labels[background].name if background is not None else "background"]
    colors = [categories.colormap.get(background, (0, 0, 0)) if background is not None
              else (0, 0, 0)]
    value_of: dict[int, int] = {} if background is None else {background: 0}
    for value, index in enumerate(ordered[:MAX_CLASS], 1):
        label = categories.labels[index]
        problem = ColorMap.name_problem(label.name)
        if problem:  # the reader would refuse or change it
            raise DataError(f"label {shown(label.name)} {problem} (rename it with "
                            f"remap_labels)")
        names.append(label.name)
        colors.append(tuple(categories.colormap.get(index, voc_color(value))))
        value_of[index] = value
    ctx.report.lost("labels", f"past the {MAX_CLASS} classes an 8-bit mask holds",
                    max(0, len(ordered) - MAX_CLASS))
    return names, colors, value_of  # type: ignore[return-value]
