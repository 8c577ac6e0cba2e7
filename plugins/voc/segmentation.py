"""VOC segmentation PNGs: index masks to RLE Masks on import, shapes to PNGs on export.

A class PNG holds label-map indices, an object PNG 1-based instance indices (both 0 for
background and 255 for the void border). Palette ("P") and grayscale ("L") PNGs are read
by index; RGB PNGs (CVAT writes them) by colour through the label map (class masks) or the
VOC palette (object masks). labelme2voc's ``.npy`` arrays are read as indices.
Everything here is numpy-vectorised: one pass per PNG plus one comparison per mask.
"""
from __future__ import annotations

import io
from typing import Any

from cococonv.errors import DataError
from cococonv.model import Categories, Item, Mask
from cococonv.sources import Tree

from .labelmap import LabelMap
from .layout import BACKGROUND_NAMES, VOID_INDEX, voc_color


def decode_index_png(data: bytes, display: str, colors: dict[int, int] | None) -> Any:
    """A ``(h, w)`` uint8 index array from PNG (or .npy) bytes.

    ``colors`` maps packed ``0xRRGGBB`` to an index for RGB images; a colour outside it is
    a DataError naming the file and the colour.
    """
    import numpy as np

    if data[:6] == b"\x93NUMPY":
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(f"cannot read the mask array ({exc})", file=display) from None
        if array.ndim != 2 or array.dtype.kind not in "iub":
            raise DataError(f"expected a 2-D integer array, got {array.ndim}-D "
                            f"{array.dtype}", file=display)
        array = np.where(array < 0, VOID_INDEX, array)  # labelme writes -1 for ignored
        if array.max(initial=0) > 255:
            raise DataError(f"mask index {int(array.max())} is above 255", file=display)
        return array.astype(np.uint8)
    from PIL import Image as PILImage
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            image.load()
            mode = image.mode
            if mode in ("P", "L"):
                return np.asarray(image, dtype=np.uint8)
            if mode not in ("RGB", "RGBA"):
                raise DataError(f"unsupported PNG mode {mode} (expected palette, grayscale "
                                f"or RGB)", file=display)
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    except OSError as exc:
        raise DataError(f"cannot read the PNG ({exc})", file=display) from None
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    unique, inverse = np.unique(codes, return_inverse=True)
    lookup = np.zeros(len(unique), dtype=np.uint8)
    for position, code in enumerate(unique.tolist()):
        index = (colors or {}).get(code)
        if index is None:
            color = ((code >> 16) & 255, (code >> 8) & 255, code & 255)
            raise DataError(f"colour {color} is not in the label map", file=display)
        lookup[position] = index
    return lookup[inverse].reshape(codes.shape)


def class_colors(label_map: LabelMap) -> dict[int, int]:
    """Packed colour -> class index; the void colour wins over a label sharing it."""
    table = {}
    for index in range(len(label_map.entries)):
        r, g, b = label_map.color(index)
        table.setdefault((r << 16) | (g << 8) | b, index)
    r, g, b = voc_color(VOID_INDEX)
    table[(r << 16) | (g << 8) | b] = VOID_INDEX
    return table


def object_colors() -> dict[int, int]:
    table = {}
    for index in range(256):
        r, g, b = voc_color(index)
        table[(r << 16) | (g << 8) | b] = index
    return table


