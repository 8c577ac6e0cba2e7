"""remap_labels and map_subsets."""
from __future__ import annotations

import pytest

from cococonv.errors import CococonvError
from cococonv.model import Bbox, Label

from .transform_helpers import counted, dataset_of, item, run


def _animals():
    return dataset_of(["cat", "dog", "junk", "tree"], [
        item("x", Bbox(id=1, label=0), Bbox(id=2, label=1), Label(id=3, label=2)),
        item("y", Bbox(id=4, label=1), Bbox(id=5, label=3), Bbox(id=6)),
        item("z", Bbox(id=7, label=0), subset="val")])


def test_remap_labels_renames_joins_and_deletes_counting_every_annotation():
    data, report = run(_animals(), "remap_labels", mapping="cat:animal,dog:animal,junk:")
    assert [label.name for label in data.categories.labels] == ["animal", "tree"]
    labels = [[data.categories.name_of(a.label) for a in i.annotations] for i in data]
    assert labels == [["animal", "animal"], ["animal", "tree", None], ["animal"]]
    assert counted(report, "annotations", "'cat' -> 'animal'") == 2
    assert counted(report, "annotations", "'dog' -> 'animal'") == 2
    assert counted(report, "annotations", "'junk' deleted") == 1
    assert counted(report, "labels", "deleted") == 1
    assert counted(report, "labels", "joined") == 1


def test_remap_labels_default_delete_keeps_only_the_labels_named():
    data, report = run(_animals(), "remap_labels", mapping=["tree:plant"], default="delete")
    assert [label.name for label in data.categories.labels] == ["plant"]
    assert sum(len(i.annotations) for i in data) == 2  # the tree box and the unlabelled one
    assert counted(report, "annotations", "deleted") == 5
    assert counted(report, "annotations", "'tree' -> 'plant'") == 1


def test_remap_labels_refuses_a_label_the_dataset_does_not_have():
    with pytest.raises(CococonvError, match="no label 'bird'.*has: cat, dog, junk, tree"):
        run(_animals(), "remap_labels", mapping="bird:animal")
    with pytest.raises(CococonvError, match="is not old:new"):
        run(_animals(), "remap_labels", mapping="cat")


def test_map_subsets_renames_and_joins_subsets_and_counts_the_moved_items():
    data, report = run(_animals(), "map_subsets", subsets="default:train,val:train")
    assert data.subsets == ["train"]
    assert data.get("train", "z") is not None
    assert counted(report, "items", "from subset 'default' to 'train'") == 2
    assert counted(report, "items", "from subset 'val' to 'train'") == 1


def test_map_subsets_refuses_unknown_subsets_and_items_that_would_meet():
    with pytest.raises(CococonvError, match="no subset 'test'"):
        run(_animals(), "map_subsets", subsets="test:train")
    data = dataset_of([], [item("x"), item("x", subset="val")])
    with pytest.raises(CococonvError, match="item 'x' of subset 'val' meets"):
        run(data, "map_subsets", subsets="val:default")
