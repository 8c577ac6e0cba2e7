"""cococonv.merge / cococonv.merging: the merged dataset's counts, every reassignment in the
log, conflicts settled by policy, modes, repeats kept once, inputs untouched, streaming."""
from __future__ import annotations

import copy
import gc
import weakref

import pytest

import cococonv
from cococonv import (Bbox, Categories, Dataset, Image, Item, KeypointSchema, LabelCategory,
                      Polygon, Report)
from cococonv.errors import DataError, OptionError
from cococonv.merging import Merger, merge_datasets

TERRAIN = "sahi/coco_utils"


def dataset(labels, *items, keypoints=None):
    cats = Categories([LabelCategory(name, id=cid) for name, cid in labels],
                      keypoints=keypoints or {})
    return Dataset(cats, items)


def item(name, image_id, *annotations, subset="train", size=(8, 10), item_id=None):
    return Item(item_id or name.rsplit(".", 1)[0], subset, Image(name, size),
                list(annotations), image_id=image_id)


def box(ann_id, label=0, x=1.0, y=1.0, **fields):
    return Bbox(id=ann_id, label=label, x=x, y=y, w=2.0, h=2.0, **fields)


def quiet():
    return Report(quiet=True)


def test_two_fixtures_with_shared_labels_and_clashing_ids(fixtures_root):
    one = cococonv.load(str(fixtures_root / TERRAIN / "terrain1_coco.json"), report=quiet())
    everything = cococonv.load(str(fixtures_root / TERRAIN / "terrain_all_coco.json"),
                               report=quiet())
    report = quiet()
    merged, log = merge_datasets([one, everything], report, names=["one", "all"])
    # terrain1.jpg is in both, with the same 7 objects: kept once.
    assert [(i.image.name, i.image_id, len(i.annotations)) for i in merged] == [
        ("terrain1.jpg", 1, 7), ("terrain3.png", 4, 10), ("terrain2.png", 2, 5)]
    assert [label.name for label in merged.categories.labels] == ["human", "car"]
    assert sum(len(i.annotations) for i in merged) == 22
    ids = [a.id for i in merged for a in i.annotations]
    assert len(set(ids)) == len(ids)
    assert [(r[0], r[3], r[4], r[5]) for r in log.reassignments] == [
        ("image id", "terrain3.png", 1, 4),
        *[("annotation id", "terrain3.png", old, 22 + old) for old in range(1, 8)],
        ("image id", "terrain1.jpg", 3, 1)]
    assert report.approximations[("image ids", next(
        how for what, how in report.approximations if what == "image ids"))] == 2
    assert [s.as_dict() for s in log.inputs] == [
        {"input": "one", "items": 1, "matched_items": 0, "annotations": 7,
         "duplicate_annotations": 0},
        {"input": "all", "items": 3, "matched_items": 1, "annotations": 15,
         "duplicate_annotations": 7}]


@pytest.mark.parametrize("policy, names", [("first", []), ("union", []),
                                           ("last", ["a_1", "a_2", "a_3"])])
def test_keypoint_schemas_of_one_label_are_compared(fixtures_root, policy, names):
    theirs = [cococonv.load(str(fixtures_root / root / "coco_dataset/coco_person_keypoints"),
                            report=quiet()) for root in ("datumaro", "cvat-ai-datumaro")]
    merged, log = merge_datasets(theirs, quiet(), on_conflict=policy)
    assert merged.categories.keypoints[0].names == names
    assert [(c[0], c[3]) for c in log.conflicts] == [("keypoint schema", "a")]
    with pytest.raises(DataError, match=r"label 'a': keypoint schema differs between an "
                                        r"earlier input and input 2 \(points \[\] skeleton"):
        merge_datasets(theirs, quiet(), on_conflict="fail")


def test_clashing_category_and_annotation_ids_are_reassigned_and_parts_stay_together():
    a = dataset([("cat", 1)], item("x.jpg", 1, box(1)))
    parts = [Polygon(id=1, label=1, points=[0, 0, 1, 0, 1, 1], group=1),
             Polygon(id=1, label=1, points=[5, 5, 6, 5, 6, 6], group=1)]
    b = dataset([("cat", 2), ("dog", 1)], item("y.jpg", 2, *parts))
    merged, log = merge_datasets([a, b], quiet(), names=["a", "b"])
    assert [(label.name, label.id) for label in merged.categories.labels] == [("cat", 1),
                                                                               ("dog", 3)]
    assert [a.id for a in merged.get("train", "y").annotations] == [2, 2]
    assert [r[:1] + r[3:] for r in log.reassignments] == [
        ("category id", "cat", 2, 1), ("category id", "dog", 1, 3),
        ("annotation id", "y.jpg", 1, 2)]
    assert b.categories.labels[1].id == 1 and parts[0].id == 1  # inputs untouched


def test_same_item_id_for_another_file_is_renamed():
    a = dataset([("cat", 1)], item("x.jpg", 1))
    b = dataset([("cat", 1)], item("x.png", 2))
    merged, log = merge_datasets([a, b], quiet(), names=["a", "b"])
    assert [(i.id, i.image.name) for i in merged] == [("x", "x.jpg"), ("x~2", "x.png")]
    assert log.reassignments == [("item id", "b", "train", "x.png", "x", "x~2")]


