"""Panoptic PNG names of one subset, decided in the plan (they depend on earlier items).

Each image's PNG is named by the record's own ``file_name`` when the source was panoptic
(so real panoptic sets come back byte for byte), else by the item id plus ``.png``, folders
kept as in the image name (``sub/ok.jpg`` -> ``panoptic_<subset>/sub/ok.png``; a backslash
is a separator like ``/``), as Datumaro writes them. Two images whose PNG would be one file
(``sub/ok`` and ``sub\\ok``, or a generated name equal to a source's) would overwrite each
other: the later one is written as ``<name>-2.png`` (``-3`` ...), counted and named in a
warning. Source names are claimed first, so they never move.
"""
from __future__ import annotations

from collections.abc import Iterable

from cococonv.model import Item
from cococonv.paths import safe_relpath
from cococonv.report import Report
from cococonv.tailnames import TailNames


class PanopticNames:
    """The PNG names of one subset's panoptic file."""

    def __init__(self, subset: str, items: Iterable[Item]):
        self.subset = subset
        self.claimed: set[str] = set()  # PNG paths inside the folder, normalised
        self.renamed: list[tuple[str, str]] = []
        self.tails = TailNames("panoptic PNG name")
        for item in items:
            name = (item.extra.get("coco_panoptic") or {}).get("file_name")
            if type(name) is str and name:
                self.claimed.add(safe_relpath(name, what="panoptic PNG file name"))

    def png_name(self, item: Item) -> str | None:
        """None when the source record names its PNG, else ``<id>.png`` (folders kept), or
        ``<id>-<n>.png`` when that file is taken."""
        if (item.extra.get("coco_panoptic") or {}).get("file_name"):
            return None
        stem = self.tails.relpath(item.id, what="panoptic PNG file name")
        name, n = f"{stem}.png", 1
        while name in self.claimed:
            n += 1
            name = f"{stem}-{n}.png"
        self.claimed.add(name)
        if n > 1:
            self.renamed.append((item.id, name))
        return name

    def report(self, report: Report) -> None:
        """What naming changed, after the file's records (as the one-pass writer did)."""
        if self.renamed:
            item_id, name = self.renamed[0]
            report.warn(f"panoptic_{self.subset}: {len(self.renamed)} image(s) would share a "
                        f"segment PNG with another (e.g. {item_id!r}); written as {name!r} ...")
            report.approximated("panoptic PNG names shared by several images",
                                "written as <name>-<n>.png", len(self.renamed))
        self.tails.report(report)
