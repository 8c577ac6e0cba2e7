"""``cococonv show --png DIR``: one PNG per item with its annotations drawn over its image.

For CI logs and terminals, where an HTML gallery cannot be opened. The parent walks the
items in order and gives each a safe, unique file name (``pngnames``); the engine renders
them (``--jobs``: forked workers, the same bytes for every value) and the PNGs reach
``DIR`` only once all are written (``cococonv.fileio.atomic_output``). The report says
which images were missing or unreadable (drawn on a neutral canvas), which canvases were
scaled down, which items were renamed and which annotations could not be drawn.
"""
from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import engine
from ..errors import OptionError
from ..fileio import atomic_output, check_target, output_kind, write_bytes
from ..model import Categories, Source
from ..paths import is_within, join_inside
from ..report import Report, replay_tally
from .pngcanvas import MAX_CANVAS_SIDE, frame_for, open_image, pixels
from .pngnames import PngNames, set_folder
from .pngtext import short

RGB = tuple[int, int, int]

#: The colour of an annotation without a label.
UNLABELLED: RGB = (210, 210, 210)
RENAMED = ("item id or subset not usable as a file name, or taken: written under a "
           "cleaned, unique name (-v lists them)")
SCALED = f"larger than {MAX_CANVAS_SIDE} pixels a side: drawn scaled down (docs/limits.md)"
GUESSED = "size unknown: canvas sized to hold the annotations"
STRETCHED = "image file's size differs from the declared one: stretched to it"


class PngResult:
    """What ``show --png`` wrote, for the end-of-run line."""

    __slots__ = ("target", "files")

    def __init__(self, target: str, files: int):
        self.target = target
        self.files = files

    def lines(self) -> list[str]:
        return [f"wrote {self.files} PNG overlay{'' if self.files == 1 else 's'} to "
                f"{self.target}"]


@dataclass(slots=True)
class _Plan:
    """What every worker inherits: the categories, colours, names and the folder."""

    categories: Categories
    colours: list[RGB]
    names: list[str]
    legend: bool
    work: str


def write_overlay_pngs(source: Source, out_dir: str, *, colours: Any = None,
                       jobs: int | None = None, report: Report | None = None,
                       legend: bool = True, overwrite: bool = False) -> int:
    """Write ``out_dir/<subset>/<item id>.png`` for every item; returns the files written.

    ``colours``: a colour per label index (a sequence, or a mapping from index), each
    ``"#rrggbb"`` or an ``(r, g, b)`` tuple; default ``label_colours`` of the gallery, the
    same as the HTML gallery's. ``out_dir`` is a folder (or a ``.zip``/tar archive), refused
    when not empty unless ``overwrite``; nothing is there unless every PNG was written.
    ``legend``: a row of the item's labels and their colours under each image. What was
    drawn differently from the dataset, or not at all, is counted in ``report``.
    Raises OptionError for a single-file or ``-`` target, an output folder holding an
    item's image, or an unusable colour.
    """
    return write_overlay_sets([source], out_dir, colours=colours, jobs=jobs, report=report,
                              legend=legend, overwrite=overwrite)


def write_overlay_sets(sources: Sequence[Source], out_dir: str, *,
                       names: Sequence[str] | None = None, colours: Any = None,
                       jobs: int | None = None, report: Report | None = None,
                       legend: bool = True, overwrite: bool = False) -> int:
    """:func:`write_overlay_pngs` for several datasets into one output (``show -i A -i
    B --png DIR``): one dataset's PNGs go to ``out_dir`` itself, several datasets' each to
    a folder ``<n>-<name>`` (``1-voc_dir``, ``2-coco_out``; ``names`` default to ``1``,
    ``2``...). Labels of the same name get the same colour in every dataset."""
    report = report if report is not None else Report()
    check_png_target(out_dir, overwrite)
    watch = out_dir if overwrite and os.path.isdir(out_dir) else None
    written = 0
    with atomic_output(out_dir, overwrite=overwrite) as work:
        for index, source in enumerate(sources):
            prefix = "" if len(sources) == 1 else \
                set_folder(index, names[index] if names else str(index + 1))
            written += _write_set(source, work, prefix, _palette(source.categories, colours),
                                  legend, engine.resolve_jobs(jobs), report, watch)
    return written


def check_png_target(out_dir: str, overwrite: bool) -> None:
    """Refuse, before anything is read, a target the overlays cannot go to: ``-``, a single
    file, or a non-empty folder without ``overwrite`` (OutputExistsError)."""
    if not out_dir or output_kind(out_dir) in ("stdout", "file"):
        raise OptionError("the PNG overlays need a folder (or a .zip or tar archive), not a "
                          "single file or -", file=out_dir or None)
    check_target(out_dir, overwrite)


