"""VOC segmentation PNGs read into RLE Masks (the importer's side; mask_writer.py paints them).

A class PNG holds label-map indices, an object PNG 1-based instance indices (both 0 for
background and 255 for the void border). Palette ("P") and grayscale ("L") PNGs are read
by index; RGB PNGs (CVAT writes them) by colour through the label map (class masks) or the
VOC palette (object masks). labelme2voc's ``.npy`` arrays are read as indices.
The per-pixel work (PNG decoding, runs, RLE) is ``cococonv.raster``'s: its compiled
helpers when they are built, else its numpy code; both give the same pixels and RLEs.
"""
from __future__ import annotations

import io
from typing import Any, NamedTuple

from cococonv.errors import DataError
from cococonv.limits import MAX_MASK_PIXELS, LimitError
from cococonv.model import Categories, IgnoreRegions, Item, Mask
from cococonv.raster.png import decode_mask_png
from cococonv.raster.runs import Runs, sorted_unique
from cococonv.sources import Tree

from .labelmap import LabelMap
from .layout import BACKGROUND_NAMES, VOID_INDEX, voc_color
__all__ = ["MaskReader", "RawMasks", "class_colors", "decode_index_png", "object_colors"]


def decode_index_png(data: bytes, display: str, colors: dict[int, int] | None) -> Any:
    """A ``(h, w)`` uint8 index array from PNG (or .npy) bytes.

    ``colors`` maps packed ``0xRRGGBB`` to an index for RGB images; a colour outside it is
    a DataError naming the file and the colour.
    """
    import numpy as np

    if data[:6] == b"\x93NUMPY":
        try:
            _check_npy_header(data)
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except LimitError as err:
            raise err.located(file=display) from None
        except (ValueError, OSError) as exc:
            raise DataError(f"cannot read the mask array ({exc})", file=display) from None
        if array.ndim != 2 or array.dtype.kind not in "iub":
            raise DataError(f"expected a 2-D integer array, got {array.ndim}-D "
                            f"{array.dtype}", file=display)
        array = np.where(array < 0, VOID_INDEX, array)  # labelme writes -1 for ignored
        if array.max(initial=0) > 255:
            raise DataError(f"mask index {int(array.max())} is above 255", file=display)
        return array.astype(np.uint8)
    pixels = decode_mask_png(data, display, _index_or_rgb)
    if pixels.ndim == 2:
        return pixels
    rgb = pixels
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    unique, inverse = np.unique(codes, return_inverse=True)
    lookup = np.zeros(len(unique), dtype=np.uint8)
    for position, code in enumerate(unique.tolist()):
        index = (colors or {}).get(code)
        if index is None or index == SHARED_COLOR:
            color = ((code >> 16) & 255, (code >> 8) & 255, code & 255)
            why = "is not in the label map" if index is None else \
                "belongs to several labels of the label map, so its pixels have no one label"
            raise DataError(f"colour {color} {why}", file=display)
        lookup[position] = index
    return lookup[inverse].reshape(codes.shape)


def _index_or_rgb(image: Any) -> Any:
    """A palette or grayscale image's index plane, an RGB(A) image's ``(h, w, 3)`` uint32
    colours (looked up in the label map by the caller)."""
    import numpy as np

    mode = image.mode
    if mode in ("P", "L"):
        return np.asarray(image, dtype=np.uint8)
    if mode not in ("RGB", "RGBA"):
        raise DataError(f"unsupported PNG mode {mode} (expected palette, grayscale or RGB)")
    return np.asarray(image.convert("RGB"), dtype=np.uint32)


def _check_npy_header(data: bytes) -> None:
    """``check_plane`` for the shape a .npy header claims: numpy allocates the whole array
    before it finds that the data is short."""
    import math

    import numpy as np

    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read_header is None:
        return  # np.load says what is wrong with it
    pixels = math.prod(shape := read_header(stream)[0])
    if pixels > MAX_MASK_PIXELS:
        raise LimitError(f"the mask array would be {'x'.join(map(str, shape))} = {pixels} "
                         f"values, above the limit of {MAX_MASK_PIXELS} (docs/limits.md)")


#: The index of a colour that several labels of the label map share: an RGB mask pixel of
#: it cannot be given a label, so reading one is an error rather than a silent first pick.
SHARED_COLOR = -1


def class_colors(label_map: LabelMap) -> dict[int, int]:
    """Packed colour -> class index; the void colour wins over a label sharing it, a colour
    two labels share maps to ``SHARED_COLOR``."""
    table: dict[int, int] = {}
    for index in range(len(label_map.entries)):
        r, g, b = label_map.color(index)
        code = (r << 16) | (g << 8) | b
        table[code] = SHARED_COLOR if code in table else index
    r, g, b = voc_color(VOID_INDEX)
    table[(r << 16) | (g << 8) | b] = VOID_INDEX
    return table


def object_colors() -> dict[int, int]:
    table = {}
    for index in range(256):
        r, g, b = voc_color(index)
        table[(r << 16) | (g << 8) | b] = index
    return table


class RawMasks(NamedTuple):
    """What one item's PNGs hold, read without its XML (so workers can read the PNGs while
    the XML files are parsed): every RLE the item's masks can need."""

    shape: tuple[int, int]
    has_classes: bool
    has_instances: bool
    top_class: int  # the highest class index but void (0 without a class PNG)
    exact: list[tuple[int, int, dict]]  # (instance, class, rle) of each object's pixels
    leftovers: list[tuple[int, dict]]  # (class, rle) of class pixels outside every object
    void_class: dict | None
    void_object: dict | None
    crowd: dict | None  # the void region for --void-regions crowd
    crowd_covers_object_void: bool


