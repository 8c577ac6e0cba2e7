"""reindex, category_ids and id_from_image_name."""
from __future__ import annotations

import pytest

from cococonv.errors import CococonvError
from cococonv.model import Bbox, LabelCategory

from .transform_helpers import counted, dataset_of, item, run


def _three():
    return dataset_of(["a", "b"], [
        item("x", Bbox(id=70, label=0), Bbox(id=71, label=1), image_id=30),
        item("y", Bbox(id=5, label=1), image_id=4),
        item("z", Bbox(id=9, label=0), subset="val", image_id=8)])


def test_reindex_renumbers_each_kind_per_subset_and_counts_the_changes():
    data, report = run(_three(), "reindex")
    assert [i.image_id for i in data] == [1, 2, 1]
    assert [[a.id for a in i.annotations] for i in data] == [[1, 2], [3], [1]]
    assert [label.id for label in data.categories.labels] == [1, 2]
    assert [i.id for i in data] == ["x", "y", "z"]  # file names never change
    assert counted(report, "image ids") == 3
    assert counted(report, "annotation ids") == 4
    assert counted(report, "category ids") == 0  # they were 1 and 2 already


def test_reindex_what_and_start_choose_the_ids_and_keep_source_ids_keeps_them():
    data, report = run(_three(), "reindex", what="annotations", start=0, keep_source_ids=True)
    assert [i.image_id for i in data] == [30, 4, 8]
    assert [[a.id for a in i.annotations] for i in data] == [[0, 1], [2], [0]]
    assert [a.attributes["source_id"] for a in next(iter(data)).annotations] == [70, 71]
    assert "source_id" not in next(iter(data)).attributes
    data, _ = run(_three(), "reindex", what=["images"], keep_source_ids=True)
    assert [i.attributes["source_id"] for i in data] == [30, 4, 8]
    assert all("source_id" not in label.extra for label in data.categories.labels)


def test_reindex_keep_source_ids_keeps_the_previous_category_ids_too():
    data = _three()
    data.categories.labels[0].id, data.categories.labels[1].id = 7, 2
    data, report = run(data, "reindex", what="categories", start=1, keep_source_ids=True)
    assert [label.id for label in data.categories.labels] == [1, 2]
    assert [label.extra.get("source_id") for label in data.categories.labels] == [7, None]
    assert counted(report, "category ids") == 1  # 2 stayed 2: nothing to keep


def test_reindex_refuses_an_unknown_part():
    with pytest.raises(CococonvError, match="'labels' is not one of"):
        run(_three(), "reindex", what="labels")


def _gappy():
    data = dataset_of([], [item("x", Bbox(id=1, label=2), Bbox(id=2, label=0))])
    data.categories.labels = [LabelCategory("a", id=4), LabelCategory("gap", id=5,
                                                                      placeholder=True),
                              LabelCategory("b", id=2), LabelCategory("c")]
    return data


@pytest.mark.parametrize("mode, ids", [("keep", [4, 5, 2, 6]), ("compact", [3, 2, 4]),
                                       ("zero-based", [0, 1, 2]), ("one-based", [1, 2, 3])])
def test_category_ids_modes(mode, ids):
    data, report = run(_gappy(), "category_ids", category_ids=mode)
    assert [label.id for label in data.categories.labels] == ids
    if mode != "keep":
        assert [label.name for label in data.categories.labels] == ["a", "b", "c"]
        assert counted(report, "placeholder labels (gaps between category ids)") == 1
        # annotations follow their labels to the new indices
        assert [data.categories.labels[a.label].name for a in next(iter(data)).annotations] \
            == ["b", "a"]


def test_id_from_image_name_renames_and_counts_what_it_cannot():
    data = dataset_of(["a"], [item("1", image_name="dir/cat.jpg"),
                              item("2", image_name="dog.png"), item("3", image_name="dog.jpg"),
                              item("4", image_name="")])
    data, report = run(data, "id_from_image_name")
    assert [i.id for i in data] == ["dir/cat", "2", "3", "4"]
    assert data.get("default", "dir/cat") is not None
    assert counted(report, "item ids", "image file names") == 1
    assert counted(report, "item ids from image names", "another item") == 2
    assert counted(report, "item ids from image names", "no image") == 1


def test_id_from_image_name_refuses_two_items_of_one_id():
    data = dataset_of([], [item("b", image_name="a.jpg"), item("a", image_name="")])
    with pytest.raises(CococonvError, match="would both be 'a'"):
        run(data, "id_from_image_name")
