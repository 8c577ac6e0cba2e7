"""The options several exporters share, declared once.

``save_images``, ``image_ext``, ``save_dataset_meta``, ``allow_attributes`` and ``tasks``
mean the same in every format that has them: same name, type, default, check and help,
with only the format's own words filled in (its images folder, where attributes go). A
format builds its ``options`` tuple from these calls plus its own ``Option``s, so a flag
spelled or checked differently in one format cannot happen. ``--jobs`` is no plugin option:
the CLI declares it once for every command (``cococonv.cli.options``).
"""
from __future__ import annotations

from collections.abc import Sequence

from .errors import OptionError
from .images import check_image_ext
from .plugin import Option


def save_images(folder: str) -> Option:
    """``--save-images``: copy the images into ``folder`` (as the help names it, e.g.
    ``"JPEGImages/"``)."""
    return Option("save_images", bool, False, f"Copy the images into {folder} (bytes are "
                  f"copied as they are unless --image-ext changes the encoding).")


def image_ext() -> Option:
    """``--image-ext``: the extension of written image names and saved images, vetted by
    ``check_image_ext`` before anything is read."""
    return Option("image_ext", str, None, "Write image file names, and the images "
                  "--save-images copies, with this extension (e.g. .png); those images are "
                  "re-encoded.", check=check_image_ext)


def save_dataset_meta(contents: str) -> Option:
    """``--save-dataset-meta``: also write ``dataset_meta.json``, holding ``contents``."""
    return Option("save_dataset_meta", bool, False,
                  f"Also write dataset_meta.json with {contents}.")


def allow_attributes(where: str) -> Option:
    """``--allow-attributes``: write custom attributes ``where`` the format keeps them;
    off drops them, counted in the report."""
    return Option("allow_attributes", bool, True,
                  f"Write custom attributes {where}; off drops them, with a count.")


def tasks(choices: Sequence[str], when_none: str = "every task with content") -> Option:
    """``--tasks``: write only these of the format's ``choices``; ``when_none`` says what
    an export without the flag writes."""
    return Option("tasks", list, [], f"Write only these tasks (comma-separated); none "
                  f"given: {when_none}.", tuple(choices))


def segmentation_mode() -> Option:
    """``--segmentation-mode``: one form for every outline (the COCO exporter's option,
    and the ``segmentation_mode`` transform's, which gives it to every other format)."""
    return Option("segmentation_mode", str, "guess", "guess: keep each shape as the source "
                  "had it; polygons: masks become polygons; mask: polygons become RLE.",
                  ("guess", "polygons", "mask"))


def crop_covered() -> Option:
    """``--crop-covered``: the COCO exporter's option, and for every other format the
    ``crop_covered`` transform run before the export."""
    return Option("crop_covered", bool, False, "Cut from each object the parts covered by "
                  "objects drawn above it (higher z_order, or later at equal z_order).")


def chosen_tasks(exporter: str, writes: Sequence[str],
                 requested: Sequence[str] | None) -> tuple[tuple[str, ...], bool]:
    """The tasks an export writes: ``requested`` (the ``--tasks`` value) when given, else
    every task of ``writes`` (those of the exporter, one for a task exporter); and whether
    that choice is explicit (the data's content does not narrow it). OptionError for a
    requested task the exporter does not write (``-f voc_detection --tasks segmentation``)."""
    requested = list(requested or [])
    bad = [task for task in requested if task not in writes]
    if bad:
        raise OptionError(f"exporter {exporter} cannot write task {bad[0]!r} "
                          f"(it writes: {', '.join(writes)})")
    chosen = tuple(requested) if requested else tuple(writes)
    return chosen, bool(requested) or len(writes) == 1
