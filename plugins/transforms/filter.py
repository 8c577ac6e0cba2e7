"""The ``filter`` transform: keep or drop items and annotations by expressions."""
from __future__ import annotations

from cococonv.context import Context
from cococonv.filtering import compile_filters, filter_dataset
from cococonv.model import Dataset
from cococonv.plugin import Option, Transform


def _check_items(text: str) -> None:
    compile_filters(items=text)


def _check_annotations(text: str) -> None:
    compile_filters(annotations=text)


class FilterTransform(Transform):
    """Keep the items and annotations an expression matches (docs/commands/filter.md).

    Every item and annotation dropped is counted in the report, by label and reason.
    """

    name = "filter"
    options = (
        Option("items", str, "", "Keep the items this expression matches, e.g. "
               "'subset == \"train\" and image_width >= 640'.", check=_check_items),
        Option("annotations", str, "", "Keep the annotations this expression matches, e.g. "
               "'label in (\"car\",\"bus\") and area > 32*32'.", check=_check_annotations),
        Option("invert", bool, False, "Drop what the expressions match, keep the rest."),
        Option("remove_empty", bool, False, "Drop the items left without annotations."),
    )

    def apply(self, dataset: Dataset, ctx: Context, *, items: str, annotations: str,
              invert: bool, remove_empty: bool) -> Dataset:
        return filter_dataset(dataset, items=items or None, annotations=annotations or None,
                              invert=invert, remove_empty=remove_empty,
                              report=ctx.report).dataset
