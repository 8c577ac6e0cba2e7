"""A label that only fills a gap in category ids is a typed field, not a magic extra key."""
from __future__ import annotations

import cococonv
from cococonv.model import LabelCategory

from .builders import coco_ann, coco_doc, read_json, write_coco


def test_label_category_keeps_its_positional_construction():
    label = LabelCategory("cat", "animal", 3, ["age"], {"k": 1})
    assert (label.name, label.parent, label.id, label.attributes, label.extra,
            label.placeholder) == ("cat", "animal", 3, ["age"], {"k": 1}, False)


def test_gaps_in_category_ids_become_placeholders_no_exporter_writes(tmp_path):
    categories = [{"id": 1, "name": "cat", "supercategory": ""},
                  {"id": 4, "name": "dog", "supercategory": ""}]
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(
        categories=categories, annotations=[coco_ann(category_id=4)])})
    dataset = cococonv.load(str(source), "coco", keep_original_category_ids=True, jobs=1)
    labels = dataset.categories.labels
    assert [label.placeholder for label in labels] == [True, False, True, True, False]
    assert all("placeholder" not in label.extra for label in labels)
    cococonv.save(dataset, "coco", str(tmp_path / "coco"), jobs=1)
    written = read_json(tmp_path / "coco" / "annotations" / "instances_val.json")
    assert [c["name"] for c in written["categories"]] == ["cat", "dog"]
    cococonv.save(dataset, "cvat", str(tmp_path / "cvat"), jobs=1)
    xml = next((tmp_path / "cvat").rglob("*.xml")).read_text()
    assert "class-2" not in xml and "dog" in xml


def test_keep_original_category_ids_keeps_each_categorys_own_fields(tmp_path):
    """The categories' unknown keys moved with their labels: 'color' of id 3 was written
    on id 1 and id 3 lost it (found while making placeholder a field)."""
    categories = [{"id": 1, "name": "cat", "supercategory": "", "color": "red"},
                  {"id": 3, "name": "dog", "supercategory": "", "color": "blue"}]
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc(
        categories=categories, annotations=[coco_ann(category_id=3)])})
    dataset = cococonv.load(str(source), "coco", keep_original_category_ids=True, jobs=1)
    cococonv.save(dataset, "coco", str(tmp_path / "out"), jobs=1)
    written = read_json(tmp_path / "out" / "annotations" / "instances_val.json")
    assert written["categories"] == categories
