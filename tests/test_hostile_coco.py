"""Odd values anywhere in a COCO file give a clean DataError or a conversion, never a crash."""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cococonv
from cococonv.errors import CococonvError
from cococonv.report import Report

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coco_small" / "annotations"
DOCS = [json.loads((EXAMPLE / name).read_text())
        for name in ("instances_train.json", "person_keypoints_train.json")]
ODD_VALUES = [None, 1, -1, 0, 1.5, "x", "", [], [1], [[1]], {}, {"a": 1}, True, 2 ** 70,
              [1, 2, 3, 4], [[1, 2, 3, 4, 5, 6]], {"size": [48, 64], "counts": "abc"},
              {"size": [48, 64], "counts": [3072]}, {"size": "x"}, [None], ["a"], 1e300]

mutation = st.tuples(st.sampled_from(["images", "annotations", "categories"]),
                     st.integers(0, 10), st.integers(0, 20), st.sampled_from(ODD_VALUES))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_index=st.integers(0, 1), mutations=st.lists(mutation, min_size=1, max_size=3),
       target=st.sampled_from(["coco", "voc", "cvat"]))
def test_odd_values_never_crash_the_conversion(tmp_path, doc_index, mutations, target):
    doc = copy.deepcopy(DOCS[doc_index])
    for section, record_index, key_index, value in mutations:
        records = doc[section]
        record = records[record_index % len(records)]
        keys = sorted(record) + ["extra_key"]
        record[keys[key_index % len(keys)]] = value
    source = tmp_path / "odd.json"
    source.write_text(json.dumps(doc))
    out = tmp_path / f"out-{uuid.uuid4().hex}"  # examples share tmp_path
    try:
        cococonv.convert(str(source), str(out), input_format="coco", output_format=target,
                         overwrite=True, report=Report(quiet=True))
    except CococonvError as err:
        # Input errors name the file; a value the target cannot hold (a label name VOC's
        # labelmap.txt cannot write) names the label or item instead.
        assert str(err).startswith(("odd.json: ", "label ", "item "))
        assert not out.exists()


@pytest.mark.parametrize("value", [[1], {"a": 1}, None, 1.5])
def test_unhashable_or_odd_ids_are_reported_not_crashed(tmp_path, value):
    doc = copy.deepcopy(DOCS[0])
    doc["annotations"][0]["category_id"] = value
    source = tmp_path / "odd.json"
    source.write_text(json.dumps(doc))
    with pytest.raises(CococonvError, match=r"annotations\[0\]\.category_id"):
        cococonv.load(str(source), "coco")
