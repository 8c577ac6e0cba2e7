"""Label transforms: rename, join and delete labels."""
from __future__ import annotations

from collections import Counter

from cococonv.context import Context
from cococonv.model import Categories, Dataset
from cococonv.plugin import Option, Transform

from .common import check_known, parse_pairs


class RemapLabelsTransform(Transform):
    """Rename, join or delete labels: `--mapping old:new,old2:new,junk:` (empty new deletes).

    Labels not named keep their name unless `--default delete`; naming a label the dataset
    does not have is an error. Every relabelled and every dropped annotation is counted in
    the report. A kept label stays the same object, so what a format's meta says of it
    follows the new name (model.Categories).
    """

    name = "remap_labels"
    options = (Option("mapping", list, [], "Comma-separated old:new pairs; old: deletes."),
               Option("default", str, "keep", "What happens to labels not named.",
                      ("keep", "delete")))

    def apply(self, dataset: Dataset, ctx: Context, *, mapping: list[str],
              default: str) -> Dataset:
        pairs = parse_pairs(mapping, self.name)
        old_labels = dataset.categories.labels
        old_names = [label.name for label in old_labels]
        check_known(pairs, old_names, "label", self.name)
        categories, remap = _remapped(dataset.categories, pairs, default)
        relabelled: Counter[tuple[str, str]] = Counter()
        dropped: Counter[str] = Counter()
        for item in dataset:
            kept = []
            for ann in item.annotations:
                if ann.label is not None:
                    new = remap[ann.label]
                    old_name = old_names[ann.label]
                    if new is None:
                        dropped[old_name] += 1
                        continue
                    if old_name != categories.labels[new].name:
                        relabelled[(old_name, categories.labels[new].name)] += 1
                    ann.label = new
                kept.append(ann)
            item.annotations = kept
        dataset.categories = categories
        report = ctx.report
        for (old, new), count in relabelled.items():
            report.approximated("annotations", f"relabelled {old!r} -> {new!r} "
                                "(remap_labels)", count)
        for old, count in dropped.items():
            report.lost("annotations", f"label {old!r} deleted (remap_labels)", count)
        deleted = sum(v is None for v in remap.values())
        report.lost("labels", "deleted (remap_labels)", deleted)
        report.approximated("labels", "joined into another label of the same new name "
                            "(remap_labels)", len(remap) - len(categories.labels) - deleted)
        return dataset


def _remapped(old: Categories, pairs: dict[str, str], default: str
              ) -> tuple[Categories, dict[int, int | None]]:
    """The new categories and each old label index's new one (None: deleted)."""
    categories = Categories()
    remap: dict[int, int | None] = {}
    made: dict[str, int] = {}  # Categories.find per label was quadratic
    for index, label in enumerate(old.labels):
        target = pairs.get(label.name, label.name if default == "keep" else "")
        if not target:
            remap[index] = None
            continue
        found = made.get(target)
        if found is None:
            # the label's own object, renamed: Dataset.meta names labels by object
            found = made[target] = len(categories.labels)
            label.name = target
            categories.labels.append(label)
            if index in old.keypoints:
                categories.keypoints[found] = old.keypoints[index]
            if index in old.colormap:
                categories.colormap[found] = old.colormap[index]
        remap[index] = found
    return categories, remap
