"""``yolo_meta.json``: what a YOLO dataset cannot say, written beside ``data.yaml``.

YOLO knows classes only by index and images only by their files. So that yolo -> coco
gives back the source's category ids, names, supercategories and keypoint names, and
items whose image was not copied keep their file name and size, the exporter writes
them here. Ultralytics never reads this file; cococonv reads it when present and goes by
the YOLO files alone when not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cococonv.errors import DataError

META_NAME = "yolo_meta.json"
MAX_META_BYTES = 1 << 30


@dataclass(slots=True)
class Meta:
    names: list[str] = field(default_factory=list)
    classes: list[dict[str, Any]] = field(default_factory=list)  # id, supercategory
    keypoints: dict[int, dict[str, Any]] = field(default_factory=dict)  # names, skeleton
    subsets: dict[str, str] = field(default_factory=dict)  # YAML key -> subset name
    images: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    task: str = ""


def read_meta(data: bytes, display: str) -> Meta:
    """The file's content, checked; DataError naming it when it is not what we write."""
    import msgspec

    if len(data) > MAX_META_BYTES:
        raise DataError("too large", file=display)
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise DataError(f"not valid JSON ({exc})", file=display) from None
    try:
        return _meta(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DataError(f"not a cococonv yolo meta file ({exc})", file=display) from None


def _meta(doc: Any) -> Meta:
    if not isinstance(doc, dict):
        raise TypeError("not an object")
    classes = doc.get("classes", [])
    if not isinstance(classes, list) or not all(isinstance(c, dict) and
                                                isinstance(c.get("name"), str)
                                                for c in classes):
        raise ValueError("classes must be a list of {name, id}")
    keypoints = {}
    for key, schema in dict(doc.get("keypoints", {})).items():
        names = schema["names"]
        skeleton = schema.get("skeleton", [])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError("keypoint names must be text")
        if not (isinstance(skeleton, list) and all(
                isinstance(e, list) and len(e) == 2 and all(type(v) is int for v in e)
                for e in skeleton)):
            raise ValueError("a skeleton is a list of [a, b] point numbers")
        keypoints[int(key)] = {"names": names, "skeleton": skeleton}
    subsets = doc.get("subsets", {})
    images = doc.get("images", {})
    if not (isinstance(subsets, dict) and all(isinstance(v, str) for v in subsets.values())):
        raise ValueError("subsets must map YAML keys to names")
    if not (isinstance(images, dict) and all(isinstance(v, dict) for v in images.values())):
        raise ValueError("images must map subsets to items")
    for per_subset in images.values():
        for record in per_subset.values():
            size = record.get("size")
            if size is not None and not (isinstance(size, list) and len(size) == 2 and
                                         all(type(v) is int and v > 0 for v in size)):
                raise ValueError("an image size is [height, width]")
    task = doc.get("task", "")
    return Meta([c["name"] for c in classes], classes, keypoints, subsets, images,
                task if isinstance(task, str) else "")


def dump_meta(meta: Meta) -> bytes:
    import orjson

    doc = {"format": "cococonv yolo meta 1", "task": meta.task,
           "classes": meta.classes,
           "keypoints": {str(k): v for k, v in sorted(meta.keypoints.items())},
           "subsets": meta.subsets, "images": meta.images}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
