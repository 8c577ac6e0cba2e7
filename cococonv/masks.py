"""Mask arithmetic; the only module that imports pycocotools.

Conventions (those of pycocotools): pixels are 0-based, boxes ``[x, y, w, h]``, polygons
flat rings ``[x0, y0, x1, y1, ...]``, RLE ``{"size": [h, w], "counts": ...}`` runs over the
image in column-major (Fortran) order starting with a run of zeros. ``counts`` is a list of
ints (uncompressed) or a str (compressed); bytes from pycocotools are turned into str here
so nothing downstream ever writes bytes. pycocotools raises bare Exceptions and can crash
on bad input, so every function validates first and raises ValueError with a reason.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools import mask as _mask

from .limits import check_plane, check_rle_canvas, finite_coordinates
from .ring_area import ring_area

#: A compressed count has at most this many characters (60 bits: any image's run lengths;
#: pycocotools' decoder shifts past 64 bits, undefined in C, on longer ones).
MAX_COUNT_CHARS = 12


def _size(rle: dict[str, Any]) -> tuple[int, int]:
    size = rle.get("size")
    if type(size) is list and len(size) == 2:  # the common case, without a generator
        h, w = size
        if type(h) is int and type(w) is int and h >= 0 and w >= 0:
            return h, w
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in size)):
        raise ValueError(f"RLE size must be [height, width], got {size!r}")
    return int(size[0]), int(size[1])


def check_rle(rle: Any, height: int | None = None, width: int | None = None) -> None:
    """Raise ValueError unless ``rle`` is a readable RLE matching the image size."""
    if not isinstance(rle, dict):
        raise ValueError(f"RLE must be an object, got {type(rle).__name__}")
    h, w = _size(rle)
    if height is not None and width is not None and (h, w) != (height, width):
        raise ValueError(f"RLE size {h}x{w} (h x w) does not match the image {height}x{width}")
    check_rle_canvas(h, w)
    counts = rle.get("counts")
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise ValueError("RLE counts must be non-negative integers")
        total = sum(counts)
        if total != h * w:
            raise ValueError(f"RLE counts sum to {total}, expected height*width = {h * w}")
    elif isinstance(counts, (str, bytes)):
        if not counts and h * w:
            raise ValueError("RLE counts are empty")
        total = _checked_total(counts, h * w)
        if total != h * w:
            raise ValueError(f"compressed RLE counts sum to {total}, expected "
                             f"height*width = {h * w}")
    else:
        raise ValueError(f"RLE counts must be a list or a string, got {type(counts).__name__}")


#: Characters of compressed counts decoded per numpy pass by ``check_rle``: whatever the
#: string's length, the check holds ~15 MiB besides the string (a whole-string decode took
#: ~55 bytes a character: 1.1 GiB for 20 million).
_CHECK_CHUNK = 1 << 18


def _checked_total(counts: str | bytes, pixels: int) -> int:
    """The sum of the run lengths of a compressed counts string, decoded a chunk of whole
    values at a time (pycocotools' own decoder runs for minutes on a corrupt one); ValueError
    for text pycocotools would misread, or a run below 0 or above ``pixels``."""
    if isinstance(counts, str):
        try:
            counts = counts.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("compressed RLE counts must be ASCII") from None
    text = np.frombuffer(counts, dtype=np.uint8)
    if text.size and (text.min() < 48 or text.max() > 48 + 63):
        raise ValueError("compressed RLE counts hold a character outside '0'..'o'")
    if text.size and (int(text[-1]) - 48) & 0x20:
        raise ValueError("compressed RLE counts end in the middle of a run length")
    total, index, start = 0, 0, 0
    carry = [0, 0]  # the last decoded count of each parity: later counts are deltas
    while start < text.size:
        end = min(start + max(_CHECK_CHUNK, MAX_COUNT_CHARS + 1), text.size)
        if end < text.size:  # cut after the chunk's last complete value
            complete = np.flatnonzero(((text[start:end] - 48) & 0x20) == 0)
            end = start + int(complete[-1]) + 1 if complete.size else start
        chars = text[start:end].astype(np.int64) - 48
        ends = np.flatnonzero((chars & 0x20) == 0)
        if not ends.size or int(np.diff(ends, prepend=-1).max()) > MAX_COUNT_CHARS:
            raise ValueError(f"a compressed RLE run length is longer than {MAX_COUNT_CHARS} "
                             f"characters")
        values, _ends = _tokens(chars)
        position = index + np.arange(values.size)
        for parity in (1, 0):  # from the fourth count on, each adds the one two before
            chain = ((position & 1) == parity) & (position >= 2 - parity)
            if chain.any():
                values[chain] = np.cumsum(values[chain]) + carry[parity]
                carry[parity] = int(values[chain][-1])
        if int(values.min()) < 0 or int(values.max()) > pixels:
            raise ValueError("compressed RLE counts decode to a run length outside the image")
        total += int(values.sum())
        index += values.size
        start = end
    return total


def _compressed(rle: dict[str, Any]) -> dict[str, Any]:
    """The pycocotools C form: counts as bytes."""
    counts = rle["counts"]
    h, w = _size(rle)
    if isinstance(counts, list):
        return _mask.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    if isinstance(counts, str):
        counts = counts.encode("ascii")
    return {"size": [h, w], "counts": counts}


def _public(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": counts}


def compress(rle: dict[str, Any]) -> dict[str, Any]:
    """Any RLE as compressed RLE with str counts."""
    return _public(_compressed(rle))


def uncompress(rle: dict[str, Any]) -> dict[str, Any]:
    """Any RLE as uncompressed RLE with list counts (as COCO writes crowd regions)."""
    if isinstance(rle["counts"], list):
        return {"size": list(_size(rle)), "counts": list(rle["counts"])}
    return encode_uncompressed(decode(rle))


def polygons_to_rle(rings: Sequence[Sequence[float]], height: int, width: int) -> dict[str, Any]:
    """Rasterise polygon rings (their union) into one compressed RLE."""
    rles = polygons_to_rles(rings, height, width)
    if not rles and height * width:
        check_rle_canvas(height, width)
        return from_counts([height * width], height, width)  # empty, without its pixels
    if not rles:
        return encode(np.zeros((height, width), dtype=np.uint8))
    return rles[0] if len(rles) == 1 else merge(rles)


def area(rle: dict[str, Any]) -> int:
    """Pixel count of a mask."""
    return int(_mask.area(_compressed(rle)))


def bbox(rle: dict[str, Any]) -> list[float]:
    """Tight ``[x, y, w, h]`` of a mask (zeros for an empty mask)."""
    return [float(v) for v in _mask.toBbox(_compressed(rle))]


def polygons_area(rings: Sequence[Sequence[float]], height: int, width: int) -> int:
    """Pixel area of polygon rings as pycocotools rasterises them (COCO's ``area``).

    A lone ring is counted by the compiled rasteriser without building its RLE (most of
    a yolo -> coco run went to frPyObjects and the RLE strings); rings it refuses (bad or
    long-walked ones) and unions of rings take pycocotools' path, which says what is
    wrong."""
    found = ring_area(rings, height, width)
    return area(polygons_to_rle(rings, height, width)) if found is None else found


def merge(rles: Sequence[dict[str, Any]], *, intersect: bool = False) -> dict[str, Any]:
    """Union (or intersection) of masks of one size."""
    return _public(_mask.merge([_compressed(r) for r in rles], intersect=intersect))


def decode(rle: dict[str, Any]) -> np.ndarray:
    """A ``(h, w)`` uint8 array of 0/1 (LimitError above MAX_MASK_PIXELS)."""
    h, w = _size(rle)
    check_plane(h, w)
    return _mask.decode(_compressed(rle))


def encode(array: np.ndarray) -> dict[str, Any]:
    """Compressed RLE of a 2-D 0/1 array."""
    return _public(_mask.encode(np.asfortranarray(array.astype(np.uint8, copy=False))))


def encode_uncompressed(array: np.ndarray) -> dict[str, Any]:
    """Uncompressed (list counts) RLE of a 2-D 0/1 array, as COCO stores crowd regions."""
    flat = np.asarray(array, dtype=np.uint8).ravel(order="F")
    h, w = array.shape[:2]
    if flat.size == 0:
        return {"size": [h, w], "counts": [0]}
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0] == 1:
        runs.insert(0, 0)
    return {"size": [h, w], "counts": runs}


def iou(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(_mask.iou([_compressed(a)], [_compressed(b)], [0])[0][0])


# -- batch and run-length helpers (vectorised; used by the VOC mask painter and reader) -----
def polygons_to_rles(rings: Sequence[Sequence[float]], height: int,
                     width: int) -> list[dict[str, Any]]:
    """Each ring rasterised on its own (same result per ring as
    ``polygons_to_rle([ring], ...)``), exactly as pycocotools' ``frPyObjects`` does.

    Memory follows the image, not the coordinates: pycocotools walks every edge in steps of
    a fifth of a pixel, so rings it would walk far outside the image (or overflow on) are
    rasterised by ``cococonv.rings``, which computes only the steps inside. Coordinates
    must be finite (LimitError otherwise, as for an image too big for an RLE).
    """
    checked = [finite_coordinates(r) for r in rings]
    for ring in checked:
        if len(ring) < 6 or len(ring) % 2:
            raise ValueError(f"a polygon needs an even number of at least 6 coordinates, "
                             f"got {len(ring)}")
    if not checked:
        return []
    check_rle_canvas(height, width)
    out: list[Any] = [None] * len(checked)
    walked = [k for k, ring in enumerate(checked) if _short_walk(ring, height, width)]
    if walked:
        found = _mask.frPyObjects([checked[k] for k in walked], height, width)
        for k, rle in zip(walked, found):
            out[k] = _public(rle)
    if len(walked) < len(checked):
        from .rings import ring_to_counts
        for k, ring in enumerate(checked):
            if out[k] is None:
                out[k] = from_counts(ring_to_counts(ring, height, width), height, width)
    return out


#: pycocotools allocates 16 bytes per fifth of a pixel along a ring; above this many
#: steps (32 MiB) the ring goes to cococonv.rings instead.
_MAX_WALK = 1 << 21


def _short_walk(ring: list[float], height: int, width: int) -> bool:
    """Whether pycocotools walks the ring in few steps and within its 32-bit arithmetic
    (bounded by the ring's box: each edge is at most its larger side)."""
    xs, ys = ring[0::2], ring[1::2]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if height * width >= 1 << 31 or min(x0, y0) < -(1 << 26) or max(x1, y1) > 1 << 26:
        return False
    return len(xs) * (5 * max(x1 - x0, y1 - y0) + 2) <= _MAX_WALK


def counts_of(rle: dict[str, Any]) -> np.ndarray:
    """The run lengths of any RLE as an int64 array (compressed strings decoded in numpy,
    exactly as pycocotools' ``rleFrString``)."""
    counts = rle["counts"]
    if isinstance(counts, list):
        return np.asarray(counts, dtype=np.int64)
    if isinstance(counts, str):
        counts = counts.encode("ascii")
    chars = np.frombuffer(counts, dtype=np.uint8).astype(np.int64) - 48
    if chars.size == 0:
        return np.zeros(0, dtype=np.int64)
    values, _ends = _tokens(chars)
    if values.size > 3:
        values[3::2] = np.cumsum(values[1::2])[1:]
        values[4::2] = np.cumsum(values[2::2])[1:]
    return values


def _tokens(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The signed 5-bit-group values of compressed RLE characters (minus 48), before the
    delta decoding, and the index of each value's last character."""
    ends = np.flatnonzero((chars & 0x20) == 0)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    sizes = ends - starts + 1
    shift = 5 * (np.arange(chars.size) - np.repeat(starts, sizes))
    values = np.add.reduceat((chars & 0x1F) << shift, starts)
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * sizes[negative])
    return values, ends


def from_counts(counts: Sequence[int] | np.ndarray, height: int, width: int) -> dict[str, Any]:
    """Compressed RLE (str counts) of run lengths that start with a run of zeros."""
    counts = np.asarray(counts, dtype=np.int64)
    return {"size": [height, width], "counts": counts_to_strings(counts, [counts.size])[0]}


def counts_to_strings(counts: np.ndarray, lengths: Sequence[int] | np.ndarray) -> list[str]:
    """The compressed RLE strings of many masks at once: ``counts`` holds each mask's run
    lengths one mask after another, ``lengths`` how many belong to each. Same characters as
    pycocotools' ``rleToString``: from the fourth count on, the difference to the count two
    before; each value in 5-bit groups, low first, with a continuation bit, plus 48."""
    counts = np.asarray(counts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    first = np.cumsum(lengths) - lengths
    local = np.arange(counts.size, dtype=np.int64) - np.repeat(first, lengths)
    values = counts.copy()
    later = np.flatnonzero(local > 2)
    values[later] -= counts[later - 2]
    # chars per value: the fewest 5-bit groups holding it in two's complement
    chars = np.ones(counts.size, dtype=np.int64)
    for groups in range(1, 13):
        limit = 1 << (5 * groups - 1)
        chars += (values < -limit) | (values >= limit)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), chars)
    ends = np.cumsum(chars)
    digit = np.arange(owner.size, dtype=np.int64) - (ends - chars)[owner]
    codes = (values[owner] >> (5 * digit)) & 0x1F
    codes |= np.where(digit < chars[owner] - 1, 0x20, 0)
    text = (codes + 48).astype(np.uint8).tobytes().decode("ascii")
    mask_ends = np.concatenate(([0], ends))[np.cumsum(lengths)].tolist()
    out, start = [], 0
    for end in mask_ends:
        out.append(text[start:end])
        start = end
    return out


def bounds_of_many(rles: Sequence[dict[str, Any]]) -> list[np.ndarray]:
    """``np.cumsum(counts_of(rle))`` for each RLE, the compressed strings decoded together
    in one numpy pass (same arithmetic as ``counts_of``; anything unusual, such as list
    counts or a string ending mid-value, goes through ``counts_of`` one by one)."""
    out: list[Any] = [None] * len(rles)
    texts: list[bytes] = []
    where: list[int] = []
    for k, rle in enumerate(rles):
        counts = rle["counts"]
        if isinstance(counts, str) and counts and counts.isascii():
            counts = counts.encode("ascii")
            if not (counts[-1] - 48) & 0x20:
                texts.append(counts)
                where.append(k)
                continue
        out[k] = np.cumsum(counts_of(rle))
    if texts:
        chars = np.frombuffer(b"".join(texts), dtype=np.uint8).astype(np.int64) - 48
        values, ends = _tokens(chars)
        # tokens per string (every string ends on a complete value)
        char_ends = np.cumsum([len(t) for t in texts])
        tokens = np.searchsorted(ends, char_ends - 1, "right")
        first = np.concatenate(([0], tokens[:-1]))
        size = tokens - first
        local = np.arange(values.size) - np.repeat(first, size)
        # delta chains: value m > 2 adds decoded value m - 2 of its own string, so each
        # parity of m >= 1 is a running sum restarted at every string (segmented cumsum)
        starts = values[first]
        decoded = np.empty_like(values)
        for parity in (1, 0):
            picked = (local & 1) == parity
            picked[first] = False
            sums = np.cumsum(np.where(picked, values, 0))
            before = np.repeat(sums[first], size)  # running sum at each string's start
            decoded[picked] = (sums - before)[picked]
        decoded[first] = starts
        sums = np.cumsum(decoded)
        bounds = sums - np.repeat(sums[first] - decoded[first], size)
        for j, k in enumerate(where):
            out[k] = bounds[first[j]:tokens[j]]
    return out
