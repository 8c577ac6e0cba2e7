"""Matching the annotations of one item in two datasets and naming what changed, for
``cococonv diff`` (cococonv.diffing).

Pairs are found by id first (same kind and id, the n-th shape of that id with the n-th:
the rings of one COCO record share its id; then an id one annotation holds on each side,
whatever their kinds), then, among what is left, by box overlap:
the best-overlapping pairs of one kind and one label whose boxes' IoU reaches the
threshold; labels and captions without a box pair by label and text. What stays unpaired
was added or removed.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .measures import shape_box
from .model import Annotation, Bbox, Caption, Ellipse, Mask, Points, Polygon, Polyline

#: Mask overlap below which a mask counts as reshaped (its pixels are compared, not its
#: coordinates, so the coordinate tolerance does not apply).
MASK_SAME_IOU = 0.999

#: Box pairs one item's (kind, label) group may try for overlap matching: an item of
#: 10,000 boxes of one label in both datasets would try 10^8 pairs. Past it, that group's
#: unpaired annotations stay added and removed (``cococonv.limits``' rule: no count in
#: the input decides the run time without a cap).
MAX_OVERLAP_PAIRS = 4_000_000


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``[x, y, w, h]`` boxes (0 when both are empty)."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match(left: list[Annotation], right: list[Annotation], threshold: float
          ) -> tuple[list[tuple[Annotation, Annotation, str]], list[Annotation],
                     list[Annotation]]:
    """``(pairs, removed, added)``: pairs as ``(a, b, "id" | "iou")``."""
    pairs: list[tuple[Annotation, Annotation, str]] = []
    by_id: dict[tuple[str, Any, int], Annotation] = {}
    seen: dict[tuple[str, Any], int] = {}
    for ann in right:
        if ann.id is not None:
            key = (ann.kind, ann.id)
            seen[key] = seen.get(key, 0) + 1
            by_id[(ann.kind, ann.id, seen[key])] = ann
    rest_left = []
    seen = {}
    for ann in left:
        found = None
        if ann.id is not None:
            key = (ann.kind, ann.id)
            seen[key] = seen.get(key, 0) + 1
            found = by_id.pop((ann.kind, ann.id, seen[key]), None)
        if found is not None:
            pairs.append((ann, found, "id"))
        else:
            rest_left.append(ann)
    taken = {id(b) for _, b, _ in pairs}
    rest_right = [b for b in right if id(b) not in taken]
    rest_left, rest_right = _by_lone_id(rest_left, rest_right, pairs)
    more, removed, added = _by_overlap(rest_left, rest_right, threshold)
    return pairs + more, removed, added


def _by_lone_id(left: list[Annotation], right: list[Annotation],
                pairs: list[tuple[Annotation, Annotation, str]]
                ) -> tuple[list[Annotation], list[Annotation]]:
    """Pair an id held by one annotation on each side whatever their kinds (a box that
    became a polygon); returns what is still unpaired."""
    def lone(anns: list[Annotation]) -> dict[Any, Annotation]:
        count: dict[Any, int] = {}
        for ann in anns:
            if ann.id is not None:
                count[ann.id] = count.get(ann.id, 0) + 1
        return {a.id: a for a in anns if a.id is not None and count[a.id] == 1}
    theirs = lone(right)
    paired = set()
    for aid, ann in lone(left).items():
        other = theirs.get(aid)
        if other is not None:
            pairs.append((ann, other, "id"))
            paired.update((id(ann), id(other)))
    return ([a for a in left if id(a) not in paired], [b for b in right if id(b) not in paired])


def _by_overlap(left: list[Annotation], right: list[Annotation], threshold: float
                ) -> tuple[list[tuple[Annotation, Annotation, str]], list[Annotation],
                           list[Annotation]]:
    """Greedy best-IoU pairing within (kind, label); box-less kinds pair on equal text."""
    candidates: list[tuple[float, int, int]] = []
    right_boxes = [shape_box(b) for b in right]
    groups: dict[tuple[str, Any], list[int]] = {}
    for j, b in enumerate(right):
        groups.setdefault((b.kind, b.label), []).append(j)
    left_counts: dict[tuple[str, Any], int] = {}
    for a in left:
        left_counts[(a.kind, a.label)] = left_counts.get((a.kind, a.label), 0) + 1
    for i, a in enumerate(left):
        group = groups.get((a.kind, a.label), [])
        if len(group) * left_counts[(a.kind, a.label)] > MAX_OVERLAP_PAIRS:
            continue
        box = shape_box(a)
        for j in group:
            other = right_boxes[j]
            if box is not None and other is not None:
                score = box_iou(box, other)
            elif box is None and other is None:
                score = 1.0 if _text(a) == _text(right[j]) else 0.0
            else:
                score = 0.0
            if score >= threshold and score > 0:
                candidates.append((score, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs = []
    for _score, i, j in candidates:
        if i not in used_left and j not in used_right:
            used_left.add(i)
            used_right.add(j)
            pairs.append((left[i], right[j], "iou"))
    removed = [a for i, a in enumerate(left) if i not in used_left]
    added = [b for j, b in enumerate(right) if j not in used_right]
    return pairs, removed, added


def _text(ann: Annotation) -> str:
    return ann.caption if type(ann) is Caption else ""


def changes(a: Annotation, b: Annotation, names: tuple[list[str], list[str]],
            tolerance: float) -> list[str]:
    """What differs between two paired annotations: kind, label, geometry beyond
    ``tolerance`` pixels, attributes (each changed name). Empty when they are the same."""
    found = []
    if a.kind != b.kind:
        return [f"kind {a.kind} -> {b.kind}"]
    label_a = names[0][a.label] if a.label is not None else None
    label_b = names[1][b.label] if b.label is not None else None
    if label_a != label_b:
        found.append(f"label {label_a!r} -> {label_b!r}")
    if not same_shape(a, b, tolerance):
        found.append("geometry")
    for key in sorted(set(a.attributes) | set(b.attributes), key=str):
        old, new = a.attributes.get(key), b.attributes.get(key)
        if old != new:
            found.append(f"attribute {key}: {old!r} -> {new!r}")
    return found


def same_shape(a: Annotation, b: Annotation, tolerance: float) -> bool:
    """Whether two annotations of one kind have the same geometry: every coordinate within
    ``tolerance`` pixels, in the same order; masks of one size overlapping fully."""
    kind = type(a)
    if kind is Bbox:
        return _near(a.bounds(), b.bounds(), tolerance)
    if kind in (Polygon, Polyline):
        return _near(a.points, b.points, tolerance)
    if kind is Points:
        return list(a.visibility) == list(b.visibility) and _near(a.points, b.points,
                                                                  tolerance)
    if kind is Ellipse:
        return _near([a.cx, a.cy, a.rx, a.ry], [b.cx, b.cy, b.rx, b.ry], tolerance)
    if kind is Mask:
        return _same_mask(a.rle, b.rle)
    if kind is Caption:
        return a.caption == b.caption
    return True


def _near(a: Sequence[float], b: Sequence[float], tolerance: float) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, abs_tol=tolerance)
                                    for x, y in zip(a, b))


def _same_mask(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a == b:
        return True
    if list(a.get("size", [])) != list(b.get("size", [])):
        return False
    from . import masks
    try:
        masks.check_rle(a)
        masks.check_rle(b)
        if masks.area(a) == 0 and masks.area(b) == 0:
            return True
        return masks.iou(masks.compress(a), masks.compress(b)) >= MASK_SAME_IOU
    except (ValueError, TypeError, KeyError):
        return False
