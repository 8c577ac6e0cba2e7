"""Small in-memory datasets and a runner for the transform tests."""
from __future__ import annotations

from typing import Any

import cococonv
from cococonv.model import Categories, Dataset, Image, Item
from cococonv.report import Report


def dataset_of(labels: list[str], items: list[Item]) -> Dataset:
    categories = Categories()
    for index, name in enumerate(labels):
        categories.add(name, id=index + 1)
    return Dataset(categories, items)


def item(item_id: str, *annotations: Any, subset: str = "default", size=(10, 10),
         image_name: str | None = None, image_id: Any = None) -> Item:
    name = image_name if image_name is not None else f"{item_id}.jpg"
    return Item(item_id, subset, Image(name, size), list(annotations), image_id=image_id)


def run(dataset: Dataset, name: str, **options: Any) -> tuple[Dataset, dict[str, Any]]:
    """The transformed dataset and the report as JSON data."""
    report = Report(quiet=True)
    result = cococonv.transform(dataset, name, report=report, **options)
    return result, report.as_dict()


def counted(report: dict[str, Any], what: str, why_part: str = "") -> int:
    """The count of the report rows about ``what`` whose reason holds ``why_part``."""
    rows = [(r["what"], r.get("why", r.get("how")), r["count"])
            for r in report["lost"] + report["approximated"]]
    return sum(c for w, y, c in rows if w == what and why_part in y)
