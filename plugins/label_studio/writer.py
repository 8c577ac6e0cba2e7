"""One item as a Label Studio task: each annotator's (and each prediction's) annotations
as one annotation record, regions in percent of the image, attributes as per-region
controls, groups as ``parentID``, masks as brush RLE. Runs in workers under --jobs."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from cococonv.fileio import dumps_json
from cococonv.foreign_fields import outline
from cococonv.images import probe_size
from cococonv.model import (Annotation, Bbox, Caption, Ellipse, Item, Label, Mask, Points,
                            Polygon, Polyline)

from .config import CAPTION_CONTROL, CONTROLS, IMAGE_NAME, RESERVED, TAGS_CONTROL
from .images import task_image
from .reader import NAMESPACE
from .results import relations_of

#: Attributes the region itself holds (geometry, score, its record, links).
OWN_ATTRIBUTES = {"rotation", "score", "annotator", "relations", "other_labels"}
SHAPE_KINDS = (Bbox, Polygon, Polyline, Points, Ellipse, Mask)


class TaskPiece:
    """What one item gives ``finish``: its task's JSON, what it lost, what it used."""

    __slots__ = ("subset", "data", "has_id", "lost", "approximated", "kinds", "attributes",
                 "tags", "captions", "fields")

    def __init__(self, subset: str):
        self.subset = subset
        self.data = b""
        self.has_id = False
        self.lost: Counter[tuple[str, str]] = Counter()
        self.approximated: Counter[tuple[str, str]] = Counter()
        self.kinds: set[tuple[str, str]] = set()  # (region kind, control name)
        self.attributes: dict[str, str] = {}
        self.tags: set[str] = set()  # image-level Choices controls used
        self.captions: set[str] = set()  # image-level TextArea controls used
        #: ``foreign_fields.outline`` names of the extras no task holds, "image" or
        #: "annotation" first: judged in ``finish``, which knows the run's namespaces
        self.fields: Counter[tuple[str, str]] = Counter()


def _own(obj: Any) -> dict[str, Any]:
    got = obj.extra.get(NAMESPACE)
    return got if isinstance(got, dict) else {}


def write_task(plan: Any, item: Item) -> TaskPiece:
    piece = TaskPiece(item.subset)
    own = _own(item)
    task: dict[str, Any] = dict(own.get("task") or {})
    key = own.get("key") or IMAGE_NAME
    data = {key: task_image(plan, item, own), **(own.get("data") or {})}
    if key != IMAGE_NAME:  # the written config reads $image
        data[IMAGE_NAME] = data.pop(key)
    task["data"] = data
    size = probe_size(item.image)
    records = own.get("records") or {}
    out: dict[str, list[dict]] = {"annotations": [dict(r) for r in records.get(
        "annotations", []) if isinstance(r, dict)], "predictions": [
        dict(r) for r in records.get("predictions", []) if isinstance(r, dict)]}
    by_record: dict[tuple[str, int], list[Annotation]] = {}
    piece.fields.update(("image", name) for name in outline(item.extra, NAMESPACE))
    for ann in item.annotations:
        if size is None and isinstance(ann, SHAPE_KINDS):
            piece.lost[("annotations", "no image size to turn pixels into percent")] += 1
            continue
        if ann.extra and not (type(ann) is Label and ann.label is None):  # lost whole
            piece.fields.update(("annotation", name) for name in outline(ann.extra, NAMESPACE))
        by_record.setdefault(_record_of(ann, out), []).append(ann)
    for (field, index), anns in by_record.items():
        while len(out[field]) <= index:
            out[field].append(_new_record(anns[0]))
        out[field][index]["result"] = _results(plan, anns, size, piece)
    for field in out:
        for record in out[field]:
            record.setdefault("result", [])
            record.pop("_new", None)
    for field, index, record in sorted(_raw_records(records), key=lambda r: r[1]):
        out[field].insert(min(index, len(out[field])), record)
    task["annotations"] = out["annotations"]
    task["predictions"] = out["predictions"]
    meta = {k: v for k, v in item.attributes.items() if type(v) in (int, float, str, bool)}
    if len(meta) < len(item.attributes):
        piece.lost[("item attributes", "only numbers, text and booleans fit a task's meta")] \
            += len(item.attributes) - len(meta)
    if meta:
        task["meta"] = {**(task.get("meta") or {}), **meta}
    piece.has_id = "id" in task
    piece.data = dumps_json(task)
    return piece


