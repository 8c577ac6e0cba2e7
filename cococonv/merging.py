"""Merging datasets: labels matched by name, items matched by (subset, id)."""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from .model import Categories, Dataset
from .report import Report


def merge_datasets(datasets: list[Dataset], report: Report) -> Dataset:
    """Combine datasets into a new one; inputs are not modified.

    Labels are unified by name (the first source's order and ids win); keypoint schemas and
    colours follow their label. Items present in several sources keep one image and all the
    annotations; an image id that disagrees keeps the first and is reported. Annotation ids
    that clash with an earlier source's in the same subset get the next free id (all
    annotations sharing an old id keep sharing the new one), counted in the report. Groups
    are renumbered so objects of different sources never share a group.
    """
    if len(datasets) == 1:
        return datasets[0]
    categories = Categories()
    merged = Dataset(categories)
    group_offset = 0
    used_ids: dict[str, set[Any]] = {}
    image_id_conflicts = 0
    renumbered = 0
    for dataset in datasets:
        remap = _merge_labels(dataset, categories)
        # meta names labels by object (model.Categories): a copy names the merged ones
        same_label = {id(label): categories.labels[remap[index]]
                      for index, label in enumerate(dataset.categories.labels)}
        for key, value in dataset.meta.items():
            if key not in merged.meta:
                merged.meta[key] = copy.deepcopy(value, dict(same_label))
        largest_group = 0
        new_ids: dict[tuple[str, Any], Any] = {}
        added_ids: dict[str, set[Any]] = {}
        own_ids = {ann.id for item in dataset for ann in item.annotations
                   if type(ann.id) is int}
        for item in dataset:
            taken = used_ids.setdefault(item.subset, set())
            annotations = []
            for ann in item.annotations:
                ann = copy.copy(ann)
                if ann.label is not None:
                    ann.label = remap[ann.label]
                if ann.group:
                    largest_group = max(largest_group, ann.group)
                    ann.group += group_offset
                if ann.id is not None and ann.id in taken:
                    key = (item.subset, ann.id)
                    if key not in new_ids:
                        new_ids[key] = _next_free(taken, own_ids)
                        renumbered += 1
                    ann.id = new_ids[key]
                annotations.append(ann)
                if ann.id is not None:
                    added_ids.setdefault(item.subset, set()).add(ann.id)
            existing = merged.get(item.subset, item.id)
            if existing is None:
                merged.add(replace(item, annotations=annotations,
                                   attributes=dict(item.attributes), extra=dict(item.extra)))
            else:
                if item.image_id is not None and existing.image_id != item.image_id:
                    image_id_conflicts += 1
                    if image_id_conflicts <= 5:
                        name = item.image.name if item.image is not None else item.id
                        report.warn(f"{item.subset}/{name}: image id "
                                    f"{item.image_id!r} in a later source, "
                                    f"{existing.image_id!r} in an earlier one; "
                                    f"the earlier is kept")
                existing.annotations.extend(annotations)
                if existing.image is None or not existing.image.has_data:
                    existing.image = item.image or existing.image
        # Ids of this source become taken only now: a source may repeat its own ids.
        for subset, ids in added_ids.items():
            used_ids.setdefault(subset, set()).update(ids)
        group_offset += largest_group
    report.approximated("annotation ids used by an earlier source", "given the next free id",
                        renumbered)
    report.approximated("images with another id in an earlier source",
                        "the earlier source's image id is kept", image_id_conflicts)
    return merged


def _merge_labels(dataset: Dataset, categories: Categories) -> dict[int, int]:
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
    return remap


def _next_free(taken: set[Any], own: set[Any]) -> int:
    """An int id used neither by earlier sources nor anywhere in the current one."""
    candidate = max(max((v for v in taken if type(v) is int), default=0),
                    max(own, default=0)) + 1
    taken.add(candidate)
    own.add(candidate)
    return candidate
