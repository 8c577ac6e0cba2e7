"""Instance-id masks written by the png_masks exporter (``--mask-kind instance``).

Each object (the shapes of one group, or a shape alone) gets an id: the one a png_masks
source read for it, else the lowest free one, in annotation order. The mask value is the id alone (8-bit, ``--instance-divisor 0``) or ``class * N +
id`` (Cityscapes' instanceIds with N = 1000; 16-bit when a value passes 255), 255 void.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

VOID = 255


def most_objects(divisor: int) -> int:
    """How many objects one image may number: 254 (the painter's instance plane), and
    below the divisor (an id must not reach the next class)."""
    return min(254, divisor - 1) if divisor else 254


def assign_instances(shapes: list[Any], divisor: int, tally: Counter) -> dict[int, int]:
    """``id(shape)`` -> its object's id, for the shapes that are not crowd regions: the id
    a png_masks source read for it when that one is free, else the lowest free one."""
    from .importer import NAMESPACE

    limit = most_objects(divisor)
    objects: dict[Any, list[Any]] = {}  # one key per object: its group, or the shape
    for shape in shapes:
        if not shape.attributes.get("is_crowd"):
            objects.setdefault(shape.group or ("shape", id(shape)), []).append(shape)
    number_of: dict[Any, int] = {}
    for key, members in objects.items():
        given = members[0].extra.get(NAMESPACE, {}).get("instance")
        if type(given) is int and 0 < given <= limit and given not in number_of.values():
            number_of[key] = given
    free = (n for n in range(1, limit + 1) if n not in set(number_of.values()))
    found: dict[int, int] = {}
    for key, members in objects.items():
        number = number_of.get(key)
        if number is None:
            number = number_of[key] = next(free, 0)
        if not number:
            tally[("lost", "masks and polygons of objects past the id limit",
                   f"an image's instance mask numbers at most {limit} objects")] += len(members)
            continue
        if len(members) > 1:
            tally[("approximated", "masks", "joined with the other shapes of their "
                   "object")] += len(members) - 1
        for shape in members:
            found[id(shape)] = number
    return found


def instance_png(classes: Any, objects: Any, height: int, width: int, divisor: int) -> bytes:
    """The PNG of the painted planes' instance values (scanlines with a filter byte)."""
    import io

    import numpy as np
    from PIL import Image as PILImage

    from cococonv.raster.png import encode_index_png

    if not divisor:
        return encode_index_png(objects, height, width, None)
    cls = np.frombuffer(classes, dtype=np.uint8).reshape(height, width + 1)[:, 1:]
    obj = np.frombuffer(objects, dtype=np.uint8).reshape(height, width + 1)[:, 1:]
    plane = cls.astype(np.uint32) * divisor + np.where(obj == VOID, 0, obj)
    plane[cls == VOID] = VOID
    if int(plane.max(initial=0)) <= 255:
        rows = np.zeros((height, width + 1), np.uint8)
        rows[:, 1:] = plane
        return encode_index_png(rows.tobytes(), height, width, None)
    out = io.BytesIO()
    PILImage.fromarray(plane.astype(np.uint16)).save(out, "PNG")
    return out.getvalue()
