"""The filter and split transforms on generated datasets: counts, report lines,
determinism, stratification quality, groups."""
from __future__ import annotations

import random

import pytest

import cococonv
from cococonv.errors import DataError, OptionError
from cococonv.model import Bbox, Categories, Dataset, Image, Item
from cococonv.report import Report
from cococonv.splitting import parse_ratios, split_dataset

LABELS = ["car", "bus", "bike", "person", "dog"]
SHARES = [0.9, 0.3, 0.1, 0.05, 0.03]


def generated(n=600, seed=1, reverse=False) -> Dataset:
    rng = random.Random(seed)
    cats = Categories()
    for name in LABELS:
        cats.add(name)
    items = []
    for i in range(n):
        anns = [Bbox(label=label, w=rng.randint(1, 60), h=10)
                for label, share in enumerate(SHARES) if rng.random() < share
                for _ in range(rng.randint(1, 3))]
        items.append(Item(id=f"clip{i // 10}/f_{i:05d}", subset="train" if i % 3 else "val",
                          image=Image(f"clip{i // 10}/f_{i:05d}.jpg", size=(100, 200)),
                          annotations=anns, attributes={"camera": i % 7}))
    return Dataset(cats, reversed(items) if reverse else items)


def test_filter_keeps_matches_and_reports_every_drop_by_label():
    dataset = generated(60)
    before = sum(len(item.annotations) for item in dataset)
    report = Report()
    result = cococonv.transform(dataset, "filter", report=report,
                                annotations='label in ("car", "bus") and area > 200',
                                items='subset == "train"', remove_empty=True)
    assert all(item.subset == "train" and item.annotations for item in result)
    assert all(ann.label in (0, 1) and ann.w * ann.h > 200
               for item in result for ann in item.annotations)
    kept = sum(len(item.annotations) for item in result)
    lost = report.as_dict()["lost"]
    dropped_anns = sum(row["count"] for row in lost if row["what"].startswith("annotations"))
    assert kept + dropped_anns == before
    whats = {row["what"] for row in lost}
    assert "annotations of label 'dog'" in whats and "items" in whats
    items_lost = sum(row["count"] for row in lost if row["what"] == "items")
    assert items_lost + len(result) == 60


def test_filter_invert_drops_what_matches():
    dataset = generated(30)
    result = cococonv.filter_dataset(dataset, annotations='label == "car"', invert=True)
    assert all(ann.label != 0 for item in dataset for ann in item.annotations)
    assert result.as_dict()["annotations"]["by_label"]["car"]["kept"] == 0


def test_filter_option_is_checked_before_reading():
    with pytest.raises(OptionError, match="--annotations: column 7: "):
        cococonv.transform(generated(3), "filter", annotations="area >")


def test_ratios_are_checked_and_normalised():
    assert parse_ratios(["a=0.5", "b=0.505"]) == pytest.approx({"a": 0.5 / 1.005, "b": 0.505 / 1.005})
    for bad, message in [(["a=0.5"], "sum to 0.5"), (["a=-0.1", "b=1.1"], "negative"),
                         (["a"], "NAME=FRACTION"), (["a=x"], "NAME=FRACTION"),
                         (["a=0.5", "a=0.5"], "twice"), (["../a=1"], "not a subset name"),
                         ([], "at least one")]:
        with pytest.raises(OptionError, match=message):
            parse_ratios(bad)


def _assignment(dataset):
    return [(item.id, item.subset) for item in dataset]


def test_same_seed_same_split_whatever_the_input_order():
    one = split_dataset(generated(), ratios=["train=0.7", "val=0.3"], seed=5).dataset
    two = split_dataset(generated(reverse=True), ratios=["train=0.7", "val=0.3"], seed=5).dataset
    assert sorted(_assignment(one)) == sorted(_assignment(two))
    other = split_dataset(generated(), ratios=["train=0.7", "val=0.3"], seed=6).dataset
    assert _assignment(other) != _assignment(one)


def test_item_counts_follow_the_ratios():
    result = split_dataset(generated(), ratios=["train=0.8", "val=0.1", "test=0.1"], seed=2)
    assert [result.subsets[s]["items"] for s in ("train", "val", "test")] == [480, 60, 60]


