"""The ``split`` transform: give items new subsets by ratios."""
from __future__ import annotations

from cococonv.context import Context
from cococonv.model import Dataset
from cococonv.plugin import Option, Transform
from cococonv.splitting import check_grouping, parse_ratios, split_dataset


def _check_ratios(entries: list[str]) -> None:
    parse_ratios(entries)


class SplitTransform(Transform):
    """Split items into subsets by ratios, seeded, optionally stratified by label.

    docs/commands/split.md says how groups, stratification and old subsets work.
    """

    name = "split"
    options = (
        Option("ratios", list, ["train=0.8", "val=0.1", "test=0.1"],
               "Subsets and their shares, NAME=FRACTION,... (summing to 1).",
               check=_check_ratios),
        Option("seed", int, 0, "Seed of the shuffle: the same seed gives the same split."),
        Option("stratify", str, "none", "Keep each label's share in every subset.",
               ("none", "label")),
        Option("group_by", str, "item", "What stays together: item, folder, sequence "
               "(frames named clip_0001...), or attr.NAME.", check=check_grouping),
        Option("subsets", list, [], "Split only the items of these subsets (default: all, "
               "merged first); the others keep theirs."),
    )

    def apply(self, dataset: Dataset, ctx: Context, *, ratios: list[str], seed: int,
              stratify: str, group_by: str, subsets: list[str]) -> Dataset:
        return split_dataset(dataset, ratios=ratios, seed=seed, stratify=stratify,
                             group_by=group_by, subsets=subsets, report=ctx.report).dataset
