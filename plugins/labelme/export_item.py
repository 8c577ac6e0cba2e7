"""The per-item phase of the LabelMe export: one item's JSON file.

``write_item`` runs in forked workers with ``--jobs``: it touches only the plan and its item
and returns what it counted, which ``finish`` adds up in item order.
"""
from __future__ import annotations

import base64
import io
import posixpath
from typing import Any

from cococonv.errors import DataError
from cococonv.fileio import dumps_json, write_bytes
from cococonv.foreign_fields import outline
from cococonv.images import is_image_head, probe_size, reencode
from cococonv.model import Caption, Item, Label
from cococonv.paths import join_inside

from .export_plan import LabelmePlan
from .export_shapes import FIELDS, ShapeWriter, Tally
from .shapes import NAMESPACE

#: The version written when the source gave none (LabelMe 5 reads it without a warning),
#: and the first version with oriented rectangles, for files that hold one.
VERSION = "5.5.0"
ORIENTED_VERSION = "6.2.0"

#: One item's result: its losses, its approximations and the label indices it used.
ItemResult = tuple[dict[str, int], dict[str, int], set[int]]


def write_item(plan: LabelmePlan, item: Item) -> ItemResult:
    """Write ``<subset>/<id>.json`` for one item."""
    tally = Tally()
    json_rel, image_rel = plan.paths(item)
    own = item.extra.get(NAMESPACE) or {}
    used: set[int] = set()
    next_group = max((ann.group for ann in item.annotations), default=0) + 1
    writer = ShapeWriter(plan.names, plan.keypoints, tally, next_group)
    shapes: list[dict[str, Any]] = []
    flags = dict.fromkeys(own.get("flags") or {}, False)  # false ones kept; labels set true
    for ann in sorted(item.annotations, key=lambda a: a.z_order):
        if ann.label is not None:
            used.add(ann.label)
        _count_extras(ann, tally)
        if isinstance(ann, Label):
            _flag(plan, ann, flags, tally)
            continue
        if isinstance(ann, Caption):
            tally.lose("captions")
            continue
        try:
            shapes.extend(writer.shapes(ann))
        except DataError as err:  # a mask that cannot be decoded: name the item
            raise err.located(where=f"item {item.id!r} of subset {item.subset!r}") from None
    if item.attributes:
        tally.lose("image attributes")
    if own.get("embedded") and not (plan.embed_images or plan.save_images):
        tally.lose("images only embedded in the source")
    _count_fields(item.extra, "image", tally)
    version = _version(own.get("version"), shapes)
    size = probe_size(item.image)
    json_dir = posixpath.dirname(json_rel)
    doc: dict[str, Any] = {
        "version": version,
        "flags": flags,
        "shapes": shapes,
        "imagePath": posixpath.relpath(image_rel, json_dir or "."),
        "imageData": _embedded(item, tally, plan.image_ext) if plan.embed_images else None,
        "imageHeight": size[0] if size else None,
        "imageWidth": size[1] if size else None,
    }
    for key, value in (own.get("keys") or {}).items():
        doc.setdefault(key, value)
    write_bytes(join_inside(plan.out, json_rel, what="item id"), dumps_json(doc, indent=True))
    return tally.lost, tally.approx, used


def _version(source: Any, shapes: list[dict[str, Any]]) -> str:
    """The source's version, else VERSION; at least ORIENTED_VERSION for a file holding an
    oriented rectangle (older LabelMe refuses the type)."""
    version = source if isinstance(source, str) and source else VERSION
    if any(shape["shape_type"] == "oriented_rectangle" for shape in shapes):
        major = version.split(".")[0]
        if not major.isdigit() or int(major) < 6:
            return ORIENTED_VERSION
    return version


def _flag(plan: LabelmePlan, ann: Label, flags: dict[str, bool], tally: Tally) -> None:
    if ann.label is None:
        tally.lose("image labels without a class")
        return
    flags[plan.names[ann.label]] = True
    if ann.attributes:
        tally.lose("image label attributes")


def _count_extras(ann: Any, tally: Tally) -> None:
    if ann.id is not None:
        tally.lose("annotation ids")
    if ann.z_order:
        tally.lose("z-order values")
    if ann.extra:
        _count_fields(ann.extra, "annotation", tally)


def _count_fields(extra: dict[str, Any], of: str, tally: Tally) -> None:
    for name in outline(extra, NAMESPACE):
        tally.lose(f"{FIELDS}{of}{FIELDS}{name}")


def _embedded(item: Item, tally: Tally, image_ext: str | None) -> str | None:
    """The image's bytes as base64 for ``imageData`` (null when there are none), in the
    format of ``image_ext`` when it changes the encoding (imagePath names that file)."""
    image = item.image
    if image is None or not image.has_data:
        tally.lose("embedded images")
        return None
    try:
        data = image.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the image to embed it ({exc})", file=image.name) from None
    if not is_image_head(data[:16], io.BytesIO(data)):
        tally.lose("embedded images of files that are no image")
        return None
    if image_ext and posixpath.splitext(image.name)[1].lower() != image_ext:
        data = reencode(image, image_ext, data)
    return base64.b64encode(data).decode("ascii")
