"""The LabelMe export plan (decided in the parent) and its last phase (images, report).

Layout: ``<id>.json`` when every item is in subset ``default``, else ``<subset>/<id>.json``;
each file's ``imagePath`` names the image at ``<subset>/<image name>``, relative to the JSON,
where ``--save-images`` copies it (so an image stays next to its JSON when the names agree).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cococonv import foreign_fields as FF
from cococonv.errors import DataError
from cococonv.images import normalise_ext, save_images, with_ext, with_safe_image_name
from cococonv.model import Dataset, Item, Source
from cococonv.paths import safe_relpath, safe_segment, writable
from cococonv.report import Report
from cococonv.tailnames import TailNames

from .export_shapes import APPROXIMATIONS, FIELDS
from .layout import SPLIT_NAMES

_REASONS = {
    "captions": "LabelMe has no captions",
    "annotation ids": "LabelMe shapes have no ids",
    "z-order values": "LabelMe draws shapes in file order: they are written in z order",
    "image attributes": "LabelMe keeps no image fields besides flags",
    "image": "LabelMe keeps no image fields besides flags",  # fields of other formats
    "annotation": "LabelMe writes only its own shape keys",
    "image label attributes": "LabelMe image flags are true/false only",
    "image labels without a class": "a LabelMe flag needs a name",
    "absent keypoints": "LabelMe has no absent points (visibility 0)",
    "empty point sets": "LabelMe cannot hold an empty points shape",
    "keypoint set attributes": "keypoints are written as one point shape each",
    "empty masks": "LabelMe cannot hold an empty mask",
    "polygons with fewer than 3 points": "LabelMe polygons need 3 points",
    "polylines with fewer than 2 points": "LabelMe lines need 2 points",
    "embedded images": "not present in the input; imageData left null",
    "images only embedded in the source": "imageData is null without --embed-images "
                                          "(--save-images writes them as files)",
    "embedded images of files that are no image": "imageData left null",
}


@dataclass(slots=True)
class LabelmePlan:
    """One LabelMe export run, decided in the parent (forked workers inherit it)."""

    out: str
    names: list[str]  # label names by index
    placeholders: list[bool]  # labels that only fill an id gap (never written)
    keypoints: dict[int, list[str]]  # label index -> keypoint names
    per_subset: bool  # files go to <subset>/
    save_images: bool
    embed_images: bool
    items: list[Item]  # the items to write, names checked
    image_ext: str | None = None  # --image-ext, normalised (.png)

    def paths(self, item: Item) -> tuple[str, str]:
        """The item's JSON file and its image, relative to the output."""
        folder = f"{item.subset}/" if self.per_subset else ""
        name = item.image.name if item.image is not None else item.id + ".jpg"
        name = with_ext(name, self.image_ext)
        return f"{folder}{item.id}.json", f"{folder}{name}"


def make_plan(source: Source, out_dir: str, report: Report, *, save_images: bool,
              embed_images: bool, image_ext: str | None = None) -> LabelmePlan:
    """Check every item's output names (``paths.writable``: a bad one is a bad record) and
    fix the layout; report what no item can carry (skeletons, label lists)."""
    items = list(source)
    subsets = {item.subset for item in items}
    per_subset = subsets != {"default"} and bool(items)
    if len(subsets) == 1 and per_subset and next(iter(subsets)).lower() not in SPLIT_NAMES:
        report.lost("subsets", "one subset folder not named like a split (train, val, test) "
                    "reads back as subset 'default'", 1)
    tails = TailNames("image name")
    labels = source.categories.labels
    plan = LabelmePlan(out_dir, [label.name for label in labels],
                       [label.placeholder for label in labels],
                       {index: list(schema.names) for index, schema in
                        source.categories.keypoints.items()},
                       per_subset, save_images, embed_images, [], normalise_ext(image_ext))

    def prepare(item: Item) -> tuple[Item, list[str]]:
        item = with_safe_image_name(item, tails)
        if per_subset:
            safe_segment(item.subset, what="subset")
        safe_relpath(item.id + ".json", what="item id")
        for ann in item.annotations:  # the reader refuses a shape without a class name
            if ann.label is not None and not labels[ann.label].name.strip():
                raise DataError(f"label {labels[ann.label].name!r} is empty, which a LabelMe "
                                f"shape cannot be (rename it with remap_labels)")
        json_rel, image_rel = plan.paths(item)
        owned = [json_rel]
        if save_images and item.image is not None and item.image.has_data:
            owned.append(safe_relpath(image_rel, what="image file name"))
        return item, owned

    plan.items = list(writable(Dataset(source.categories, items, source.meta), report, prepare))
    tails.report(report)
    cats = source.categories
    report.lost("keypoint skeletons", "LabelMe has no skeletons",
                sum(1 for schema in cats.keypoints.values() if schema.skeleton))
    report.lost("label attribute declarations", "LabelMe has no label list",
                sum(1 for label in cats.labels if label.attributes))
    report.lost("label colours", "LabelMe has no label list", len(cats.colormap))
    return plan


def finish_export(plan: LabelmePlan, results: Iterable[Any], report: Report,
                  namespaces: Callable[[], frozenset[str]] = frozenset) -> None:
    """Add up the items' counts in item order, save the images, report the labels no
    shape used (LabelMe has no label list to keep them in) and the fields of other
    formats no file holds (``namespaces``: the run's, ``Context.namespaces``)."""
    lost: dict[str, int] = {}
    used: set[int] = set()
    for item_lost, approx, labels in results:
        for what, count in item_lost.items():
            lost[what] = lost.get(what, 0) + count
        for what, count in approx.items():
            report.approximated(what, APPROXIMATIONS[what], count)
        used |= labels
    if plan.save_images:
        save_images(plan.items, plan.out, lambda item: plan.paths(item)[1], report,
                    ext=plan.image_ext)
    outlines: dict[str, dict[str, int]] = {"image": {}, "annotation": {}}
    for what, count in lost.items():
        if what.startswith(FIELDS):
            of, name = what[1:].split(FIELDS, 1)
            outlines[of][name] = count
        else:
            report.lost(what, _REASONS.get(what, "LabelMe cannot hold them"), count)
    for of, counted in outlines.items():
        fields: dict[str, int] = {}
        FF.settle(counted, namespaces, fields)
        for name, count in fields.items():
            report.lost(FF.what(name, of), _REASONS[of], count)
    unused = sum(1 for index in range(len(plan.names)) if index not in used and
                 not plan.placeholders[index])
    report.lost("labels", "LabelMe has no label list: a label no shape uses is not written",
                unused)
