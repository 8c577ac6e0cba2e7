"""COCO panoptic: segment PNGs (id = R + 256 G + 256^2 B) plus ``segments_info`` records.

Each segment becomes a Mask (compressed RLE) whose ``id`` is the segment id; the record's
``bbox``/``area`` become the mask's declared box and area, unknown keys stay in ``extra``.
The PNG's file name and the record's other keys stay on the item
(``extra["coco_panoptic"]``) so a round trip rewrites them.
The PNGs, the heavy part, are decoded and encoded by the run's engine (``--jobs``).
"""
from __future__ import annotations

import copy
import io
import posixpath
import warnings
from typing import TYPE_CHECKING, Any

from cococonv.errors import DataError
from cococonv.limits import LimitError, check_plane, check_png_header, use_our_pixel_limit
from cococonv.model import Mask
from cococonv.sources import FileTree, Tree

from .discovery import AnnotationFile
from .records import RunMap, check_record
from .scope import CocoScope

if TYPE_CHECKING:
    import numpy as np


def _png_candidates(source: AnnotationFile, file_name: str) -> list[str]:
    folder = posixpath.dirname(source.rel)
    stem = posixpath.splitext(posixpath.basename(source.rel))[0]
    names = [f"panoptic_{source.subset}/{file_name}", f"{stem}/{file_name}", file_name]
    found = []
    for name in names:
        found.append(f"{folder}/{name}" if folder else name)
        if folder:
            found.append(name)
    return found


class PngPlan:
    """What a worker needs to decode one file's PNGs: the input and the annotation file."""

    __slots__ = ("tree", "source")

    def __init__(self, tree: Tree, source: AnnotationFile):
        self.tree, self.source = tree, source


class _Unreadable(Exception):
    """A PNG that is missing or broken: the message of its error line."""


def _read_png(plan: PngPlan, file_name: str) -> "np.ndarray":
    import numpy as np
    from PIL import Image as PILImage

    tree, source = plan.tree, plan.source
    data = None
    if isinstance(tree, FileTree):
        if tree.base is not None:  # read only inside the input root (DirTree refuses '..')
            for rel in _png_candidates(source, file_name):
                rel = posixpath.basename(rel) if rel == file_name else rel
                if tree.base.exists(rel):
                    data = tree.base.read_bytes(rel)
                    break
    else:
        for rel in _png_candidates(source, file_name):
            if tree.exists(rel):
                data = tree.read_bytes(rel)
                break
    if data is None:
        raise _Unreadable(f"panoptic mask {file_name!r} not found (expected it in "
                          f"panoptic_{source.subset}/ beside the JSON)")
    try:
        check_png_header(data, f"panoptic mask {file_name!r}")
        use_our_pixel_limit(PILImage)
        with warnings.catch_warnings():  # the limit is ours (docs/limits.md), not Pillow's
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as png:
                check_plane(png.size[1], png.size[0], f"panoptic mask {file_name!r}")
                rgb = np.asarray(png.convert("RGB"), dtype=np.uint32)
    except LimitError as exc:
        raise _Unreadable(exc.message) from None
    except Exception as exc:  # PIL raises many types for broken images
        raise _Unreadable(f"panoptic mask {file_name!r} cannot be read ({exc})") from None
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def decode_segments(plan: PngPlan, entry: tuple[str, list[int]]) -> tuple[Any, Any]:
    """The engine's per-record function: one PNG to ``(shape, {segment id: RLE})`` for the
    record's integer segment ids, or ``(None, message)`` when the PNG cannot be read.
    Pure, so a worker's answer is the parent's; the records are checked in the parent."""
    from cococonv import masks

    file_name, segment_ids = entry
    try:
        ids = _read_png(plan, file_name)
    except _Unreadable as problem:
        return None, str(problem)
    return ids.shape, {sid: masks.encode(ids == sid) for sid in segment_ids}


def _png_entry(ann: Any) -> tuple[str, list[int]] | None:
    """What to decode for a record that gets as far as its PNG; None when it cannot."""
    if type(ann) is not dict:
        return None
    segments, file_name = ann.get("segments_info"), ann.get("file_name")
    if type(segments) is not list or type(file_name) is not str or not file_name:
        return None
    return file_name, list(dict.fromkeys(
        seg["id"] for seg in segments if type(seg) is dict and type(seg.get("id")) is int))


def read_panoptic_annotations(scope: CocoScope, annotations: list, source: AnnotationFile,
                              run_map: RunMap) -> None:
    """Read the records in order; their PNGs are decoded by ``run_map`` (the run's engine),
    planned before any record is touched, so every value of --jobs gives the same dataset."""
    entries = [_png_entry(ann) for ann in annotations]
    plan = PngPlan(scope.tree, source)
    decoded = iter(run_map(decode_segments, plan, [e for e in entries if e is not None]))
    for i, ann in enumerate(annotations):
        segments = next(decoded) if entries[i] is not None else None
        try:
            _read_one(scope, plan, ann, i, segments)
        except DataError as err:
            scope.report.bad_record(err)


def _read_one(scope: CocoScope, plan: PngPlan, ann: Any, i: int,
              decoded: tuple[Any, Any] | None) -> None:
    ann = check_record(scope, ann, i)
    item, height, width = scope.images.item_of(ann, i)
    segments = ann.pop("segments_info", None)
    if type(segments) is not list:
        raise scope.error("missing list 'segments_info'", f"annotations[{i}]")
    file_name = ann.get("file_name")
    if type(file_name) is not str or not file_name:
        raise scope.error("missing string 'file_name'", f"annotations[{i}]")
    assert decoded is not None  # planned by _png_entry, whose checks are the ones above
    shape, rles = decoded
    if shape is None:
        raise scope.error(rles, f"annotations[{i}].file_name")
    if height is not None and width is not None and shape != (height, width):
        scope.report.warn(f"{scope.display}: annotations[{i}]: panoptic mask "
                          f"{file_name!r} is {shape[0]}x{shape[1]} but the image is "
                          f"{height}x{width}; the masks keep the PNG's size")
    found = []
    used: set[int] = set()
    for j, seg in enumerate(segments):
        where = f"annotations[{i}].segments_info[{j}]"
        if type(seg) is not dict:
            raise scope.error("must be an object", where)
        sid = seg.pop("id", None)
        if type(sid) is not int:
            raise scope.error(f"segment id must be an integer, got {sid!r}", where + ".id")
        label = scope.labels.label_of(seg, j, where=where + ".category_id")
        if label is None:
            raise scope.error("missing key 'category_id'", where)
        crowd = seg.pop("iscrowd", 0)
        attrs: dict[str, Any] = {"is_crowd": bool(crowd)}
        if "attributes" in seg and type(seg["attributes"]) is dict:
            attrs.update(seg.pop("attributes"))
        seg["coco_task"] = "panoptic"
        rle = rles[sid] if sid not in used else copy.deepcopy(rles[sid])  # one RLE a mask
        used.add(sid)
        bbox = seg.pop("bbox") if seg.get("bbox") is not None else None  # a null one stays
        area = seg.pop("area") if seg.get("area") is not None else None
        found.append(Mask(id=sid, label=label, attributes=attrs, extra=seg, rle=rle,
                          declared_bbox=bbox, declared_area=area))
    item.extra["coco_panoptic"] = ann
    item.annotations.extend(found)
