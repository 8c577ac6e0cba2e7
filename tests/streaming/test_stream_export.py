"""The COCO exporter given a stream (a Source that is no Dataset): the same bytes and report
as for the Dataset, its items walked twice and never held."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cococonv import testing
from cococonv.model import Dataset

from .walks import Walks as _Walks, saved


def _save(source, out: Path, on_error: str, **options):
    return saved(source, "coco", out, on_error, **options)


@pytest.mark.parametrize("options", [{}, {"reindex": True}, {"tasks": ["instances"]}],
                         ids=["ids kept", "reindex", "instances only"])
def test_stream_gives_the_datasets_bytes(tmp_path: Path, options: dict) -> None:
    dataset = testing.rich_dataset()
    stream = _Walks(dataset)
    assert _save(stream, tmp_path / "s", "fail", **options) == \
        _save(dataset, tmp_path / "d", "fail", **options)
    assert stream.walks == 2  # the plan's survey, then the records


@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_a_bad_item_is_dropped_once(tmp_path: Path, on_error: str) -> None:
    dataset = testing.rich_dataset()
    items = list(dataset)
    # two items of one subset naming one image file: the later is a bad record
    items[1] = replace(items[1], subset=items[0].subset, image=items[0].image)
    dataset = Dataset(dataset.categories, items, dataset.meta)
    assert _save(_Walks(dataset), tmp_path / "s", on_error) == \
        _save(dataset, tmp_path / "d", on_error)
