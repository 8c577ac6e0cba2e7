"""`show` as functions: load the inputs (or take loaded Sources), build the data, write the
page, and say what could not be shown."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import DataError, OptionError
from ..model import Source
from ..report import Report, plural
from .page import render_html, write_page
from .payload import build_payload

#: The largest `convert --report` file `show --conversion-report` embeds.
MAX_REPORT_BYTES = 16 << 20


class GalleryResult:
    """What a gallery holds: items, annotations drawn, and what it could not show."""

    __slots__ = ("target", "items", "annotations", "bytes", "not_drawn", "no_picture")

    def __init__(self, target: str, payload: dict[str, Any], size: int):
        self.target = target
        self.items = len(payload["items"])
        self.annotations = sum(len(side) for entry in payload["items"]
                               for side in entry["a"] if side)
        self.bytes = size
        self.not_drawn: dict[str, int] = dict(payload["notDrawn"])
        self.no_picture: dict[str, int] = dict(payload["noPicture"])

    def lines(self) -> list[str]:
        """The end-of-run lines for stderr."""
        where = "the standard output" if self.target == "-" else self.target
        lines = [f"wrote a gallery of {plural(self.items, 'item')}, "
                 f"{plural(self.annotations, 'annotation')} ({self.bytes / 1e6:.1f} MB) to "
                 f"{where}"]
        for kind, count in self.not_drawn.items():
            lines.append(f"  not drawn: {count} {kind} annotations (a kind the gallery "
                         f"does not know)")
        for why, count in self.no_picture.items():
            lines.append(f"  without a picture: {plural(count, 'item')} ({why})")
        return lines


def read_conversion_report(path: str) -> Any:
    """The JSON a `convert --report FILE` wrote, checked to be one."""
    from ..fileio import loads_json

    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise OptionError(f"cannot read the conversion report ({exc.strerror})",
                          file=path) from None
    if len(data) > MAX_REPORT_BYTES:
        raise DataError(f"a conversion report larger than {MAX_REPORT_BYTES} bytes "
                        f"(docs/limits.md)", file=path)
    report = loads_json(data, file=path)
    if not isinstance(report, dict) or not {"lost", "approximated"} <= set(report):
        raise DataError("not a report written by `cococonv convert --report` (expected "
                        "an object with \"lost\" and \"approximated\")", file=path)
    return report


def write_gallery(sources: Sequence[Source], target: str, *,
                  names: Sequence[str] | None = None, embed_images: bool = False,
                  overwrite: bool = False, report: Report | None = None,
                  conversion_report: Any = None, title: str | None = None) -> GalleryResult:
    """Write one self-contained HTML gallery of ``sources`` (one, or two side by side).

    Images are referenced by a path relative to ``target`` (never copied or modified);
    ``embed_images`` inlines downscaled JPEG thumbnails instead (Pillow). ``names`` label
    the inputs (default ``A``, ``B``); ``conversion_report`` is the dict a
    ``convert --report`` wrote, shown with the stats. The file appears whole or not at all;
    an existing one is replaced only with ``overwrite`` (OutputExistsError otherwise).
    """
    if not 1 <= len(sources) <= 2:
        raise OptionError(f"show takes one input, or two to compare (got {len(sources)})")
    names = list(names) if names is not None else ["A", "B"][:len(sources)]
    payload = build_payload(sources, names, target, embed_images=embed_images, report=report,
                            conversion_report=conversion_report)
    data = render_html(payload, title or " vs ".join(os.path.basename(n.rstrip("/\\")) or n
                                                     for n in names))
    write_page(target, data, overwrite=overwrite)
    return GalleryResult(target, payload, len(data))


def show(inputs: Sequence[str], target: str | None, *,
         input_formats: Sequence[str | None] = (),
         projects: Sequence[str] = (), embed_images: bool = False, overwrite: bool = False,
         report: Report | None = None, conversion_report: str | None = None,
         jobs: int | None = 1, png: str | None = None, **options: Any) -> Any:
    """`cococonv show`: load one or two datasets (paths, each with its format from
    ``input_formats`` or detected; or project folders) and write their gallery.

    ``options`` are importer options, given to each input whose importer declares them.
    The output may not lie inside an input (OptionError): inputs are never modified.
    ``png``: a folder for PNG overlays too (``cococonv.gallery.png``), or instead of the
    gallery when ``target`` is None. Returns what was written, with ``lines()`` to print.
    """
    from .. import api
    from ..registry import default_registry

    paths = list(inputs) + list(projects)
    if not 1 <= len(paths) <= 2:
        raise OptionError(f"show takes one input (-i or -p), or two to compare (got "
                          f"{len(paths)})")
    formats = list(input_formats)
    if len(formats) == 1:
        formats *= len(inputs)
    if len(formats) not in (0, len(inputs)):
        raise OptionError(f"give -if once, or once per -i ({len(inputs)} inputs, "
                          f"{len(formats)} formats)")
    outputs = [out for out in (target, png) if out is not None]
    if not outputs:
        raise OptionError("give -o FILE.html, --png DIR, or both")
    from ..project import open_project

    read = paths + [source.path for root in projects for source in open_project(root).sources]
    for path in read:  # a project's sources too: the page may not land in one of them
        for out in outputs:
            api.check_separate(path, out)
    if png is not None:  # both targets refused before reading, not one after the other
        from ..fileio import check_target
        from .png import check_png_target

        check_png_target(png, overwrite)
        if target is not None:
            check_target(target, overwrite)
    conversion = read_conversion_report(conversion_report) if conversion_report else None
    registry = default_registry()
    sources: list[Source] = []
    for index, path in enumerate(inputs):
        fmt = formats[index] if formats else None
        if fmt is None:
            matches = api.detect(path, registry=registry)
            fmt = matches[0][0] if matches else None
        declared = {opt.name for opt in registry.importer(fmt).options} if fmt else set()
        sources.append(api.load(path, fmt, report=report, jobs=jobs, registry=registry,
                                **{k: v for k, v in options.items() if k in declared}))
    sources.extend(api.load_project(root, report=report, jobs=jobs) for root in projects)
    written: list[Any] = []
    if target is not None:
        written.append(write_gallery(sources, target, names=paths, embed_images=embed_images,
                                     overwrite=overwrite, report=report,
                                     conversion_report=conversion))
    if png is not None:
        from .png import PngResult, write_overlay_sets

        written.append(PngResult(png, write_overlay_sets(
            sources, png, names=paths, overwrite=overwrite, report=report, jobs=jobs)))
    return written[0] if len(written) == 1 else Outputs(written)


class Outputs:
    """The gallery and the PNG overlays of one `show`: their lines, in turn."""

    def __init__(self, parts: Sequence[Any]):
        self.parts = list(parts)

    def lines(self) -> list[str]:
        return [line for part in self.parts for line in part.lines()]