def _write_set(source: Source, work: str, prefix: str, colours: list[RGB], legend: bool,
               jobs: int, report: Report, watch: str | None) -> int:
    """One dataset's PNGs under ``work/prefix``; its rows added to ``report``."""
    names = [short(label.name) for label in source.categories.labels]
    plan = _Plan(source.categories, colours, names, legend,
                 join_inside(work, prefix, what="input name") if prefix else work)
    tally: Counter[tuple[str, str, str]] = Counter()
    namer = PngNames()
    written = 0
    pairs = (_named(namer, item, watch) for item in source)
    for notes in engine.map_items(render_item, plan, pairs, jobs):
        written += 1
        tally.update(notes)
    for subset, item_id, name in namer.renamed:
        report.info(f"item {short(item_id)} of subset {short(subset)}: written as "
                    f"{prefix + '/' if prefix else ''}{name}")
    report.approximated("PNG file names", RENAMED, len(namer.renamed))
    replay_tally(report, dict(sorted(tally.items())))
    return written


def render_item(plan: _Plan, pair: tuple[str, Any]) -> Counter[tuple[str, str, str]]:
    """Draw one item and write its PNG; returns its report rows (status, what, why)."""
    from .pngdraw import MAX_TAGS, Painter
    from .pngtext import band_entries, with_band

    name, item = pair
    opened, why = open_image(item)
    frame, guessed = frame_for(item, opened)
    declared = item.image.size if item.image is not None else None
    stretched = opened is not None and declared is not None and not guessed and \
        (opened.size[1], opened.size[0]) != tuple(declared)
    picture, broken = pixels(opened, frame)
    why = why or broken
    painter = Painter(picture, frame, plan.categories, lambda label: _colour(plan, label),
                      lambda label: _name(plan, label))
    labels, captions = painter.paint(item)
    notes = [why] if why else []
    notes += [GUESSED] if guessed else []
    if frame.scale != 1:
        notes.append(f"drawn at {frame.scale:.3g}x")
    if painter.untagged:
        notes.append(f"{painter.untagged} shapes past the first {MAX_TAGS} drawn without "
                     f"their label name")
    title = f"{short(item.subset)} / {short(item.id)}   {frame.width}x{frame.height}"
    legend = _legend(plan, item) if plan.legend else []
    out = with_band(picture, band_entries(title, notes, [_name(plan, x) for x in labels],
                                          captions), legend)
    buffer = io.BytesIO()
    # zlib level 1 rather than Pillow's 6: deflate is half the CPU an item costs, and
    # level 1 takes 28 % less on a drawn 640x480 canvas (6.7 vs 9.3 ms, files 34 vs 25 KiB)
    # and 9 % less on a photo (files 3 % larger), measured here
    out.save(buffer, "PNG", compress_level=1)
    write_bytes(join_inside(plan.work, name, what="item id"), buffer.getvalue())
    rows: Counter[tuple[str, str, str]] = Counter(
        {("lost", what, reason): n for (what, reason), n in painter.notes.items()})
    rows.update(("approximated", "item images", reason) for reason, flag in
                ((why, why), (GUESSED, guessed), (SCALED, frame.scale < 1),
                 (STRETCHED, stretched)) if flag)
    return rows


def _named(namer: PngNames, item: Any, watch: str | None) -> tuple[str, Any]:
    image = item.image
    if watch is not None and image is not None and image.path is not None and \
            is_within(image.path, watch):
        raise OptionError(f"--overwrite would replace {watch}, which holds the image "
                          f"{short(image.name)}; write the PNGs somewhere else (inputs are "
                          f"never modified)", file=watch)
    return namer.name_for(item.subset, item.id), item


def _legend(plan: _Plan, item: Any) -> list[tuple[str, RGB]]:
    """The item's labels, in category order, with their colours."""
    seen = sorted({ann.label for ann in item.annotations if ann.label is not None},
                  key=lambda label: (not 0 <= label < len(plan.names), label))
    return [(_name(plan, label), _colour(plan, label)) for label in seen]


def _colour(plan: _Plan, label: int | None) -> RGB:
    if label is None or not 0 <= label < len(plan.colours):
        return UNLABELLED
    return plan.colours[label]


def _name(plan: _Plan, label: int | None) -> str:
    if label is None:
        return "(no label)"
    return plan.names[label] if 0 <= label < len(plan.names) else f"label {label}"


def _palette(categories: Categories, colours: Any) -> list[RGB]:
    """One RGB colour per label index, from ``colours`` or the gallery's palette."""
    if colours is None:
        from .palette import label_colours

        colours = label_colours(categories.labels)
    count = len(categories.labels)
    if isinstance(colours, Mapping):
        chosen = [colours.get(index) for index in range(count)]
    elif isinstance(colours, Sequence) and not isinstance(colours, str):
        chosen = [colours[index] if index < len(colours) else None for index in range(count)]
    else:
        raise OptionError(f"colours must be a list or a mapping of label colours, got "
                          f"{type(colours).__name__}")
    return [UNLABELLED if value is None else _rgb(value) for value in chosen]


def _rgb(value: Any) -> RGB:
    if isinstance(value, str) and value.startswith("#") and len(value) in (4, 7):
        digits = value[1:] if len(value) == 7 else "".join(ch * 2 for ch in value[1:])
        try:
            return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
        except ValueError:
            pass
    elif isinstance(value, (tuple, list)) and len(value) >= 3 and \
            all(type(v) is int and 0 <= v <= 255 for v in value[:3]):
        return int(value[0]), int(value[1]), int(value[2])
    raise OptionError(f"not a colour: {short(value)} (expected '#rrggbb' or (r, g, b))")
