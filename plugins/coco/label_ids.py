"""--keep-original-category-ids: label indices made equal to the COCO category ids."""
from __future__ import annotations

from cococonv.errors import DataError
from cococonv.limits import LimitError
from cococonv.model import Dataset, LabelCategory

#: The most placeholder labels --keep-original-category-ids makes for gaps between ids:
#: each costs ~400 bytes and a line in every label list written, so one id of 10**9
#: would decide the memory of the run (docs/limits.md).
MAX_PLACEHOLDER_LABELS = 100_000


def pad_labels_to_ids(dataset: Dataset, display: str,
                      largest: tuple[int, str, str] | None) -> None:
    """Make each label's index equal its COCO id, filling gaps with placeholder labels;
    refused when the gaps would need more than MAX_PLACEHOLDER_LABELS of them."""
    labels = dataset.categories.labels
    ids = [label.id for label in labels]
    if not all(type(v) is int and v >= 0 for v in ids) or len(set(ids)) != len(ids):
        raise DataError("--keep-original-category-ids needs unique non-negative integer "
                        "category ids", file=display)
    size = max(ids) + 1 if ids else 0
    if size - len(ids) > MAX_PLACEHOLDER_LABELS:
        file, where = (largest[1], largest[2]) if largest else (display, "categories")
        raise LimitError(f"{size - 1} would need {size - len(ids)} placeholder labels for the "
                         f"gaps between category ids with --keep-original-category-ids (at "
                         f"most {MAX_PLACEHOLDER_LABELS}; docs/limits.md)", file=file,
                         where=where)
    new_labels = [LabelCategory(f"class-{i}", "", i, placeholder=True)
                  for i in range(size)]
    remap = {}
    for old, label in enumerate(labels):
        new_labels[label.id] = label
        remap[old] = label.id
    dataset.categories.labels = new_labels
    dataset.categories.keypoints = {remap[k]: v for k, v in dataset.categories.keypoints.items()}
    dataset.categories.colormap = {remap[k]: v for k, v in dataset.categories.colormap.items()}
    for item in dataset:
        for ann in item.annotations:
            if ann.label is not None:
                ann.label = remap[ann.label]
    # the files' meta names labels by object (Categories.resolve): nothing to renumber