def _raw_records(records: dict) -> list[tuple[str, int, dict]]:
    """The records read as they were (cancelled; predictions without --predictions)."""
    return [(r[0], r[1], r[2]) for r in records.get("raw", []) if type(r) is list and
            len(r) == 3 and r[0] in ("annotations", "predictions") and type(r[1]) is int and
            isinstance(r[2], dict)]


def _record_of(ann: Annotation, out: dict[str, list]) -> tuple[str, int]:
    """The annotation record an annotation goes to: the one it was read from, else the
    one of its annotator (created after the records read)."""
    own = _own(ann)
    for field in ("annotations", "predictions"):
        index = own.get(field)
        if type(index) is int and 0 <= index < len(out[field]):
            return field, index
    who = ann.attributes.get("annotator")
    for k, record in enumerate(out["annotations"]):
        if record.get("completed_by", None) == who and record.get("_new"):
            return "annotations", k
    record = {"_new": True}
    if type(who) in (int, str):
        record["completed_by"] = who
    out["annotations"].append(record)
    return "annotations", len(out["annotations"]) - 1


def _new_record(ann: Annotation) -> dict:
    who = ann.attributes.get("annotator")
    return {"completed_by": who} if type(who) in (int, str) else {}


class _Ids:
    """Region ids: the ones read back where unique, else new ones (``r1``, ``r2``...)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.n = 0

    def take(self, wanted: Any) -> str:
        if type(wanted) is str and wanted and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        while True:
            self.n += 1
            rid = f"r{self.n}"
            if rid not in self.taken:
                self.taken.add(rid)
                return rid


def _results(plan: Any, anns: list[Annotation], size: tuple[int, int] | None,
             piece: TaskPiece) -> list[dict]:
    ids, results = _Ids(), []
    tags: dict[tuple[str, Any], list[str]] = {}  # (control, result id) -> choices
    captions: dict[tuple[str, Any], list[str]] = {}  # (control, result id) -> texts
    regions: list[tuple[Annotation, list[dict]]] = []
    for ann in anns:
        if isinstance(ann, Label):
            if ann.label is not None:
                tags.setdefault(_control(ann, TAGS_CONTROL), []).append(plan.labels[ann.label])
            else:  # a classification answer without a class (RedBrick)
                piece.lost[("image labels without a class", "a Label Studio choice needs a "
                                                            "label")] += 1
        elif isinstance(ann, Caption):
            captions.setdefault(_control(ann, CAPTION_CONTROL), []).append(ann.caption)
        else:
            regions.append((ann, _shape(plan, ann, size, ids, piece)))  # type: ignore[arg-type]
    roots = _group_roots(regions)
    by_ann: dict[int, str] = {}
    for ann, shapes in regions:
        if not shapes:
            continue
        first = shapes[0]["id"]
        by_ann[id(ann)] = first
        parent = roots.setdefault(ann.group, first) if ann.group else None
        for k, shape in enumerate(shapes):
            link = parent if parent != shape["id"] else None
            if link is None and k:
                link = first
            if link is not None:
                shape["parentID"] = link
        results += shapes
        results += _attributes(ann, first, size, piece)
    results += _relations(regions, by_ann, piece)
    for (kind, key, found, used) in (("choices", "choices", tags, piece.tags),
                                     ("textarea", "text", captions, piece.captions)):
        for (control, rid), values in found.items():
            used.add(control)
            results.append({"id": ids.take(rid), "type": kind, "from_name": control,
                            "to_name": IMAGE_NAME, **_sized(size), "value": {key: values}})
    return results


def _control(ann: Annotation, default: str) -> tuple[str, Any]:
    """The image-level control (and result id) an image label or caption was read from."""
    own = _own(ann)
    name = own.get("from")
    if type(name) is not str or not name or name in RESERVED - {TAGS_CONTROL, CAPTION_CONTROL}:
        name = default
    return name, own.get("id")


def _group_roots(regions: list[tuple[Annotation, list[dict]]]) -> dict[int, str]:
    """Each group's root region: the one the source had as the parent of the others
    (read back as ``parent``), else the group's first region."""
    roots: dict[int, str] = {}
    written = {shape["id"] for _, shapes in regions for shape in shapes}
    for ann, _shapes in regions:
        parent = _own(ann).get("parent")
        if ann.group and type(parent) is str and parent in written:
            roots.setdefault(ann.group, parent)
    return roots