class MaskReader:
    """Turns one item's class/object PNGs into Mask annotations."""

    def __init__(self, tree: Tree, label_map: LabelMap, categories: Categories, *,
                 void_as_crowd: bool = False):
        self.tree = tree
        self.void_as_crowd = void_as_crowd
        self.label_map = label_map
        self.class_colors = class_colors(label_map)
        self.object_colors = object_colors()
        self.label_of = {entry.name: categories.find(entry.name)
                         for entry in label_map.entries}
        self.names = label_map.names()
        self.background = 0 if self.names and self.names[0] in BACKGROUND_NAMES else None

    def _load(self, rel: str, colors: dict[int, int]) -> Any:
        return decode_index_png(self.tree.read_bytes(rel), self.tree.display(rel), colors)

    def read(self, item: Item, class_rel: str | None, object_rel: str | None,
             objects: list[Any]) -> None:
        import numpy as np

        from cococonv import masks

        classes = self._load(class_rel, self.class_colors) if class_rel else None
        instances = self._load(object_rel, self.object_colors) if object_rel else None
        shape = (classes if classes is not None else instances).shape
        display = self.tree.display(class_rel or object_rel or "")
        if classes is not None and instances is not None and classes.shape != instances.shape:
            raise DataError(f"class mask is {classes.shape[1]}x{classes.shape[0]} but "
                            f"{self.tree.display(object_rel or '')} is "
                            f"{instances.shape[1]}x{instances.shape[0]} (width x height)",
                            file=display)
        size = item.image.size if item.image is not None else None
        if size is not None and tuple(size) != shape:
            raise DataError(f"mask is {shape[1]}x{shape[0]} but the image <size> is "
                            f"{size[1]}x{size[0]} (width x height)", file=display)
        if classes is not None:
            top = int(classes[classes != VOID_INDEX].max(initial=0))
            if top >= len(self.names):
                raise DataError(f"class index {top} is not in the label map ({len(self.names)} "
                                f"labels, 0-{len(self.names) - 1})", file=display)
        voc = item.extra.setdefault("voc", {})
        found: list[Mask] = []
        if instances is not None:
            keys = instances.astype(np.uint16) * 256
            if classes is not None:
                keys += classes
            counts = np.bincount(keys.ravel(), minlength=65536)
            pairs = np.flatnonzero(counts).tolist()
            leftovers: list[int] = []
            for code in pairs:
                instance, cls = divmod(code, 256)
                if cls == VOID_INDEX or (classes is not None and cls == self.background
                                         and instance in (0, VOID_INDEX)):
                    continue
                if instance in (0, VOID_INDEX):
                    if classes is not None:
                        leftovers.append(cls)
                    continue
                if classes is not None:
                    pixels = (instances == instance) & (classes == cls)
                    name = self.names[cls]
                else:
                    pixels = instances == instance
                    name = objects[instance - 1].name if instance <= len(objects) else None
                group = 0
                if instance <= len(objects) and objects[instance - 1].name == name:
                    group = objects[instance - 1].box.group
                found.append(Mask(label=self.label_of.get(name) if name else None,
                                  group=group, rle=masks.encode(pixels)))
            for cls in sorted(set(leftovers)):
                pixels = (classes == cls) & ((instances == 0) | (instances == VOID_INDEX))
                found.append(Mask(label=self.label_of[self.names[cls]],
                                  rle=masks.encode(pixels)))
            if (instances == VOID_INDEX).any():
                voc["void_object"] = masks.encode(instances == VOID_INDEX)
        else:
            present = np.flatnonzero(np.bincount(classes.ravel(), minlength=256)).tolist()
            for cls in present:
                if cls in (VOID_INDEX, self.background):
                    continue
                found.append(Mask(label=self.label_of[self.names[cls]],
                                  rle=masks.encode(classes == cls)))
        if classes is not None and (classes == VOID_INDEX).any():
            voc["void_class"] = masks.encode(classes == VOID_INDEX)
        if self.void_as_crowd and self.background is not None:
            self._void_to_crowd(voc, classes, instances, found)
        voc["masks"] = {"class": class_rel is not None, "object": object_rel is not None}
        if item.image is not None and item.image.size is None:
            item.image.size = (int(shape[0]), int(shape[1]))
        elif item.image is None:
            from cococonv.model import Image
            item.image = Image(item.id + ".jpg", (int(shape[0]), int(shape[1])))
        item.annotations.extend(found)


    def _void_to_crowd(self, voc: dict, classes: Any, instances: Any,
                       found: list[Mask]) -> None:
        """The void region as a crowd mask of the background label (``--void-regions crowd``).

        The exporter paints a crowd region void in both PNGs; an object-PNG void that differs
        from the class-PNG one stays in ``extra["voc"]`` (VOC output only).
        """
        import numpy as np

        from cococonv import masks

        void = (classes if classes is not None else instances) == VOID_INDEX
        if not void.any():
            return
        found.append(Mask(label=self.label_of[self.names[self.background]],
                          attributes={"is_crowd": True}, rle=masks.encode(void)))
        voc.pop("void_class", None)
        if instances is not None and "void_object" in voc and \
                np.array_equal(instances == VOID_INDEX, void):
            voc.pop("void_object")


def paint(height: int, width: int, units: list[tuple[Any, int, int | None]],
          void_class: dict | None, void_object: dict | None) -> tuple[Any, Any]:
    """Class and object index arrays from ``(rle, class index, instance index)`` units.

    Units are painted in order, so later ones cover earlier ones (callers sort by z_order);
    a class index of 255 paints void (crowd regions). Void regions kept from a VOC source
    are painted last, as VOC draws its border over the objects.
    """
    import numpy as np

    from cococonv import masks

    classes = np.zeros((height, width), dtype=np.uint8)
    instances = np.zeros((height, width), dtype=np.uint8)
    for rle, cls, instance in units:
        pixels = masks.decode(rle).astype(bool)
        classes[pixels] = cls
        instances[pixels] = VOID_INDEX if cls == VOID_INDEX else (instance or 0)
    if void_class is not None:
        classes[masks.decode(void_class).astype(bool)] = VOID_INDEX
    if void_object is not None:
        instances[masks.decode(void_object).astype(bool)] = VOID_INDEX
    return classes, instances


def encode_png(array: Any, palette: list[int] | None) -> bytes:
    """A palette PNG (or grayscale when ``palette`` is None) of an index array."""
    from PIL import Image as PILImage

    image = PILImage.fromarray(array)  # uint8 2-D: mode "L"
    if palette is not None:
        image.putpalette(palette)  # an "L" image given a palette becomes "P"
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()
