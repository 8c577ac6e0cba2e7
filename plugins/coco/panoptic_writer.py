"""Writing COCO panoptic: one PNG per image (segment id as R + 256 G + 256^2 B).

Each image's PNG is named by the record's own ``file_name`` when the source was panoptic
(so real panoptic sets come back byte for byte), else by the item id plus ``.png``, folders
kept as in the image name (``sub/ok.jpg`` -> ``panoptic_<subset>/sub/ok.png``; a backslash
is a separator like ``/``), as Datumaro writes them. Two images whose PNG would be one file
(``sub/ok`` and ``sub\\ok``, or a generated name equal to a source's) would overwrite each
other: the later one is written as ``<name>-2.png`` (``-3`` ...), counted and named in a
warning. Source names are claimed first, so they never move.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cococonv.errors import DataError
from cococonv.fileio import write_bytes
from cococonv.model import Item
from cococonv.paths import join_inside, safe_relpath
from cococonv.tailnames import TailNames

if TYPE_CHECKING:
    from .exporter import CocoWriter

_AREA_KINDS = ("polygon", "mask", "bbox", "ellipse")


class PanopticWriter:
    """Paints each item's area objects into a segment PNG and yields its record."""

    def __init__(self, writer: "CocoWriter", subset: str):
        self.writer = writer
        self.subset = subset
        self.folder = os.path.join(writer.out_dir, "annotations", f"panoptic_{subset}")
        self.claimed: set[str] = set()  # PNG paths inside the folder, normalised
        self.renamed: list[tuple[str, str]] = []
        self.tails = TailNames("panoptic PNG name")

    def records(self, items: list[Item], image_ids: list[Any]) -> Iterator[dict]:
        from .exporter import group_objects, object_task
        from . import tasks as T

        for item in items:
            name = (item.extra.get("coco_panoptic") or {}).get("file_name")
            if type(name) is str and name:
                self.claimed.add(safe_relpath(name, what="panoptic PNG file name"))
        for item, iid in zip(items, image_ids):
            objects = [obj for obj in group_objects(item)
                       if self.writer._route(object_task(obj, item)) == T.PANOPTIC
                       and any(type(a).kind in _AREA_KINDS for a in obj)]
            yield self._record(item, iid, objects)
        self._report_renamed()
        self.tails.report(self.writer.report)

    def _record(self, item: Item, iid: Any, objects: list) -> dict:
        import numpy as np
        from PIL import Image as PILImage

        from cococonv import masks
        from cococonv.geometry import rasterize

        from .grouping import area_shapes

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
            if self.writer.reindex or type(sid) is not int or not 0 < sid < 256 ** 3 or sid in used:
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
                self.writer.report.lost("panoptic segments", "fully covered by later segments", 1)
                continue
            extra = leader.extra
            bbox = extra.get("bbox")
            if bbox is None or "area" not in extra:
                bbox = masks.bbox(masks.encode(pixels))
            info: dict[str, Any] = {"id": sid,
                                    "category_id": self.writer._category(leader.label),
                                    "area": extra.get("area", area), "bbox": bbox,
                                    "iscrowd": 1 if leader.attributes.get("is_crowd") else 0}
            self.writer._finish(info, leader, "panoptic")
            infos.append(info)
        record_extra = dict(item.extra.get("coco_panoptic") or {})
        file_name = record_extra.pop("file_name", None) or self._png_name(item)
        rgb = np.stack([canvas % 256, (canvas // 256) % 256, canvas // 65536], axis=-1)
        out = io.BytesIO()
        PILImage.fromarray(rgb.astype(np.uint8), "RGB").save(out, "PNG")
        write_bytes(join_inside(self.folder, file_name, what="panoptic PNG file name"),
                    out.getvalue())
        record = {"image_id": iid, "file_name": file_name, "segments_info": infos}
        for key, value in record_extra.items():
            record.setdefault(key, value)
        return record

    def _png_name(self, item: Item) -> str:
        """``<id>.png`` (folders kept), or ``<id>-<n>.png`` when that file is taken."""
        stem = self.tails.relpath(item.id, what="panoptic PNG file name")
        name, n = f"{stem}.png", 1
        while name in self.claimed:
            n += 1
            name = f"{stem}-{n}.png"
        self.claimed.add(name)
        if n > 1:
            self.renamed.append((item.id, name))
        return name

    def _report_renamed(self) -> None:
        if not self.renamed:
            return
        item_id, name = self.renamed[0]
        report = self.writer.report
        report.warn(f"panoptic_{self.subset}: {len(self.renamed)} image(s) would share a "
                    f"segment PNG with another (e.g. {item_id!r}); written as {name!r} ...")
        report.approximated("panoptic PNG names shared by several images",
                            "written as <name>-<n>.png", len(self.renamed))
