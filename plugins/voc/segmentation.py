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
    fast = _decode_plain_png(data)
    if fast is not None:
        return fast
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


def _decode_plain_png(data: bytes) -> Any:
    """The index array of an 8-bit palette or grayscale, non-interlaced PNG whose rows all
    use filter 0 (what cococonv and most tools write for masks), read with zlib alone; None
    for anything else (PIL then reads it, or reports what is wrong)."""
    import struct
    import zlib

    import numpy as np

    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, size, idat = 8, len(data), []
    header = None
    palette = False
    while pos + 12 <= size:
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if end + 4 > size:
            return None
        body = data[pos + 8:end]
        if zlib.crc32(data[pos + 4:end]) != struct.unpack_from(">I", data, end)[0]:
            return None
        if header is None:
            if kind != b"IHDR" or length != 13:
                return None
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        elif kind == b"PLTE":
            palette = True
        elif not kind[:1].islower() and kind not in (b"PLTE",):
            return None  # an unknown critical chunk
        pos = end + 4
    else:
        return None
    if header is None or not idat:
        return None
    width, height, depth, color, compression, filtering, interlace = header
    if depth != 8 or color not in (0, 3) or compression or filtering or interlace or \
            not width or not height or (color == 3 and not palette):
        return None
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        return None
    if len(raw) != height * (width + 1):
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, width + 1)
    if rows[:, 0].any():
        return None
    return rows[:, 1:]


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
        runs = _Runs(classes, instances)
        cls_of, inst_of = runs.values & 255, runs.values >> 8
        if classes is not None:
            top = int(cls_of[cls_of != VOID_INDEX].max(initial=0))
            if top >= len(self.names):
                raise DataError(f"class index {top} is not in the label map ({len(self.names)} "
                                f"labels, 0-{len(self.names) - 1})", file=display)
        voc = item.extra.setdefault("voc", {})
        found: list[Mask] = []
        if instances is not None:
            pairs = np.unique(runs.values).tolist()
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
                    name = self.names[cls]
                else:
                    name = objects[instance - 1].name if instance <= len(objects) else None
                group = 0
                if instance <= len(objects) and objects[instance - 1].name == name:
                    group = objects[instance - 1].box.group
                found.append(Mask(label=self.label_of.get(name) if name else None,
                                  group=group, rle=runs.rle(runs.values == code)))
            for cls in sorted(set(leftovers)):
                found.append(Mask(label=self.label_of[self.names[cls]],
                                  rle=runs.rle((cls_of == cls) & ((inst_of == 0) |
                                                                  (inst_of == VOID_INDEX)))))
            if (inst_of == VOID_INDEX).any():
                voc["void_object"] = runs.rle(inst_of == VOID_INDEX)
        else:
            present = np.unique(cls_of).tolist()
            for cls in present:
                if cls in (VOID_INDEX, self.background):
                    continue
                found.append(Mask(label=self.label_of[self.names[cls]],
                                  rle=runs.rle(cls_of == cls)))
        if classes is not None and (cls_of == VOID_INDEX).any():
            voc["void_class"] = runs.rle(cls_of == VOID_INDEX)
        if self.void_as_crowd and self.background is not None:
            self._void_to_crowd(voc, runs, classes is not None, instances is not None, found)
        voc["masks"] = {"class": class_rel is not None, "object": object_rel is not None}
        if item.image is not None and item.image.size is None:
            item.image.size = (int(shape[0]), int(shape[1]))
        elif item.image is None:
            from cococonv.model import Image
            item.image = Image(item.id + ".jpg", (int(shape[0]), int(shape[1])))
        item.annotations.extend(found)


    def _void_to_crowd(self, voc: dict, runs: _Runs, has_classes: bool, has_instances: bool,
                       found: list[Mask]) -> None:
        """The void region as a crowd mask of the background label (``--void-regions crowd``).

        The exporter paints a crowd region void in both PNGs; an object-PNG void that differs
        from the class-PNG one stays in ``extra["voc"]`` (VOC output only).
        """
        import numpy as np

        void = ((runs.values & 255) if has_classes else (runs.values >> 8)) == VOID_INDEX
        if not void.any():
            return
        found.append(Mask(label=self.label_of[self.names[self.background]],
                          attributes={"is_crowd": True}, rle=runs.rle(void)))
        voc.pop("void_class", None)
        if has_instances and "void_object" in voc and \
                np.array_equal((runs.values >> 8) == VOID_INDEX, void):
            voc.pop("void_object")


