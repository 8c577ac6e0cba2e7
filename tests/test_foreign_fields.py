"""cococonv.foreign_fields: which annotation extras another format loses, and the cap on
how many field names a report names."""
from __future__ import annotations

from cococonv import foreign_fields as FF
from cococonv.model import Bbox, Polygon


def test_own_namespace_bookkeeping_and_other_namespaces_are_not_lost():
    extra = {"cvat": {"source": "manual"}, "coco_task": "instances", "_no_category": True,
             "voc": {"pose": "Left"}, "track_id": 4, "labelme": "not a dict: a field"}
    assert FF.dropped_fields(extra, "cvat", lambda: frozenset({"cvat", "voc", "labelme"})) == \
        ["track_id", "labelme"]


def test_shapes_of_one_record_count_once_and_names_are_capped():
    shared = {"track_id": 1}
    counts: dict[str, int] = {}
    FF.count_dropped([Polygon(points=[0, 0, 1, 0, 1, 1], extra=shared),
                      Bbox(x=0, y=0, w=1, h=1, extra=shared)], "voc", frozenset, counts)
    assert counts == {"track_id": 1}
    many = [Bbox(x=0, y=0, w=1, h=1, extra={f"k{i}": i}) for i in range(FF.MAX_NAMED + 5)]
    FF.count_dropped(many, "voc", frozenset, counts)
    assert len(counts) == FF.MAX_NAMED + 1 and counts[FF.OTHERS] == 6
