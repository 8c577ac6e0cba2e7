"""The conformance kit (cococonv.testing) on every registered exporter that has an importer
of the same name, task variants included: round trip, detect, --jobs 1 vs 2, broken input.

KNOWN_UNREPORTED lists differences a built-in makes without a report entry (plugin bugs,
reported in issue 12): the round trip still checks every other kind strictly, then marks
the case xfail; an entry whose difference no longer appears fails, so it gets removed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cococonv import Bbox, DataError, Dataset, Image, Item, Report, testing
from cococonv.paths import join_inside
from cococonv.plugin import Exporter, Importer, Option
from cococonv.registry import Registry, default_registry

_REGISTRY = default_registry()
FORMATS = sorted(name for name in _REGISTRY.exporters if name in _REGISTRY.importers)

KNOWN_UNREPORTED: dict[str, tuple[frozenset[str], str]] = {}

#: Formats whose broken-input or detect check fails today (plugin bugs, reported).
KNOWN_BROKEN_INPUT: dict[str, str] = {}
KNOWN_UNDETECTED: dict[str, str] = {}


def test_every_built_in_format_is_covered():
    assert {"coco", "coco_instances", "cvat", "voc", "voc_detection"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(fmt, tmp_path):
    known, reason = KNOWN_UNREPORTED.get(fmt, (frozenset(), ""))
    result = testing.run_round_trip(fmt, tmp=tmp_path)
    unexcused = set(result.unexcused)
    assert unexcused <= known, result.describe()
    if unexcused:
        pytest.xfail(f"{fmt}: {reason} ({', '.join(sorted(unexcused))})")
    assert not known, f"{fmt}: KNOWN_UNREPORTED lists {sorted(known)}, which no longer " \
                      f"happens: remove the entry"


@pytest.mark.parametrize("fmt", FORMATS)
def test_detect_names_its_own_output(fmt, tmp_path):
    _expect_failure(KNOWN_UNDETECTED.get(fmt), testing.check_detect, fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_jobs_1_and_2_write_identical_bytes(fmt, tmp_path):
    # forks required unless the exporter declares light_items (COCO keeps plain records
    # in the parent, where forking costs more than they do): its bytes are still compared
    testing.check_jobs_identical(fmt, tmp=tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_input_gives_one_line_and_exit_1(fmt, tmp_path):
    _expect_failure(KNOWN_BROKEN_INPUT.get(fmt), testing.check_broken_input, fmt, tmp_path)


def _expect_failure(reason, check, fmt, tmp_path) -> None:
    """Run a check; under a known bug's ``reason`` its failure is an xfail and its success
    a failure (the entry is stale)."""
    if reason is None:
        check(fmt, tmp=tmp_path)
        return
    try:
        check(fmt, tmp=tmp_path)
    except AssertionError as failure:
        pytest.xfail(f"{fmt}: {reason} ({str(failure).splitlines()[0]})")
    pytest.fail(f"{fmt}: the known failure ({reason}) no longer happens: remove the entry")


def test_the_excuse_rule_reads_report_nouns():
    report = Report()
    report.lost("annotation ids", "CVAT has no ids")
    report.lost("image labels", "classification is not written")
    report.lost("group links between objects (e.g. VOC layout parts)", "COCO")
    report.approximated("ellipses", "written as 64-point polygons")
    assert testing.excused_kinds(report) == {"label", "categories", "group", "ellipse",
                                             "polygon"}


def test_compare_finds_a_moved_box_a_lost_attribute_and_a_lost_item():
    expected = testing.rich_dataset(items_per_subset=1)
    actual = testing.rich_dataset(items_per_subset=1)
    first, second = list(actual)
    box = first.annotations[0]
    box.x += 2 * testing.TOLERANCE
    first.annotations[1].attributes.clear()  # occluded: False may go unsaid
    person = next(ann for ann in first.annotations if "jumping" in ann.attributes)
    person.attributes["jumping"] = "true"  # a bool read back as text is a change
    actual.replace_items([first])
    found = testing.compare(expected, actual)
    assert set(found) == {"bbox", "attributes", "items"}, found
    assert found["items"] == [f"{second.subset}/{second.id} is missing"]


# -- the kit on a third-party plugin, as docs/plugin-authors.md shows it ----------------------
def _boxes_of(plan, item):
    """Per item: its boxes as records, and the kinds it cannot hold."""
    names, _out, _silent = plan
    boxes = [[names[a.label], a.x, a.y, a.w, a.h] for a in item.annotations
             if isinstance(a, Bbox) and not a.group and not a.attributes]
    dropped = [a.kind for a in item.annotations if a.kind != "bbox" or a.group or a.attributes]
    return item.subset, {"id": item.id, "size": list(item.image.size), "boxes": boxes}, dropped


_DROPPED = {"bbox": "boxes with attributes or in groups", "polygon": "polygons",
            "mask": "masks", "points": "keypoints", "polyline": "polylines",
            "ellipse": "ellipses", "caption": "captions", "label": "image labels"}


class _BoxesExporter(Exporter):
    """Plain boxes, one JSON file per subset."""

    name = "kitboxes"
    options = (Option("silent", bool, False, "Drop what it cannot hold unreported (a bug)."),)
    item_function = _boxes_of

    def plan(self, source, out_dir, ctx, *, silent):
        if not silent:
            ctx.report.lost("label supercategories", "kitboxes has none")
        return [label.name for label in source.categories.labels], out_dir, silent

    def finish(self, plan, results, ctx):
        names, out_dir, silent = plan
        subsets: dict[str, list] = {}
        for subset, record, dropped in results:
            subsets.setdefault(subset, []).append(record)
            for kind in [] if silent else dropped:
                ctx.report.lost(_DROPPED[kind], "kitboxes holds plain boxes only")
        for subset, records in subsets.items():
            path = join_inside(out_dir, f"boxes_{subset}.json", what="subset")
            Path(path).write_text(json.dumps({"labels": names, "images": records}))


class _BoxesImporter(Importer):
    """Plain boxes, one JSON file per subset."""

    name = "kitboxes"

    @classmethod
    def detect(cls, tree) -> int:
        return 10 if any(rel.startswith("boxes_") for rel in tree.files()) else 0

    def load(self, tree, ctx, **options):
        dataset = Dataset()
        for rel in sorted(tree.files()):
            try:
                doc = json.loads(tree.read_bytes(rel))
            except ValueError as err:
                raise DataError(f"not JSON ({err})", file=tree.display(rel)) from None
            for name in doc["labels"]:
                if dataset.categories.find(name) is None:
                    dataset.categories.add(name)
            for record in doc["images"]:
                boxes = [Bbox(label=dataset.categories.find(n), x=x, y=y, w=w, h=h)
                         for n, x, y, w, h in record["boxes"]]
                dataset.add(Item(id=record["id"], subset=rel[len("boxes_"):-len(".json")],
                                 image=Image(record["id"], tuple(record["size"])),
                                 annotations=boxes))
        return dataset


class _EntryPoint:
    """What the registry reads of an installed entry point."""

    name, value, dist = "kitboxes", "tests.test_conformance:_EntryPoint.load", None

    def load(self):
        return (_BoxesImporter, _BoxesExporter)


def test_the_kit_passes_a_third_party_plugin_that_reports_its_losses(tmp_path):
    registry = Registry([_EntryPoint()])
    testing.round_trip("kitboxes", tmp=tmp_path, registry=registry)
    testing.check_detect("kitboxes", tmp=tmp_path, registry=registry)
    assert testing.check_jobs_identical("kitboxes", tmp=tmp_path, registry=registry) > 0


def test_the_kit_fails_a_plugin_that_drops_data_silently(tmp_path):
    registry = Registry([_EntryPoint()])
    with pytest.raises(AssertionError, match="polyline: .* is missing") as failure:
        testing.round_trip("kitboxes", tmp=tmp_path, registry=registry,
                           options={"silent": True})
    assert "supercategory" in str(failure.value) and "(nothing lost)" in str(failure.value)