class _Runs:
    """The column-major runs of ``instance * 256 + class`` over an image, from which any
    union of (instance, class) codes is an RLE without touching the pixels again."""

    def __init__(self, classes: Any, instances: Any):
        import numpy as np

        # Keys are built row-major as uint16 and transposed once (cheaper than int64).
        if classes is not None and instances is not None:
            keys = instances.astype(np.uint16) << 8
            keys |= classes
        elif instances is not None:
            keys = instances.astype(np.uint16) << 8
        else:
            keys = classes
        self.height, self.width = keys.shape[0], keys.shape[1]
        flat = np.ascontiguousarray(keys.T).ravel()
        self.total = flat.size
        if flat.size:
            change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
            self.starts = np.concatenate((np.zeros(1, np.int64), change))
        else:
            self.starts = np.zeros(0, np.int64)
        self.values = flat[self.starts].astype(np.int64)

    def rle(self, selected: Any) -> dict:
        """Compressed RLE of the pixels of the runs where ``selected`` is true."""
        import numpy as np

        from cococonv import masks

        edges = np.flatnonzero(np.diff(np.concatenate(([0], selected.astype(np.int8), [0]))))
        positions = np.append(self.starts, self.total)[edges]
        counts = np.diff(np.concatenate(([0], positions, [self.total])))
        return masks.from_counts(counts, self.height, self.width)


# -- run-length painting and PNG writing ---------------------------------------------------
# Masks here are runs, not pixels: the layers are painted over the union of their RLE
# boundaries, the picture is materialised once (column-major, as RLE runs) only to find its
# row-major runs, and the PNG's deflate stream is written straight from those runs (one
# literal and distance-1 copies per run, fixed Huffman codes), as zlib's Z_RLE would, at a
# fraction of its cost. Later units cover earlier ones (callers sort by z_order); class 255
# paints void (crowd regions); void regions kept from a VOC source are painted last.

def paint_runs(height: int, width: int, units: list[tuple[Any, int, int | None]],
               void_class: dict | None, void_object: dict | None) -> tuple[Any, Any]:
    """Class and object PNG streams as ``(starts, values)`` runs of the row-major
    scanlines (each row led by its filter byte 0)."""
    import numpy as np

    from cococonv import masks

    n = height * width
    extra = [v for v in (void_class, void_object) if v is not None]
    decoded = masks.bounds_of_many([rle for rle, _cls, _inst in units] + extra)
    layers = decoded[:len(units)]
    rest = iter(decoded[len(units):])
    voids = [next(rest) if v is not None else None for v in (void_class, void_object)]
    points = np.concatenate([np.zeros(1, np.int64)] + decoded)
    points.sort()
    if points.size > 1:
        points = points[np.concatenate(([True], points[1:] != points[:-1]))]
    points = points[points < n] if n else points[:0]
    if points.size == 0:
        empty = (np.zeros(1, np.int64), np.zeros(1, np.uint8))
        return empty, empty
    rank = _top_layer(layers, points)
    cls_lut = np.array([0] + [c for _r, c, _i in units], dtype=np.int64)
    inst_lut = np.array([0] + [VOID_INDEX if c == VOID_INDEX else (i or 0)
                               for _r, c, i in units], dtype=np.int64)
    cls_vals, inst_vals = cls_lut[rank], inst_lut[rank]
    if voids[0] is not None:
        cls_vals[(np.searchsorted(voids[0], points, "right") & 1).astype(bool)] = VOID_INDEX
    if voids[1] is not None:
        inst_vals[(np.searchsorted(voids[1], points, "right") & 1).astype(bool)] = VOID_INDEX
    combos, codes = np.unique(np.concatenate(([0], cls_vals * 256 + inst_vals)),
                              return_inverse=True)
    codes = codes[1:]
    dtype = np.uint8 if combos.size <= 256 else np.uint16
    lengths = np.diff(np.append(points, n))
    picture = np.repeat(codes.astype(dtype), lengths).reshape(width, height)  # column-major
    # Row-major change points of the padded picture (h rows of filter byte + w pixels).
    row = width + 1
    changed = np.flatnonzero(picture[1:] != picture[:-1])
    xs, ys = changed // height + 1, changed % height
    first = np.flatnonzero(picture[0] != 0)
    last = np.flatnonzero(picture[width - 1] != 0)
    last = last[last < height - 1]
    positions = np.concatenate((ys * row + 1 + xs, first * row + 1, (last + 1) * row))
    values = np.concatenate((picture[xs, ys], picture[0, first],
                             np.zeros(last.size, dtype=dtype))).astype(np.int64)
    order = np.argsort(positions, kind="stable")
    positions = np.concatenate(([0], positions[order]))
    values = np.concatenate(([0], values[order]))
    out = []
    for lut in (combos >> 8, combos & 255):
        mapped = lut[values]
        keep = np.ones(mapped.size, dtype=bool)
        keep[1:] = mapped[1:] != mapped[:-1]
        out.append((positions[keep], mapped[keep].astype(np.uint8)))
    return out[0], out[1]


