"""Subset transforms: rename and join subsets."""
from __future__ import annotations

from collections import Counter

from cococonv.context import Context
from cococonv.errors import DataError, OptionError
from cococonv.model import Dataset
from cococonv.plugin import Option, Transform

from .common import check_known, parse_pairs


class MapSubsetsTransform(Transform):
    """Rename or join subsets: `--subsets old:new,val:train` (several old names may share
    a new one); naming a subset the dataset does not have is an error.

    Joined subsets keep their items in input order; two items of one id meeting in one
    subset are an error naming the item (rename one first).
    """

    name = "map_subsets"
    options = (Option("subsets", list, [], "Comma-separated old:new subset pairs."),)

    def apply(self, dataset: Dataset, ctx: Context, *, subsets: list[str]) -> Dataset:
        pairs = parse_pairs(subsets, self.name, "--subsets")
        check_known(pairs, dataset.subsets, "subset", self.name)
        empty = [old for old, new in pairs.items() if not new]
        if empty:
            raise OptionError(f"{self.name}: subset {empty[0]!r} needs a new name "
                              f"(old:new)")
        moved: Counter[tuple[str, str]] = Counter()
        seen: dict[tuple[str, str], str] = {}
        items = list(dataset)
        for item in items:
            new = pairs.get(item.subset, item.subset)
            key = (new, item.id)
            if key in seen:
                raise DataError(f"map_subsets: item {item.id!r} of subset {item.subset!r} "
                                f"meets the one of subset {seen[key]!r} in {new!r}",
                                file=item.id)
            seen[key] = item.subset
            if new != item.subset:
                moved[(item.subset, new)] += 1
                item.subset = new
        dataset.replace_items(items)
        for (old, new), count in moved.items():
            ctx.report.approximated("items", f"moved from subset {old!r} to {new!r} "
                                    "(map_subsets)", count)
        return dataset
