"""Comparing two datasets (``cococonv diff``): items, annotations and categories added,
removed and changed.

Items pair by (subset, item id); categories by name; the annotations of a paired item by
id, else by box overlap (cococonv.annotation_diff). A changed annotation says what changed:
its kind, label, geometry beyond the tolerance, or an attribute.
"""
from __future__ import annotations

from typing import Any

from .annotation_diff import changes, match
from .model import Annotation, Categories, Item, Source

#: Pixels a coordinate may move before the geometry counts as changed.
DEFAULT_TOLERANCE = 0.01
#: Box IoU from which two unpaired annotations of one kind and label are the same object.
DEFAULT_IOU = 0.5


def diff(a: Source, b: Source, *, iou: float = DEFAULT_IOU,
         tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Any]:
    """What changed from ``a`` to ``b``: ``equal``, per-part counts (``summary``) and the
    lists of added, removed and changed items, annotations and categories. ``a`` is read
    into memory by (subset, id) and ``b`` walked once."""
    if not 0 < iou <= 1:
        raise ValueError(f"the IoU threshold must be in (0, 1], got {iou}")
    if tolerance < 0:
        raise ValueError(f"the tolerance must not be negative, got {tolerance}")
    names = ([c.name for c in a.categories.labels], [c.name for c in b.categories.labels])
    left = {(item.subset, item.id): item for item in a}
    items: dict[str, list] = {"added": [], "removed": [], "changed": []}
    anns: dict[str, list] = {"added": [], "removed": [], "changed": []}
    same_items = same_anns = by_id = by_iou = 0
    for item in b:
        key = (item.subset, item.id)
        old = left.pop(key, None)
        if old is None:
            items["added"].append(_item_entry(item))
            anns["added"] += [_ann_entry(item, x, names[1]) for x in item.annotations]
            continue
        item_changes = _item_changes(old, item)
        pairs, removed, added = match(old.annotations, item.annotations, iou)
        anns["removed"] += [_ann_entry(old, x, names[0]) for x in removed]
        anns["added"] += [_ann_entry(item, x, names[1]) for x in added]
        changed = 0
        for x, y, how in pairs:
            by_id += how == "id"
            by_iou += how == "iou"
            found = changes(x, y, names, tolerance)
            if found:
                changed += 1
                anns["changed"].append(_ann_entry(item, y, names[1]) | {
                    "id_a": x.id, "matched_by": how, "changes": found})
            else:
                same_anns += 1
        if removed or added or changed:
            item_changes.append(f"annotations: {len(added)} added, {len(removed)} removed, "
                                f"{changed} changed")
        if item_changes:
            items["changed"].append(_item_entry(item) | {"changes": item_changes})
        else:
            same_items += 1
    for old in left.values():
        items["removed"].append(_item_entry(old))
        anns["removed"] += [_ann_entry(old, x, names[0]) for x in old.annotations]
    cats = _category_changes(a.categories, b.categories)
    summary = {
        "items": _counts(items, same_items),
        "annotations": _counts(anns, same_anns) | {"matched_by_id": by_id,
                                                   "matched_by_iou": by_iou},
        "categories": _counts(cats, cats.pop("same")),
    }
    equal = not any(part[k] for part in summary.values()
                    for k in ("added", "removed", "changed"))
    return {"equal": equal, "iou": iou, "tolerance": tolerance, "summary": summary,
            "items": items, "annotations": anns, "categories": cats}


def _counts(lists: dict[str, list], same: int) -> dict[str, int]:
    return {k: len(v) for k, v in lists.items()} | {"same": same}


def _item_entry(item: Item) -> dict[str, Any]:
    return {"subset": item.subset, "item": item.id}


def _ann_entry(item: Item, ann: Annotation, names: list[str]) -> dict[str, Any]:
    return {"subset": item.subset, "item": item.id, "id": ann.id, "kind": ann.kind,
            "label": names[ann.label] if ann.label is not None else None}


def _item_changes(a: Item, b: Item) -> list[str]:
    """Image name and size, and item attributes, that differ."""
    found = []
    name_a = a.image.name if a.image is not None else None
    name_b = b.image.name if b.image is not None else None
    if name_a != name_b:
        found.append(f"image {name_a!r} -> {name_b!r}")
    size_a = a.image.size if a.image is not None else None
    size_b = b.image.size if b.image is not None else None
    if size_a != size_b:
        found.append(f"image size {_size(size_a)} -> {_size(size_b)}")
    for key in sorted(set(a.attributes) | set(b.attributes), key=str):
        if a.attributes.get(key) != b.attributes.get(key):
            found.append(f"attribute {key}: {a.attributes.get(key)!r} -> "
                         f"{b.attributes.get(key)!r}")
    return found


def _size(size: tuple[int, int] | None) -> str:
    return "unknown" if size is None else f"{size[1]}x{size[0]}"


def _category_changes(a: Categories, b: Categories) -> dict[str, Any]:
    """Labels by name (placeholders left out): added, removed, and those whose
    supercategory, attribute names or keypoint names differ."""
    old = _labels(a)
    new = _labels(b)
    changed = []
    for name in old.keys() & new.keys():
        found = []
        (label_a, points_a), (label_b, points_b) = old[name], new[name]
        if label_a.parent != label_b.parent:
            found.append(f"supercategory {label_a.parent!r} -> {label_b.parent!r}")
        if list(label_a.attributes) != list(label_b.attributes):
            found.append(f"attributes {label_a.attributes} -> {label_b.attributes}")
        if points_a != points_b:
            found.append(f"keypoints {points_a} -> {points_b}")
        if found:
            changed.append({"name": name, "changes": found})
    changed.sort(key=lambda entry: entry["name"])
    return {"added": [n for n in new if n not in old], "removed": [n for n in old if n not in new],
            "changed": changed, "same": len(old.keys() & new.keys()) - len(changed)}


def _labels(categories: Categories) -> dict[str, tuple[Any, list[str] | None]]:
    found = {}
    for index, label in enumerate(categories.labels):
        if not label.placeholder and label.name not in found:
            schema = categories.keypoints.get(index)
            found[label.name] = (label, list(schema.names) if schema is not None and schema.names
                                 else None)
    return found