def test_stratified_split_keeps_each_labels_share():
    ratios = {"train": 0.8, "val": 0.1, "test": 0.1}
    for seed in range(3):
        result = split_dataset(generated(), ratios=ratios, seed=seed, stratify="label")
        for label in LABELS:
            counts = {s: result.subsets[s]["labels"].get(label, 0) for s in ratios}
            total = sum(counts.values())
            for subset, share in ratios.items():
                # rare labels (dog: ~40 annotations) may be one or two annotations off
                assert abs(counts[subset] - share * total) <= max(0.03 * total, 2), \
                    (seed, label, counts)
        sizes = [result.subsets[s]["items"] for s in ratios]
        assert abs(sizes[0] - 480) <= 12 and all(abs(n - 60) <= 8 for n in sizes[1:])


@pytest.mark.parametrize("group_by", ["folder", "sequence", "attr.camera"])
def test_groups_stay_together(group_by):
    dataset = generated(200)
    key = {"folder": lambda i: i.id.split("/")[0], "sequence": lambda i: i.id.split("/")[0],
           "attr.camera": lambda i: i.attributes["camera"]}[group_by]
    split_dataset(dataset, ratios=["train=0.5", "val=0.5"], seed=1, group_by=group_by,
                  stratify="label")
    subsets: dict = {}
    for item in dataset:
        subsets.setdefault(key(item), set()).add(item.subset)
    assert all(len(found) == 1 for found in subsets.values())
    assert {item.subset for item in dataset} == {"train", "val"}


def test_subsets_option_splits_only_those_and_ids_must_be_unique():
    dataset = generated(90)
    val_ids = {item.id for item in dataset if item.subset == "val"}
    split_dataset(dataset, ratios=["train=0.5", "holdout=0.5"], subsets=["train"], seed=0)
    assert {item.id for item in dataset if item.subset == "val"} == val_ids
    assert {item.subset for item in dataset} == {"train", "holdout", "val"}
    clash = Dataset(items=[Item(id="a", subset="train", image=Image("a.jpg")),
                           Item(id="a", subset="val"),
                           Item(id="b", subset="val")])
    report = Report()
    split_dataset(clash, ratios=["train=0.5", "val=0.5"], report=report)
    assert sorted(item.id for item in clash) == ["b", "train/a", "val/a"]
    assert clash.get(next(i.subset for i in clash if i.id == "train/a"),
                     "train/a").image.name == "train/a.jpg"
    assert report.as_dict()["approximated"] == [
        {"what": "item ids and image names", "how": "found in several subsets: the old subset put in front "
                                    "(split)", "count": 2}]
    again = Dataset(items=[Item(id="a", subset="train"), Item(id="train/a", subset="val"),
                           Item(id="a", subset="val")])
    with pytest.raises(DataError, match="even with its old subset in front"):
        split_dataset(again, ratios=["train=0.5", "val=0.5"])
    with pytest.raises(DataError, match="no subset 'nope'"):
        split_dataset(generated(5), ratios=["a=1"], subsets=["nope"])


def test_split_transform_options_are_checked():
    with pytest.raises(OptionError, match="--group-by"):
        cococonv.transform(generated(3), "split", group_by="video")
    with pytest.raises(OptionError, match="sum to"):
        cococonv.transform(generated(3), "split", ratios="a=0.2")
    out = cococonv.transform(generated(20), "split", ratios="a=0.5,b=0.5", seed=1)
    assert sorted({item.subset for item in out}) == ["a", "b"]


def test_a_label_the_dataset_lacks_is_warned_about():
    report = Report(quiet=True)
    cococonv.filter_dataset(generated(5), annotations='label in ("car", "cra")', report=report)
    assert len(report.warnings) == 1 and "'cra'" in report.warnings[0]
    assert "'car'" not in report.warnings[0].split("(labels")[0]


def test_sequence_prefix_is_linear_and_strips_frame_numbers():
    from cococonv.splitting import sequence_prefix
    from tests.scaling import assert_linear
    assert sequence_prefix("clip7_000123") == "clip7"
    assert sequence_prefix("clip7-12") == "clip7" and sequence_prefix("000123") == ""
    assert sequence_prefix("still") is None
    assert sequence_prefix("_" * 200_000 + "x") is None
    assert sequence_prefix("a" + "_" * 200_000 + "1") == "a"
    # a regex backtracked quadratically on long runs of separators
    assert_linear(lambda n: lambda: sequence_prefix("a" + "_" * n + "1" * n), 1_000, 10_000)