class MaskReader:
    """Turns one item's class/object PNGs into Mask annotations, in two steps: ``decode``
    needs only the label map's first entries (colours and background), ``resolve`` adds
    what the item's XML says (object names and groups) and the final labels."""

    def __init__(self, tree: Tree, label_map: LabelMap, categories: Categories, *,
                 void_as_crowd: bool = False):
        self.tree = tree
        self.void_as_crowd = void_as_crowd
        self.class_colors = class_colors(label_map)
        self.object_colors = object_colors()
        first: dict[str, int] = {}
        for index, label in enumerate(categories.labels):  # Categories.find per entry: quadratic
            first.setdefault(label.name, index)
        self.label_of = {entry.name: first.get(entry.name) for entry in label_map.entries}
        self.names = label_map.names()
        self.background = 0 if self.names and self.names[0] in BACKGROUND_NAMES else None

    def _load(self, rel: str, colors: dict[int, int]) -> Any:
        return decode_index_png(self.tree.read_bytes(rel), self.tree.display(rel), colors)

    def decode(self, class_rel: str | None, object_rel: str | None) -> RawMasks:
        import numpy as np

        classes = self._load(class_rel, self.class_colors) if class_rel else None
        instances = self._load(object_rel, self.object_colors) if object_rel else None
        shape = (classes if classes is not None else instances).shape
        if classes is not None and instances is not None and classes.shape != instances.shape:
            raise DataError(f"class mask is {classes.shape[1]}x{classes.shape[0]} but "
                            f"{self.tree.display(object_rel or '')} is "
                            f"{instances.shape[1]}x{instances.shape[0]} (width x height)",
                            file=self.tree.display(class_rel or ""))
        runs = Runs(classes, instances)
        cls_of, inst_of = runs.values & 255, runs.values >> 8
        top = int(cls_of[cls_of != VOID_INDEX].max(initial=0)) if classes is not None else 0
        exact: list[tuple[int, int, dict]] = []
        leftovers: list[tuple[int, dict]] = []
        void_object = None
        if instances is not None:
            codes: list[int] = []
            classes_left: set[int] = set()
            for code in sorted_unique(runs.values).tolist():
                instance, cls = divmod(code, 256)
                if cls == VOID_INDEX or (classes is not None and cls == self.background
                                         and instance in (0, VOID_INDEX)):
                    continue
                if instance in (0, VOID_INDEX):
                    if classes is not None:
                        classes_left.add(cls)
                    continue
                codes.append(code)
            exact = [(code >> 8, code & 255, rle)
                     for code, rle in zip(codes, runs.rles_of_codes(codes))]
            leftovers = [(cls, runs.rle((cls_of == cls) & ((inst_of == 0) |
                                                          (inst_of == VOID_INDEX))))
                         for cls in sorted(classes_left)]
            if (inst_of == VOID_INDEX).any():
                void_object = runs.rle(inst_of == VOID_INDEX)
        else:
            leftovers = [(cls, runs.rle(cls_of == cls)) for cls in sorted_unique(cls_of).tolist()
                         if cls not in (VOID_INDEX, self.background)]
        void_class = runs.rle(cls_of == VOID_INDEX) \
            if classes is not None and (cls_of == VOID_INDEX).any() else None
        crowd, covers = None, False
        if self.void_as_crowd and self.background is not None:
            void = (cls_of if classes is not None else inst_of) == VOID_INDEX
            if void.any():
                crowd = runs.rle(void)
                covers = instances is not None and \
                    bool(np.array_equal(inst_of == VOID_INDEX, void))
        return RawMasks((int(shape[0]), int(shape[1])), classes is not None,
                        instances is not None, top, exact, leftovers, void_class, void_object,
                        crowd, covers)

    def resolve(self, item: Item, raw: RawMasks, class_rel: str | None,
                object_rel: str | None, objects: list[Any]) -> None:
        """Add the masks ``decode`` read to the item, named by the label map (class PNG) or
        by the item's XML objects (object PNG alone), grouped with their boxes."""
        shape = raw.shape
        display = self.tree.display(class_rel or object_rel or "")
        size = item.image.size if item.image is not None else None
        if size is not None and tuple(size) != shape:
            raise DataError(f"mask is {shape[1]}x{shape[0]} but the image <size> is "
                            f"{size[1]}x{size[0]} (width x height)", file=display)
        if raw.has_classes and raw.top_class >= len(self.names):
            raise DataError(f"class index {raw.top_class} is not in the label map "
                            f"({len(self.names)} labels, 0-{len(self.names) - 1})",
                            file=display)
        voc = item.extra.setdefault("voc", {})
        found: list[Mask] = []
        for instance, cls, rle in raw.exact:
            if raw.has_classes:
                name = self.names[cls]
            else:
                name = objects[instance - 1].name if instance <= len(objects) else None
            group = 0
            if instance <= len(objects) and objects[instance - 1].name == name:
                group = objects[instance - 1].box.group
            found.append(Mask(label=self.label_of.get(name) if name else None, group=group,
                              rle=rle))
        for cls, rle in raw.leftovers:
            found.append(Mask(label=self.label_of[self.names[cls]], rle=rle))
        semantic, instance = raw.void_class, raw.void_object
        if raw.crowd is not None:
            found.append(Mask(label=self.label_of[self.names[self.background]],  # type: ignore
                              attributes={"is_crowd": True}, rle=raw.crowd))
            semantic = None
            if raw.crowd_covers_object_void:
                instance = None
        if semantic is not None or instance is not None:
            item.ignore = IgnoreRegions(semantic, instance)
        voc["masks"] = {"class": class_rel is not None, "object": object_rel is not None}
        if item.image is not None and item.image.size is None:
            item.image.size = shape
        elif item.image is None:
            from cococonv.model import Image
            item.image = Image(item.id + ".jpg", shape)
        item.annotations.extend(found)