def _top_layer(layers: list[Any], points: Any) -> Any:
    """For each point, 1 + the index of the last layer covering it (0 for none); a layer
    covers a point when an odd number of its bounds are at or before it. All layers at
    once: every bound is one of the points (or past the last), so the counts are a
    cumulative sum of bound hits per (layer, point)."""
    import numpy as np

    size = points.size
    rank = np.zeros(size, dtype=np.int64)
    if not layers:
        return rank
    every = np.concatenate(layers)
    lens = np.array([b.size for b in layers], dtype=np.int64)
    steps = np.diff(every)
    joins = np.cumsum(lens)[:-1] - 1  # last bound of each layer but the last
    steps[joins[(joins >= 0) & (joins < steps.size)]] = 0
    if steps.size and (steps < 0).any():  # not sorted (never for valid RLE): one by one
        for k, bounds in enumerate(layers):
            rank[(np.searchsorted(bounds, points, "right") & 1).astype(bool)] = k + 1
        return rank
    column = np.searchsorted(points, every)
    layer = np.repeat(np.arange(lens.size, dtype=np.int64), lens)
    hits = np.bincount(layer * (size + 1) + column, minlength=lens.size * (size + 1))
    covered = np.cumsum(hits.reshape(lens.size, size + 1)[:, :size], axis=1) & 1
    covered *= np.arange(1, lens.size + 1, dtype=np.int64)[:, None]
    return covered.max(axis=0)


def _reverse(code: int, bits: int) -> int:
    return int(f"{code:0{bits}b}"[::-1], 2)


_TABLES: Any = None


def _tables() -> Any:
    """Fixed-Huffman codes (bit-reversed for LSB-first packing): literals, and copies of
    3..258 bytes at distance 1 (length code, extra bits, 5-bit distance code 0)."""
    global _TABLES
    if _TABLES is None:
        import numpy as np

        lit_code = np.zeros(256, np.int64)
        lit_bits = np.zeros(256, np.int64)
        for v in range(256):
            if v < 144:
                lit_code[v], lit_bits[v] = _reverse(0x30 + v, 8), 8
            else:
                lit_code[v], lit_bits[v] = _reverse(0x190 + v - 144, 9), 9
        bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67,
                 83, 99, 115, 131, 163, 195, 227, 258]
        extras = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]
        copy_code = np.zeros(259, np.int64)
        copy_bits = np.zeros(259, np.int64)
        for length in range(3, 259):
            index = max(i for i, base in enumerate(bases) if base <= length)
            if length == 258:
                index = 28
            symbol = 257 + index
            if symbol < 280:
                code, bits = _reverse(symbol - 256, 7), 7
            else:
                code, bits = _reverse(0xC0 + symbol - 280, 8), 8
            code |= (length - bases[index]) << bits
            copy_code[length] = code  # the 5 distance bits (code 0) are zeros
            copy_bits[length] = bits + extras[index] + 5
        _TABLES = (lit_code, lit_bits, copy_code, copy_bits)
    return _TABLES


