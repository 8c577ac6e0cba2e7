"""Writing COCO panoptic: one PNG per image (segment id as R + 256 G + 256^2 B), in the
export's workers; the PNG names are decided in the plan (panoptic_names.py).
"""
from __future__ import annotations

import io
from typing import Any

from cococonv.errors import DataError
from cococonv.fileio import write_bytes
from cococonv.model import Annotation, Item
from cococonv.paths import join_inside

from .grouping import area_shapes

from .record_maker import RecordMaker

AREA_KINDS = ("polygon", "mask", "bbox", "ellipse")


def panoptic_objects(objects: list[list[Annotation]]) -> list[list[Annotation]]:
    """The objects that paint a segment: those with an area shape or box."""
    return [obj for obj in objects if any(type(a).kind in AREA_KINDS for a in obj)]


def panoptic_record(maker: RecordMaker, item: Item, iid: Any, objects: list,
                    folder: str, png_name: str | None) -> dict:
    """Paint ``objects`` (the item's area objects routed to panoptic) into the item's
    segment PNG, write it into ``folder`` and return the item's record."""
    import numpy as np
    from PIL import Image as PILImage

    from cococonv import masks
    from cococonv.geometry import rasterize

    size = item.image.size if item.image is not None else None
    if size is None:
        for obj in objects:
            for ann in obj:
                if type(ann).kind == "mask":
                    size = tuple(ann.rle["size"])
                    break
            if size:
                break
    if size is None:
        if objects:
            raise DataError("image size unknown; panoptic PNGs need it", file=item.id)
        size = (1, 1)
    height, width = size
    canvas = np.zeros((height, width), dtype=np.uint32)
    segments = []
    used: set[int] = set()
    next_id = 1
    order = sorted(range(len(objects)), key=lambda k: (objects[k][0].z_order, k))
    for k in order:
        obj = objects[k]
        leader = obj[0]
        rle = rasterize(area_shapes(obj), height, width)
        if rle is None:
            continue
        sid = leader.id
        if maker.reindex or type(sid) is not int or not 0 < sid < 256 ** 3 or sid in used:
            while next_id in used:
                next_id += 1
            sid = next_id
        used.add(sid)
        pixels = masks.decode(rle).astype(bool)
        canvas[pixels] = sid
        segments.append((sid, leader))
    infos = []
    for sid, leader in segments:
        pixels = canvas == sid
        area = int(pixels.sum())
        if area == 0:
            maker.report.lost("panoptic segments", "fully covered by later segments", 1)
            continue
        extra = leader.extra
        bbox = leader.declared_bbox
        if leader.declared_area is not None:
            area = leader.declared_area
        elif "area" in extra:  # a null area the source declared, written as it was
            area = extra["area"]
        else:
            bbox = None
        if bbox is None:
            bbox = masks.bbox(masks.encode(pixels))
        info: dict[str, Any] = {"id": sid,
                                "category_id": maker.category(leader.label),
                                "area": area, "bbox": bbox,
                                "iscrowd": 1 if leader.attributes.get("is_crowd") else 0}
        maker.finish(info, leader, "panoptic")
        infos.append(info)
    record_extra = dict(item.extra.get("coco_panoptic") or {})
    file_name = record_extra.pop("file_name", None) or png_name
    rgb = np.stack([canvas % 256, (canvas // 256) % 256, canvas // 65536], axis=-1)
    out = io.BytesIO()
    PILImage.fromarray(rgb.astype(np.uint8), "RGB").save(out, "PNG")
    write_bytes(join_inside(folder, file_name, what="panoptic PNG file name"),
                out.getvalue())
    record = {"image_id": iid, "file_name": file_name, "segments_info": infos}
    for key, value in record_extra.items():
        record.setdefault(key, value)
    return record
