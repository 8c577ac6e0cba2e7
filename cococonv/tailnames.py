"""Escaping names written by their tail, and escaping names kept as data, each reported once.

Windows tools and ad-hoc scripts write image names as ``C:\\data\\x.jpg``,
``/home/u/data/x.jpg`` or ``..\\images\\x.jpg``. The image is found by its tail
(``paths.lookup_relpath``), so refusing to write it would make such common datasets
unconvertible; writing it as it is would leave the output. An exporter that turns such a
name into an output path writes it by the same tail (``x.jpg``, ``images/x.jpg``), and the
annotation field names that file; two names with one tail are then the usual duplicate-output
error of ``paths.writable``. A name that only travels as data (no file is written for it) is
kept as the source had it, with one warning, since the next tool may join it to its image
folder.
"""
from __future__ import annotations

from collections.abc import Iterable

from .errors import DataError
from .model import Item
from .paths import escaping_tail, safe_relpath, shown
from .report import Report

_ESCAPES = "absolute or climbed out with '..'"


class TailNames:
    """Maps the escaping names of one export to their tails, counting them for one warning."""

    def __init__(self, what: str):
        self.what = what
        self.count = 0
        self.example: tuple[str, str] | None = None

    def relpath(self, name: str, *, what: str) -> str:
        """``paths.safe_relpath(name)``, an escaping name replaced by its tail (counted).
        A name whose tail is empty (``..``, ``/``) or unwritable keeps safe_relpath's error."""
        tail = escaping_tail(name)
        if not tail:
            return safe_relpath(name, what=what)
        try:
            rel = safe_relpath(tail, what=what)
        except DataError:
            return safe_relpath(name, what=what)
        self.count += 1
        if self.example is None:
            self.example = (name, rel)
        return rel

    def report(self, report: Report) -> None:
        """One warning and one report line for the names mapped, if any."""
        if not self.count or self.example is None:
            return
        old, new = self.example
        report.warn(f"{self.count} {self.what}(s) were {_ESCAPES}; written by their tail, "
                    f"e.g. {shown(old)} -> {shown(new)}")
        report.approximated(f"{self.what}s {_ESCAPES}", "written by their tail", self.count)


class KeptAsData:
    """Counts the image names that escape and are written as data, for one warning: a
    tool joining them to its image folder (MMDetection, Detectron2, CVAT) reads outside
    it. ``see`` each item as it passes (a stream is walked once), then ``warn``."""

    def __init__(self) -> None:
        self.count = 0
        self.example = ""

    def see(self, item: Item) -> Item:
        image = item.image
        if image is not None and escaping_tail(image.name) is not None:
            self.count += 1
            self.example = self.example or image.name
        return item

    def warn(self, report: Report) -> None:
        if self.count:
            report.warn(f"{self.count} image name(s) are "
                        f"{_ESCAPES.replace('climbed', 'climb')} (e.g. {shown(self.example)}); "
                        f"kept as data as the source had them, so a tool joining them to its "
                        f"image folder reads outside it (--save-images writes them by their "
                        f"tail)")


def warn_kept_as_data(items: Iterable[Item], report: Report) -> None:
    """Warn once when image names that escape are written into the output as data."""
    kept = KeptAsData()
    for item in items:
        kept.see(item)
    kept.warn(report)


__all__ = ["KeptAsData", "TailNames", "warn_kept_as_data"]
