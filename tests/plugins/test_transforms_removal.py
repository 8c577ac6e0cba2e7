"""remove_annotations, remove_attributes and remove_images_without_annotations."""
from __future__ import annotations

import pytest

from cococonv.errors import CococonvError
from cococonv.model import Bbox, Polygon

from .transform_helpers import counted, dataset_of, item, run


def _data():
    return dataset_of(["cat", "dog"], [
        item("x", Bbox(id=1, label=0, attributes={"occluded": True, "score": 0.5}),
             Polygon(id=2, label=1, points=[0, 0, 4, 0, 4, 4], attributes={"occluded": False})),
        item("y", Bbox(id=3, label=1)),
        item("z", subset="val")])


def test_remove_annotations_by_label_kind_and_id_counts_by_kind():
    data, report = run(_data(), "remove_annotations", labels="dog")
    assert [[a.id for a in i.annotations] for i in data] == [[1], [], []]
    assert counted(report, "bbox annotations") == 1
    assert counted(report, "polygon annotations") == 1
    data, _ = run(_data(), "remove_annotations", labels="dog", kinds="bbox")
    assert [[a.id for a in i.annotations] for i in data] == [[1, 2], [], []]
    data, _ = run(_data(), "remove_annotations", annotation_ids="1,3")
    assert [[a.id for a in i.annotations] for i in data] == [[2], [], []]


def test_remove_annotations_in_chosen_items_only():
    data, report = run(_data(), "remove_annotations", item_ids="default:y")
    assert [[a.id for a in i.annotations] for i in data] == [[1, 2], [], []]
    data, _ = run(_data(), "remove_annotations", item_ids="x")  # any subset
    assert [[a.id for a in i.annotations] for i in data] == [[], [3], []]
    with pytest.raises(CococonvError, match="no item 'val:x'"):
        run(_data(), "remove_annotations", item_ids="val:x")
    with pytest.raises(CococonvError, match="no label 'bird'"):
        run(_data(), "remove_annotations", labels="bird")


def test_remove_attributes_by_name_and_all():
    data = _data()
    next(iter(data)).attributes["weather"] = "rain"
    data, report = run(data, "remove_attributes", attributes="occluded")
    first = next(iter(data))
    assert [a.attributes for a in first.annotations] == [{"score": 0.5}, {}]
    assert first.attributes == {"weather": "rain"}
    assert counted(report, "annotation attributes", "'occluded'") == 2
    data, report = run(data, "remove_attributes", kinds="bbox", from_items=False)
    assert next(iter(data)).annotations[0].attributes == {}
    assert next(iter(data)).attributes == {"weather": "rain"}
    assert counted(report, "annotation attributes", "'score'") == 1


def test_remove_images_without_annotations_counts_per_subset():
    data, report = run(_data(), "remove_images_without_annotations")
    assert [i.id for i in data] == ["x", "y"]
    assert counted(report, "items", "subset 'val'") == 1
