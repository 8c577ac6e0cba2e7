"""Dataset statistics (``cococonv stats``): one pass over a Source, plain data back.

Counts are of model annotations (a COCO polygon of three rings is three polygons), except
the box and area figures, which are of objects: the shapes one source record gave (rings
and keypoints of one COCO record) are measured once, by the box and area the source
declared when it declared them, else by their geometry (cococonv.measures).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from .measures import image_size, object_area, objects_of, shape_box
from .model import Points, Source

#: The figures each quantile summary gives, in order.
QUANTILES = (("min", 0), ("p25", 25), ("median", 50), ("p75", 75), ("max", 100))

NO_LABEL = "<no label>"


def quantiles(values: list[float]) -> dict[str, Any]:
    """``count`` and the min/p25/median/p75/max of ``values`` (linear interpolation, as
    numpy's default), all None but the count when there are none."""
    summary: dict[str, Any] = {"count": len(values)}
    if not values:
        summary.update({name: None for name, _ in QUANTILES})
        return summary
    import numpy as np
    found = np.percentile(np.asarray(values, dtype=np.float64), [q for _, q in QUANTILES])
    summary.update({name: round(float(v), 6) for (name, _), v in zip(QUANTILES, found)})
    return summary


def dataset_stats(source: Source) -> dict[str, Any]:
    """Items per subset, annotations per label and kind, images without annotations,
    box and area quantiles, image sizes, crowd objects, keypoint visibility counts and
    attribute use, read in one pass over ``source``."""
    labels = source.categories.labels
    subsets: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    by_label: dict[str, Counter[str]] = {}
    attributes: Counter[str] = Counter()
    visibility: Counter[int] = Counter()
    sizes: Counter[tuple[int, int]] = Counter()
    widths: list[float] = []
    heights: list[float] = []
    areas: list[float] = []
    items = empty = unknown_size = crowd = annotations = 0
    for item in source:
        items += 1
        subsets[item.subset] += 1
        if not item.annotations:
            empty += 1
        size = image_size(item)
        if size is None:
            unknown_size += 1
        else:
            sizes[size] += 1
        for ann in item.annotations:
            annotations += 1
            kinds[ann.kind] += 1
            name = labels[ann.label].name if ann.label is not None else NO_LABEL
            by_label.setdefault(name, Counter())[ann.kind] += 1
            attributes.update(k for k in ann.attributes if k != "is_crowd")
            if type(ann) is Points:
                visibility.update(ann.visibility)
        for shapes in objects_of(item):
            if any(a.attributes.get("is_crowd") for a in shapes):
                crowd += 1
            box, area = _measures(shapes, size)
            if box is not None:
                widths.append(box[2])
                heights.append(box[3])
            if area is not None:
                areas.append(area)
    return {
        "items": items,
        "subsets": dict(subsets),
        "images_without_annotations": empty,
        "annotations": annotations,
        "annotations_by_kind": dict(sorted(kinds.items())),
        "annotations_by_label": {name: dict(sorted(counts.items()))
                                 for name, counts in by_label.items()},
        "labels": len([label for label in labels if not label.placeholder]),
        "boxes": {"width": quantiles(widths), "height": quantiles(heights)},
        "areas": quantiles(areas),
        "image_sizes": _sizes(sizes, unknown_size),
        "crowd": crowd,
        "keypoint_visibility": _visibility(visibility),
        "attributes": dict(sorted(attributes.items())),
    }


def _measures(shapes: list, size: tuple[int, int] | None
              ) -> tuple[list[float] | None, float | None]:
    """The object's box and area: declared ones first (one record declares them once for
    all its shapes), else measured."""
    leader = shapes[0]
    box = leader.declared_bbox
    if box is None:
        found = [b for b in map(shape_box, shapes) if b is not None]
        box = _union(found) if found else None
    area = leader.declared_area
    if area is None:
        area = object_area(shapes, size)
    return box, area


def _visibility(counts: Counter[int]) -> dict[str, int]:
    """v=0/1/2 always, then any other value a source wrote, under its own key."""
    found = {str(v): counts.get(v, 0) for v in (0, 1, 2)}
    found.update((str(v), n) for v, n in counts.items() if v not in (0, 1, 2))
    return found


def _union(boxes: list[list[float]]) -> list[float]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return [x0, y0, x1 - x0, y1 - y0]


def _sizes(sizes: Counter[tuple[int, int]], unknown: int) -> dict[str, Any]:
    """Distinct (height, width) pairs, the smallest and largest sides, and how many items
    gave no size."""
    if not sizes:
        return {"distinct": 0, "unknown": unknown, "height": {"min": None, "max": None},
                "width": {"min": None, "max": None}, "most_common": []}
    hs = [h for h, _ in sizes]
    ws = [w for _, w in sizes]
    common = [{"height": h, "width": w, "items": n} for (h, w), n in sizes.most_common(5)]
    return {"distinct": len(sizes), "unknown": unknown,
            "height": {"min": min(hs), "max": max(hs)},
            "width": {"min": min(ws), "max": max(ws)}, "most_common": common}
