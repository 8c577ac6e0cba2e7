"""``--keypoint-groups``: point shapes grouped with one object read as its keypoints.

LabelMe has no keypoint sets; pose datasets (X-AnyLabeling's pose export, labelme2coco
keypoint scripts) draw one ``point`` shape per keypoint, labelled with the keypoint's name,
in the ``group_id`` of the person's box or polygon. With the option such a group's points
become one ``Points`` of the object's label, whose keypoint schema names are the point
labels in the order first met (a name met later is appended; sets read earlier get it as
an absent point, visibility 0). Labels used only as keypoint names are then no labels.
"""
from __future__ import annotations

from cococonv.model import (Annotation, Bbox, Categories, Dataset, Item, KeypointSchema,
                            Mask, Points, Polygon)

_OBJECTS = (Bbox, Polygon, Mask)


class KeypointGroups:
    """Collects the keypoint sets of one dataset as its items are read."""

    def __init__(self, categories: Categories):
        self.categories = categories
        self.names: dict[int, list[str]] = {}  # object label -> keypoint names
        self.sets: list[tuple[Points, dict[str, tuple[float, float]]]] = []
        self.dropped = 0  # joined points that had attributes or kept keys of their own

    def join(self, item: Item) -> None:
        """Replace each group's single points by one keypoint set of its object."""
        groups: dict[int, list[Annotation]] = {}
        for ann in item.annotations:
            if ann.group:
                groups.setdefault(ann.group, []).append(ann)
        joined: set[int] = set()
        for group, members in groups.items():
            objects = {ann.label for ann in members if isinstance(ann, _OBJECTS)}
            points = [ann for ann in members if _single_point(ann)]
            names = [self.categories.name_of(ann.label) for ann in points]
            if len(objects) != 1 or not points or len(set(names)) != len(names):
                continue
            label = next(iter(objects))
            schema = self.names.setdefault(label, [])
            where: dict[str, tuple[float, float]] = {}
            for ann, name in zip(points, names):
                if name not in schema:
                    schema.append(name)
                where[name] = (ann.points[0], ann.points[1])  # type: ignore[attr-defined]
            keypoints = Points(label=label, group=group)
            self.sets.append((keypoints, where))
            joined.update(id(ann) for ann in points)
            self.dropped += sum(1 for ann in points if ann.attributes or ann.extra.get(
                "labelme", {}).get("keys"))
            item.annotations.append(keypoints)
        if joined:
            item.annotations = [a for a in item.annotations if id(a) not in joined]

    def finish(self, dataset: Dataset) -> Dataset:
        """Fill every set in its label's final name order; drop labels no longer used."""
        for keypoints, where in self.sets:
            names = self.names[keypoints.label]  # type: ignore[index]
            for name in names:
                x, y = where.get(name, (0.0, 0.0))
                keypoints.points += [x, y]
                keypoints.visibility.append(2 if name in where else 0)
        for label, names in self.names.items():
            self.categories.keypoints[label] = KeypointSchema(names=list(names))
        return _without_unused_labels(dataset)


def _single_point(ann: Annotation) -> bool:
    return isinstance(ann, Points) and len(ann.points) == 2 and ann.label is not None


def _without_unused_labels(dataset: Dataset) -> Dataset:
    """The dataset with the labels no annotation uses left out, indices renumbered."""
    cats = dataset.categories
    used = {ann.label for item in dataset for ann in item.annotations if ann.label is not None}
    used |= set(cats.keypoints)
    if len(used) == len(cats.labels):
        return dataset
    keep = [index for index in range(len(cats.labels)) if index in used]
    new_index = {old: new for new, old in enumerate(keep)}
    kept = Categories(labels=[cats.labels[i] for i in keep],
                      keypoints={new_index[i]: s for i, s in cats.keypoints.items()},
                      colormap={new_index[i]: c for i, c in cats.colormap.items()
                                if i in new_index})
    for item in dataset:
        for ann in item.annotations:
            if ann.label is not None:
                ann.label = new_index[ann.label]
    return Dataset(kept, list(dataset), dataset.meta)
