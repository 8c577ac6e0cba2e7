"""cococonv.stats: the numbers of a fixture and of a generated dataset."""
from __future__ import annotations

from cococonv import api
from cococonv.stats import dataset_stats, quantiles

from .planted import clean_doc, planted, write


def test_quantiles_interpolate_linearly():
    assert quantiles([4.0, 1.0, 3.0, 2.0]) == {"count": 4, "min": 1.0, "p25": 1.75,
                                               "median": 2.5, "p75": 3.25, "max": 4.0}
    assert quantiles([]) == {"count": 0, "min": None, "p25": None, "median": None,
                             "p75": None, "max": None}


def test_stats_of_the_instances_fixture(fixtures_root):
    s = dataset_stats(api.load(str(fixtures_root / "datumaro/coco_dataset/coco_instances")))
    assert s["items"] == 2 and s["subsets"] == {"train": 1, "val": 1}
    assert s["images_without_annotations"] == 0
    assert s["annotations_by_kind"] == {"bbox": 1, "mask": 1, "polygon": 1}
    assert s["annotations_by_label"] == {"b": {"bbox": 1, "mask": 1}, "a": {"polygon": 1}}
    # declared boxes [2,2,3,1], [0,0,1,2], [0,0,1,9]; declared areas 3, 2, 20
    assert s["boxes"]["width"] == {"count": 3, "min": 1.0, "p25": 1.0, "median": 1.0,
                                   "p75": 2.0, "max": 3.0}
    assert s["boxes"]["height"]["median"] == 2.0 and s["boxes"]["height"]["max"] == 9.0
    assert s["areas"] == {"count": 3, "min": 2.0, "p25": 2.5, "median": 3.0, "p75": 11.5,
                          "max": 20.0}
    assert s["image_sizes"]["distinct"] == 2
    assert s["image_sizes"]["width"] == {"min": 5, "max": 10}
    assert s["crowd"] == 1
    assert s["attributes"] == {"x": 1, "y": 1}


def test_keypoint_visibility_and_captions_of_the_all_tasks_fixture(fixtures_root):
    s = dataset_stats(api.load(str(fixtures_root / "datumaro/coco_dataset/coco")))
    assert s["keypoint_visibility"] == {"0": 1, "1": 1, "2": 7}
    assert s["annotations_by_label"]["<no label>"] == {"caption": 3}
    assert s["annotations"] == 19


def test_stats_of_a_generated_dataset(tmp_path):
    s = dataset_stats(api.load(str(write(tmp_path / "ds", clean_doc()))))
    assert s["items"] == 3 and s["images_without_annotations"] == 0
    assert s["annotations"] == 6
    assert s["annotations_by_label"] == {"cat": {"mask": 1, "polygon": 2},
                                         "dog": {"bbox": 1, "polygon": 2}}
    # squares of side 10, 8, 12, 20, the 6x5 box, the 10x10 crowd mask
    assert s["boxes"]["width"] == {"count": 6, "min": 6.0, "p25": 8.5, "median": 10.0,
                                   "p75": 11.5, "max": 20.0}
    assert s["areas"] == {"count": 6, "min": 30.0, "p25": 73.0, "median": 100.0,
                          "p75": 133.0, "max": 400.0}
    assert s["image_sizes"] | {"most_common": None} == {
        "distinct": 3, "unknown": 0, "height": {"min": 30, "max": 64},
        "width": {"min": 50, "max": 64}, "most_common": None}
    assert s["crowd"] == 1 and s["attributes"] == {}
    assert s["keypoint_visibility"] == {"0": 0, "1": 0, "2": 0}


def test_an_image_without_annotations_is_counted(tmp_path):
    root, _ = planted(tmp_path / "ds", ["missing_image"])
    s = dataset_stats(api.load(str(root)))
    assert s["items"] == 4 and s["images_without_annotations"] == 1
