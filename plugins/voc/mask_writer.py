"""One item's SegmentationClass and SegmentationObject PNGs (the per-item mask phase).

Objects are painted in z_order (later on top); crowd regions paint void (255); void regions
kept from a VOC source go on last. Instance N is the N-th XML object of the item.
"""
from __future__ import annotations

import os
from typing import Any

from cococonv.fileio import write_bytes
from cococonv.model import Annotation, Ellipse, Item, Mask, Polygon
from cococonv.paths import safe_relpath

from . import layout as L
from .coverage import objects_without_pixels
from .export_plan import Tally, VocPlan
from .parts import ObjectUnit


def write_masks(plan: VocPlan, item: Item, units: list[ObjectUnit], tally: Tally) -> bool:
    """Paint and write the item's two PNGs; whether they were written."""
    from cococonv.raster.paint import paint_scanlines
    from cococonv.raster.png import encode_index_png

    voc = item.extra.get("voc", {})
    painted_units = [u for u in units if u.shapes]
    ignore = item.ignore
    void_class, void_object = (ignore.semantic, ignore.instance) if ignore else (None, None)
    if not painted_units and not void_class and not void_object and \
            not plan.options["keep_empty"]:
        return False
    size = plan.size(item) or _mask_size(painted_units)
    if size is None:
        tally.lost[("masks and polygons", "image size unknown")] += sum(
            len(u.shapes) for u in painted_units)
        return False
    height, width = size
    layers_plan, painted = _layers(plan, units, painted_units, height, width, tally)
    void_class = void_class if _fits(void_class, height, width) else None
    void_object = void_object if _fits(void_object, height, width) else None
    present = bytearray()
    classes, instances = paint_scanlines(height, width, layers_plan, void_class, void_object,
                                         scratch=plan.scratch, present=present)
    with_objects = voc.get("masks", {}).get("object", True)
    if with_objects:
        missing = objects_without_pixels(painted, instances, present)
        if missing:
            tally.lost[("objects with no pixel left in the masks", "covered by what is "
                        "painted above them, or too thin")] += missing
    rel = safe_relpath(f"{item.id}.png", what="item id").split("/")
    write_bytes(os.path.join(plan.out, "SegmentationClass", *rel),
                encode_index_png(classes, height, width, plan.class_palette))
    if with_objects:
        write_bytes(os.path.join(plan.out, "SegmentationObject", *rel),
                    encode_index_png(instances, height, width, plan.object_palette))
    return True


_CROWD = ("crowd regions", "painted as void (255) in the masks")
_BEYOND = ("instances beyond 254", "SegmentationObject holds 254")
_JOINED = ("masks and polygons joined with another outline of their object",
           "painted as one instance")
_ELLIPSES = ("ellipses", "rasterized into the masks")
_POLYGONS = ("polygons", "rasterized into the masks")


def _layers(plan: VocPlan, units: list[ObjectUnit], painted_units: list[ObjectUnit],
            height: int, width: int,
            tally: Tally) -> tuple[list[tuple[Any, int, int | None]], list[int | None]]:
    """The painter's ``(layer, class, instance)`` list in z_order, and the instance index
    of each object painted (None: painted without one)."""
    # Written as plain loops (no key lambdas, generators or id() maps): this runs once an
    # image and was a tenth of the mask phase's CPU.
    next_instance = 0
    for unit in units:
        if unit.xml_index and unit.xml_index > next_instance:
            next_instance = unit.xml_index
    instances: list[int | None] = []
    tops = []
    for unit in painted_units:
        if unit.xml_index is not None:
            instances.append(unit.xml_index)
        elif not unit.leader.attributes.get("is_crowd"):
            next_instance += 1
            instances.append(next_instance)
        else:
            instances.append(None)
        shapes = unit.shapes
        tops.append(shapes[0].z_order if len(shapes) == 1 else max(s.z_order for s in shapes))
    names, index = plan.names, plan.index
    chosen = [k for k in sorted(range(len(painted_units)), key=tops.__getitem__)
              if painted_units[k].label is not None and
              names[painted_units[k].label] in index]  # type: ignore[index]
    approx, lost = tally.approx, tally.lost
    out: list[tuple[Any, int, int | None]] = []
    painted: list[int | None] = []
    for k, layers in zip(chosen, _painter_layers([painted_units[k].shapes for k in chosen],
                                                 height, width)):
        unit = painted_units[k]
        crowd = bool(unit.leader.attributes.get("is_crowd"))
        if crowd:
            cls = L.VOID_INDEX
            approx[_CROWD] += 1
        else:
            cls = index[names[unit.label]]  # type: ignore[index]
        instance = instances[k]
        if instance is not None and instance >= L.VOID_INDEX:
            lost[_BEYOND] += 1
            instance = None
        if layers is None:
            continue
        shapes = unit.shapes
        if len(shapes) > 1:
            approx[_JOINED] += len(shapes) - 1
        for shape in shapes:
            if type(shape) is Polygon:
                approx[_POLYGONS] += 1
            elif type(shape) is Ellipse:
                approx[_ELLIPSES] += 1
        if len(layers) == 1:
            out.append((layers[0], cls, instance))
        else:
            out.extend([(rle, cls, instance) for rle in layers])
        painted.append(instance)
    return out, painted


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


def _fits(rle: dict | None, height: int, width: int) -> bool:
    return rle is not None and list(rle.get("size", ())) == [height, width]


def _mask_size(units: list[ObjectUnit]) -> tuple[int, int] | None:
    for unit in units:
        for shape in unit.shapes:
            if type(shape) is Mask:
                size = shape.rle.get("size")
                if size:
                    return int(size[0]), int(size[1])
    return None