def _base(plan: Any, ann: Annotation, kind: str, rid: str, size: tuple[int, int],
          value: dict, piece: TaskPiece) -> dict:
    tag, control = CONTROLS[kind]
    own = _own(ann).get("result")
    result = dict(own) if isinstance(own, dict) else {}
    kept = result.get("from_name")
    if type(kept) is str and kept and kept not in RESERVED and not kept.startswith("_"):
        control = kept  # the source's control name, declared so in the written config
    piece.kinds.add((kind, control))
    names = [plan.labels[ann.label]] if ann.label is not None else []
    other = ann.attributes.get("other_labels")
    if type(other) is str and other:
        names += other.split(", ")
    value[tag.lower()] = names
    result.pop("value", None)
    result.update({"id": rid, "type": tag.lower(), "from_name": control,
                   "to_name": IMAGE_NAME, **_sized(size), "value": value})
    score = ann.attributes.get("score")
    if type(score) in (int, float):
        result["score"] = score
    return result


def _pct(value: float, side: int) -> float:
    return value * 100.0 / side


def _shape(plan: Any, ann: Annotation, size: tuple[int, int], ids: _Ids,
           piece: TaskPiece) -> list[dict]:
    h, w = size
    own = _own(ann)
    if isinstance(ann, Bbox):
        rotation = ann.attributes.get("rotation")
        rotation = float(rotation) if type(rotation) in (int, float) and \
            math.isfinite(rotation) else 0.0
        x, y = ann.x, ann.y
        if rotation:
            a = math.radians(rotation)
            cx, cy = ann.x + ann.w / 2, ann.y + ann.h / 2
            x = cx - ann.w / 2 * math.cos(a) + ann.h / 2 * math.sin(a)
            y = cy - ann.w / 2 * math.sin(a) - ann.h / 2 * math.cos(a)
        value = {"x": _pct(x, w), "y": _pct(y, h), "width": _pct(ann.w, w),
                 "height": _pct(ann.h, h), "rotation": rotation}
        return [_base(plan, ann, "bbox", ids.take(own.get("id")), size, value, piece)]
    if isinstance(ann, (Polygon, Polyline)):
        pts = ann.points
        value = {"points": [[_pct(pts[i], w), _pct(pts[i + 1], h)]
                            for i in range(0, len(pts) - 1, 2)],
                 "closed": isinstance(ann, Polygon)}
        if isinstance(ann, Polyline):
            piece.approximated[("polylines", "written as polygons with closed: false")] += 1
        return [_base(plan, ann, "polygon", ids.take(own.get("id")), size, value, piece)]
    if isinstance(ann, Ellipse):
        value = {"x": _pct(ann.cx, w), "y": _pct(ann.cy, h), "radiusX": _pct(ann.rx, w),
                 "radiusY": _pct(ann.ry, h), "rotation": float(ann.attributes.get(
                     "rotation", 0) or 0)}
        return [_base(plan, ann, "ellipse", ids.take(own.get("id")), size, value, piece)]
    if isinstance(ann, Mask):
        return _mask(plan, ann, size, ids, piece)
    return _keypoints(plan, ann, size, ids, piece)  # type: ignore[arg-type]