def inputs_with_different_boxes():
    a = dataset([("cat", 1)], item("x.jpg", 1, box(1), box(2, x=4.0)))
    b = dataset([("cat", 1)], item("x.jpg", 1, box(5), box(6, x=7.0)))
    return a, b


@pytest.mark.parametrize("policy, kept, lost", [
    ("union", [(1, 1.0), (2, 4.0), (6, 7.0)], 0),
    ("first", [(1, 1.0), (2, 4.0)], 1),
    ("last", [(1, 1.0), (6, 7.0)], 1)])
def test_on_conflict_settles_differing_annotations(policy, kept, lost):
    report = quiet()
    merged, log = merge_datasets(inputs_with_different_boxes(), report, on_conflict=policy)
    assert [(a.id, a.x) for a in merged.get("train", "x").annotations] == kept
    assert sum(report.losses.values()) == lost
    assert [(c[0], c[4]) for c in log.conflicts] == [
        ("annotations", "1 annotation(s) only in the earlier, 1 only in the later")]


def test_on_conflict_fail_names_the_item_and_both_inputs():
    with pytest.raises(DataError) as caught:
        merge_datasets(inputs_with_different_boxes(), quiet(), names=["a", "b"],
                       on_conflict="fail")
    assert str(caught.value) == ("train/x.jpg: annotations differs between a and b "
                                 "(1 annotation(s) only in the earlier, 1 only in the later); "
                                 "choose with --on-conflict first|last|union")


@pytest.mark.parametrize("shift, tolerance, repeated", [
    (0.0005, None, True), (0.01, None, False), (0.01, 0.05, True)])
def test_repeats_are_kept_once_within_the_tolerance(shift, tolerance, repeated):
    a = dataset([("cat", 1)], item("x.jpg", 1, box(1, attributes={"occluded": True})))
    b = dataset([("cat", 1)], item("x.jpg", 1, box(9, x=1.0 + shift,
                                                    attributes={"occluded": True})))
    merged = cococonv.merge([a, b], report=quiet(), tolerance=tolerance)
    assert len(merged.get("train", "x").annotations) == (1 if repeated else 2)


def test_other_attributes_or_labels_are_not_repeats():
    a = dataset([("cat", 1), ("dog", 2)], item("x.jpg", 1, box(1)))
    b = dataset([("cat", 1), ("dog", 2)], item("x.jpg", 1, box(1, attributes={"a": 1}),
                                               box(2, label=1)))
    merged = cococonv.merge([a, b], report=quiet())
    assert len(merged.get("train", "x").annotations) == 3


def test_modes():
    a = dataset([("cat", 1)], item("x.jpg", 1), item("y.jpg", 2))
    b = dataset([("cat", 1)], item("y.jpg", 2), item("z.jpg", 3))
    assert [i.id for i in cococonv.merge([a, b], report=quiet())] == ["x", "y", "z"]
    report = quiet()
    assert [i.id for i in cococonv.merge([a, b], report=report, mode="intersect")] == ["y"]
    assert sum(report.losses.values()) == 2
    with pytest.raises(DataError) as caught:
        cococonv.merge([a, b], report=quiet(), mode="exact", names=["a", "b"])
    assert str(caught.value) == ("b: --mode exact: the inputs do not hold the same items: "
                                 "train/x.jpg only in a; train/z.jpg only in b")
    assert len(cococonv.merge([a, copy.deepcopy(a)], report=quiet(), mode="exact")) == 2
    with pytest.raises(OptionError):
        Merger(mode="some")


class Probe:
    """Something a weak reference can point at, held only by one input's meta."""


def test_inputs_are_folded_one_at_a_time():
    """A generator of inputs: each is freed before the next is made (streaming)."""
    seen: list[weakref.ref] = []

    def inputs():
        for n in range(3):
            gc.collect()
            assert all(ref() is None for ref in seen), "an earlier input is still held"
            made = dataset([("cat", 1)], item(f"{n}.jpg", n, box(n)))
            made.meta["probe"] = probe = Probe()  # Dataset has slots, no weak references
            seen.append(weakref.ref(probe))
            del probe
            yield made
            del made
    merged = cococonv.merge(inputs(), report=quiet())
    assert [i.image_id for i in merged] == [0, 1, 2]


def test_keypoint_schema_of_one_input_only_is_taken():
    schema = KeypointSchema(["a", "b"], [[1, 2]])
    a = dataset([("person", 1)], item("x.jpg", 1))
    b = dataset([("person", 1)], item("x.jpg", 1), keypoints={0: schema})
    merged, log = merge_datasets([a, b], quiet())
    assert merged.categories.keypoints == {0: schema} and not log.conflicts


def test_finding_repeats_is_not_quadratic(monkeypatch):
    """Each annotation is compared with about one other, not with every object of the item."""
    from cococonv.merging import matching
    calls = []
    real = matching.same_annotation
    monkeypatch.setattr(matching, "same_annotation",
                        lambda a, b, tolerance: calls.append(1) or real(a, b, tolerance))
    boxes = [box(n, x=float(n % 100) * 3, y=float(n // 100) * 3) for n in range(3000)]
    a = dataset([("cat", 1)], item("x.jpg", 1, *boxes))
    # reversed: the grid, not the order, finds each twin
    b = dataset([("cat", 1)], item("x.jpg", 1, *reversed(copy.deepcopy(boxes))))
    merged = cococonv.merge([a, b], report=quiet())
    assert len(merged.get("train", "x").annotations) == 3000
    assert len(calls) < 2 * 3000
