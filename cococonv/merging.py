"""Merging datasets: labels matched by name, items matched by (subset, id)."""
from __future__ import annotations

import copy

from .model import Categories, Dataset, Item


def merge_datasets(datasets: list[Dataset]) -> Dataset:
    """Combine datasets into a new one; inputs are not modified.

    Labels are unified by name (the first source's order and ids win); keypoint schemas and
    colours follow their label. Items present in several sources keep one image and all the
    annotations. Source metadata of the first dataset that has a key is kept.
    """
    if len(datasets) == 1:
        return datasets[0]
    categories = Categories()
    merged = Dataset(categories)
    group_offset = 0
    for dataset in datasets:
        largest_group = 0
        remap: dict[int, int] = {}
        for index, label in enumerate(dataset.categories.labels):
            found = categories.find(label.name)
            if found is None:
                found = len(categories.labels)
                categories.labels.append(copy.deepcopy(label))
            remap[index] = found
            if index in dataset.categories.keypoints and found not in categories.keypoints:
                categories.keypoints[found] = copy.deepcopy(dataset.categories.keypoints[index])
            if index in dataset.categories.colormap and found not in categories.colormap:
                categories.colormap[found] = dataset.categories.colormap[index]
        for key, value in dataset.meta.items():
            merged.meta.setdefault(key, copy.deepcopy(value))
        for item in dataset:
            annotations = []
            for ann in item.annotations:
                ann = copy.copy(ann)
                if ann.label is not None:
                    ann.label = remap[ann.label]
                if ann.group:
                    largest_group = max(largest_group, ann.group)
                    ann.group += group_offset
                annotations.append(ann)
            existing = merged.get(item.subset, item.id)
            if existing is None:
                merged.add(Item(item.id, item.subset, item.image, annotations,
                                dict(item.attributes), dict(item.extra)))
            else:
                existing.annotations.extend(annotations)
                if existing.image is None or not existing.image.has_data:
                    existing.image = item.image or existing.image
        group_offset += largest_group
    return merged