def _mask(plan: Any, ann: Mask, size: tuple[int, int], ids: _Ids,
          piece: TaskPiece) -> list[dict]:
    if list(ann.rle.get("size", [])) != [size[0], size[1]]:
        piece.lost[("masks", "their size is not the image's")] += 1
        return []
    from cococonv import masks  # numpy: not for loading the plugin

    from . import brush
    value = {"format": "rle", "rle": brush.encode_rle(masks.compress(ann.rle))}
    return [_base(plan, ann, "mask", ids.take(_own(ann).get("id")), size, value, piece)]


def _keypoints(plan: Any, ann: Points, size: tuple[int, int], ids: _Ids,
               piece: TaskPiece) -> list[dict]:
    h, w = size
    own = _own(ann)
    known = own.get("ids") if type(own.get("ids")) is list else [own.get("id")]
    kept = own.get("result") if isinstance(own.get("result"), dict) else {}
    point_size = (kept.get("value") or {}).get("width", 0.5) if isinstance(
        kept.get("value"), dict) else 0.5
    out = []
    pts, vis = ann.points, ann.visibility
    for k in range(len(pts) // 2):
        v = vis[k] if k < len(vis) else 2
        if v == 0:
            piece.lost[("keypoints", "Label Studio has no absent keypoints (v=0)")] += 1
            continue
        if v == 1:
            piece.approximated[("keypoints", "occluded ones written as visible")] += 1
        value = {"x": _pct(pts[2 * k], w), "y": _pct(pts[2 * k + 1], h), "width": point_size}
        wanted = known[k] if k < len(known) else None
        out.append(_base(plan, ann, "points", ids.take(wanted), size, value, piece))
    return out


def _sized(size: tuple[int, int] | None) -> dict[str, int]:
    """The image size fields Label Studio puts in every result of an image."""
    if size is None:
        return {}
    return {"original_width": size[1], "original_height": size[0], "image_rotation": 0}


def _attributes(ann: Annotation, rid: str, size: tuple[int, int] | None,
                piece: TaskPiece) -> list[dict]:
    out = []
    for name, value in ann.attributes.items():
        if name in OWN_ATTRIBUTES and not (name == "relations" and relations_of(ann) is None):
            continue
        if name in RESERVED or type(value) not in (bool, int, float, str):
            piece.lost[("attributes", "named like a control of the labeling config, or "
                        "not a number, text or boolean")] += 1
            continue
        base = {"id": rid, "from_name": name, "to_name": IMAGE_NAME, **_sized(size)}
        if type(value) is bool:
            piece.attributes.setdefault(name, "bool")
            if value:
                out.append({**base, "type": "choices", "value": {"choices": [name]}})
        elif type(value) in (int, float):
            piece.attributes.setdefault(name, "number")
            out.append({**base, "type": "number", "value": {"number": value}})
        else:
            piece.attributes.setdefault(name, "text")
            out.append({**base, "type": "textarea", "value": {"text": [value]}})
    return out


def _relations(regions: list, by_ann: dict[int, str], piece: TaskPiece) -> list[dict]:
    known = set(by_ann.values())
    out = []
    for ann, _shapes in regions:
        links = relations_of(ann)
        if not links or id(ann) not in by_ann:
            continue
        for link in links:
            if link["to"] not in known:
                piece.lost[("region relations", "their target region is not written "
                            "with them")] += 1
                continue
            relation = {"type": "relation", "from_id": by_ann[id(ann)], "to_id": link["to"],
                        "direction": link.get("direction", "right")}
            if link.get("labels"):
                relation["labels"] = link["labels"]
            out.append(relation)
    return out
