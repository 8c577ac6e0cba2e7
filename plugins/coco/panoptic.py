"""COCO panoptic: segment PNGs (id = R + 256 G + 256^2 B) plus ``segments_info`` records.

Each segment becomes a Mask (compressed RLE) whose ``id`` is the segment id; the record's
``bbox``/``area`` and unknown keys stay in ``extra``. The PNG's file name and the record's
other keys stay on the item (``extra["coco_panoptic"]``) so a round trip rewrites them.
"""
from __future__ import annotations

import io
import posixpath
import warnings
from typing import TYPE_CHECKING, Any

from cococonv.errors import DataError
from cococonv.limits import LimitError, check_plane, check_png_header, use_our_pixel_limit
from cococonv.model import Mask
from cococonv.sources import FileTree

from .discovery import AnnotationFile
from .records import check_record
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


def _read_png(scope: CocoScope, source: AnnotationFile, file_name: str,
              where: str) -> "np.ndarray":
    import numpy as np
    from PIL import Image as PILImage

    tree = scope.tree
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
        raise scope.error(f"panoptic mask {file_name!r} not found (expected it in "
                           f"panoptic_{source.subset}/ beside the JSON)", where)
    try:
        check_png_header(data, f"panoptic mask {file_name!r}")
        use_our_pixel_limit(PILImage)
        with warnings.catch_warnings():  # the limit is ours (docs/limits.md), not Pillow's
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as png:
                check_plane(png.size[1], png.size[0], f"panoptic mask {file_name!r}")
                rgb = np.asarray(png.convert("RGB"), dtype=np.uint32)
    except LimitError as exc:
        raise scope.error(exc.message, where) from None
    except Exception as exc:  # PIL raises many types for broken images
        raise scope.error(f"panoptic mask {file_name!r} cannot be read ({exc})", where) from None
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def read_panoptic_annotations(scope: CocoScope, annotations: list,
                              source: AnnotationFile) -> None:
    for i, ann in enumerate(annotations):
        try:
            _read_one(scope, source, ann, i)
        except DataError as err:
            scope.report.bad_record(err)


def _read_one(scope: CocoScope, source: AnnotationFile, ann: Any, i: int) -> None:
    from cococonv import masks

    ann = check_record(scope, ann, i)
    item, height, width = scope.images.item_of(ann, i)
    segments = ann.pop("segments_info", None)
    if type(segments) is not list:
        raise scope.error("missing list 'segments_info'", f"annotations[{i}]")
    file_name = ann.get("file_name")
    if type(file_name) is not str or not file_name:
        raise scope.error("missing string 'file_name'", f"annotations[{i}]")
    ids = _read_png(scope, source, file_name, f"annotations[{i}].file_name")
    if height is not None and width is not None and ids.shape != (height, width):
        scope.report.warn(f"{scope.display}: annotations[{i}]: panoptic mask "
                           f"{file_name!r} is {ids.shape[0]}x{ids.shape[1]} but the image is "
                           f"{height}x{width}; the masks keep the PNG's size")
    found = []
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
        rle = masks.encode(ids == sid)
        found.append(Mask(id=sid, label=label, attributes=attrs, extra=seg, rle=rle))
    item.extra["coco_panoptic"] = ann
    item.annotations.extend(found)
