"""Plugins own their extras: the namespaces come from the registry, not a list in core.

A third-party plugin's ``extra["labelstudio"]`` must not reach COCO records and must be
reported lost, as CVAT's and VOC's are; a plain COCO round trip must not load every plugin
to find that out.
"""
from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import cococonv
from cococonv.context import Context
from cococonv.model import Bbox, Categories, Dataset, Image, Item
from cococonv.plugin import Exporter, Importer
from cococonv.registry import GROUP, Registry

from .builders import coco_doc, write_coco

COCO = EntryPoint("coco", "cococonv_plugins.coco:PLUGINS", GROUP)
LOST = ("annotations' labelstudio fields (from_name)",
        "COCO has no place for them (a labelstudio export writes them back)")


class _LabelStudioImporter(Importer):
    """A third-party format that keeps its extras under its own namespace."""

    name = "labelstudio"
    namespace = "labelstudio"


class _LabelStudioExporter(Exporter):
    """Its exporter (never run here)."""

    name = "labelstudio"
    namespace = "labelstudio"


class _EntryPoint:
    """What the registry reads of an installed entry point; counts its loads."""

    name, value, dist = "labelstudio", "tests.test_namespaces:_EntryPoint.load", None
    loads = 0

    def load(self):
        type(self).loads += 1
        return (_LabelStudioImporter, _LabelStudioExporter)


def _registry() -> Registry:
    _EntryPoint.loads = 0
    return Registry([COCO, _EntryPoint()])


def _dataset(extra: dict) -> Dataset:
    categories = Categories()
    categories.add("cat")
    item = Item("a", image=Image("a.jpg", size=(10, 10)),
                annotations=[Bbox(id=1, label=0, x=1, y=1, w=2, h=2, extra=extra)])
    return Dataset(categories, [item])


def _records(out) -> list[dict]:
    return json.loads((out / "annotations" / "instances_default.json").read_text())[
        "annotations"]


def test_the_registry_lists_every_plugins_namespace():
    assert _registry().namespaces() == {"coco", "labelstudio"}
    assert Registry([_EntryPoint()]).namespaces() == {"labelstudio"}


def test_a_third_party_namespace_is_not_written_into_coco_records_and_is_lost(tmp_path):
    extra = {"labelstudio": {"from_name": "box"}, "note": "kept"}
    report = cococonv.save(_dataset(extra), "coco", str(tmp_path / "out"),
                           registry=_registry(), jobs=1)
    (record,) = _records(tmp_path / "out")
    assert "labelstudio" not in record
    assert record["note"] == "kept"  # a key no plugin declares is the source's own
    assert report.losses[LOST] == 1


def test_a_namespace_name_holding_no_dict_is_the_sources_own(tmp_path):
    report = cococonv.save(_dataset({"labelstudio": 3}), "coco", str(tmp_path / "out"),
                           registry=_registry(), jobs=1)
    assert _records(tmp_path / "out")[0]["labelstudio"] == 3
    assert LOST not in report.losses


def test_an_unregistered_plugins_dict_is_written_as_coco_own(tmp_path):
    registry = Registry([COCO])
    cococonv.save(_dataset({"labelstudio": {"from_name": "box"}}), "coco",
                  str(tmp_path / "out"), registry=registry, jobs=1)
    assert _records(tmp_path / "out")[0]["labelstudio"] == {"from_name": "box"}


def test_a_coco_round_trip_does_not_load_every_plugin_for_the_namespaces(tmp_path):
    source = write_coco(tmp_path / "in", {"instances_val": coco_doc()})
    registry = _registry()
    cococonv.convert(str(source), str(tmp_path / "out"), input_format="coco",
                     output_format="coco", registry=registry, jobs=1)
    assert _EntryPoint.loads == 0


def test_context_asks_for_the_namespaces_once_and_only_when_asked():
    calls = []
    ctx = Context(namespaces=lambda: calls.append(1) or frozenset({"x"}))
    assert calls == []
    assert ctx.namespaces == {"x"} and ctx.namespaces == {"x"}
    assert calls == [1]
