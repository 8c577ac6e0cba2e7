"""Which COCO reader a run gets: ``--streaming auto|on|off``.

``auto`` streams (stream_source.py) when the annotation files add up to STREAM_ABOVE bytes
or more: below that the in-memory reader is as fast and its peak (~6x the file) is small.
Only plain files on disk stream (an archive member or stdin cannot be mapped); panoptic,
results lists, several files of one subset, files without categories and
--keep-original-category-ids are read in memory, and the -v log says why.
"""
from __future__ import annotations

import os
from typing import Any

from cococonv.context import Context
from cococonv.plugin import Option
from cococonv.report import Report
from cococonv.sources import Tree

from .discovery import AnnotationFile

#: Annotation bytes from which ``--streaming auto`` streams (docs/big-datasets.md).
STREAM_ABOVE = 100 << 20

STREAMING = Option("streaming", str, "auto",
                   "Read the annotation files in bounded memory, an image at a time: "
                   f"auto (from {STREAM_ABOVE >> 20} MiB of JSON), on, or off "
                   "(docs/big-datasets.md).", choices=("auto", "on", "off"))


def _size(tree: Tree, rel: str) -> int | None:
    path = tree.local_path(rel)
    return os.path.getsize(path) if path is not None else None


def _how(source: Any) -> str:
    """How the files were indexed: in windows (by which scanner), or parsed whole."""
    from .json_scan import scan_py, scanner
    from .stream_windows import WINDOW

    whole = [f"{f.index.display} parsed whole ({f.index.parsed_whole})"
             for f in source.files if f.index.parsed_whole]
    kind = "Python" if scanner() is scan_py else "compiled"
    return "; ".join(whole) if whole else f"read in {WINDOW >> 20} MiB windows ({kind} scanner)"


def open_stream(tree: Tree, ctx: Context, files: list[AnnotationFile], mode: str,
                keep_ids: bool) -> Any:
    """The streaming source of ``files``, or None when the in-memory reader reads them."""
    if mode == "off":
        return None
    report = ctx.report
    sizes = [_size(tree, f.rel) for f in files]
    if mode == "auto" and (None in sizes or sum(sizes) < STREAM_ABOVE):  # type: ignore[arg-type]
        return None
    from .stream_index import NotStreamable
    from .stream_source import StreamedCoco

    reason = None
    if None in sizes:
        reason = "its annotation files are not plain files on disk"
    elif keep_ids:
        reason = "--keep-original-category-ids renumbers every item's labels"
    held = Report(report.on_error, quiet=True)
    if reason is None:
        try:
            source = StreamedCoco(tree, held, ctx.map, files)
        except NotStreamable as exc:
            reason = str(exc)
    if reason is not None:
        say = report.warn if mode == "on" else report.info
        say(f"--streaming {mode}: read in memory, {reason}")
        return None
    for message in held.warnings:
        report.warn(message)
    source.report = source.scope.batch_report.report = report
    images = sum(len(f.index.images) for f in source.files)
    records = sum(len(f.index.annotations) for f in source.files)
    report.info(f"streaming COCO reader: {len(files)} file(s), {sum(sizes) >> 20} MiB, "
                f"{images} images and {records} annotations indexed, {_how(source)}")
    return source