def _pack_bits(codes: Any, bits: Any) -> bytes:
    """The codes (``bits[k]`` low bits of ``codes[k]``, at most 18) packed LSB-first.

    Codes occupy disjoint bit ranges, so each 32-bit word is the sum of the code parts
    falling in it; ``bincount``'s float64 sums stay exact below 2**53."""
    import numpy as np

    ends = np.cumsum(bits)
    total = int(ends[-1]) if ends.size else 0
    pos = ends - bits
    word = pos >> 5
    shifted = codes << (pos & 31)  # at most 18 + 31 bits
    words = (total + 31) // 32 + 1
    low = np.bincount(word, weights=(shifted & 0xFFFFFFFF).astype(np.float64),
                      minlength=words)
    high = np.bincount(word + 1, weights=(shifted >> 32).astype(np.float64),
                       minlength=words)
    packed = (low + high)[:words].astype(np.uint64).astype("<u4")
    return packed.tobytes()[:(total + 7) // 8]


def deflate_runs(starts: Any, values: Any, total: int) -> bytes:
    """A zlib stream of ``total`` bytes given as runs (``values[k]`` from ``starts[k]``)."""
    import numpy as np

    lit_code, lit_bits, copy_code, copy_bits = _tables()
    starts = np.asarray(starts, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    lengths = np.diff(np.append(starts, total))
    full, rest = np.divmod(lengths - 1, 258)
    tail = np.where(rest >= 3, 1, rest)
    per_run = 1 + full + tail
    first = np.cumsum(per_run) - per_run
    count = int(per_run.sum())
    codes = np.full(count, copy_code[258], np.int64)
    bits = np.full(count, copy_bits[258], np.int64)
    codes[first] = lit_code[values]
    bits[first] = lit_bits[values]
    copy = rest >= 3
    end = first + per_run - 1
    codes[end[copy]] = copy_code[rest[copy]]
    bits[end[copy]] = copy_bits[rest[copy]]
    for extra in (1, 2):
        runs = rest >= extra
        runs &= ~copy
        where = first[runs] + full[runs] + extra
        codes[where] = lit_code[values[runs]]
        bits[where] = lit_bits[values[runs]]
    # block header (final, fixed codes) + codes + end of block (7 zero bits)
    codes = np.concatenate(([3], codes, [0]))
    bits = np.concatenate(([3], bits, [7]))
    stream = _pack_bits(codes, bits)
    # Adler-32 from the runs: a = 1 + sum(d), b = n + sum((n - i) * d_i), mod 65521.
    mod = 65521
    lengths_mod = lengths % mod
    weights = (lengths_mod * ((total - starts) % mod) - (lengths * (lengths - 1) // 2) % mod) % mod
    a = (1 + int((values * lengths_mod % mod).sum())) % mod
    b = (total + int((values * weights % mod).sum())) % mod
    return b"\x78\x01" + stream + ((b << 16) | a).to_bytes(4, "big")


def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png_runs(runs: tuple[Any, Any], height: int, width: int,
                    palette: bytes | None) -> bytes:
    """An 8-bit palette PNG (grayscale when ``palette`` is None) from ``paint_runs`` runs."""
    import struct

    starts, values = runs
    kind = 3 if palette is not None else 0
    head = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
    plte = _chunk(b"PLTE", palette) if palette is not None else b""
    data = deflate_runs(starts, values, height * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + head + plte + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
