"""Labels sharing a name are one CVAT label: shapes name their label, so a second
``<label>`` of that name in ``<meta>`` would take every such shape on read-back (Datumaro
and CVAT keep the last declaration). The first declares it, with the attributes both use.
"""
from __future__ import annotations

from cococonv.model import LabelCategory
from cococonv.report import Report

from . import meta as M


def one_per_name(kept: list[tuple[int, LabelCategory]],
                 added: list[list]) -> tuple[list[tuple[int, LabelCategory]], int]:
    """``kept`` (index, label) pairs without the later labels of a name already declared,
    whose added attribute declarations move to the first (``added`` is updated); and how
    many labels were merged."""
    first: dict[str, int] = {}
    out = []
    for index, label in kept:
        owner = first.get(label.name)
        if owner is None:
            first[label.name] = index
            out.append((index, label))
            continue
        have = {M.text_of(node[1], "name") for node in added[owner]}
        added[owner].extend(node for node in added[index]
                            if M.text_of(node[1], "name") not in have)
    return out, len(kept) - len(out)


def report_merged(report: Report, merged: int) -> None:
    """The warning and count of labels declared once for their name (VOC says the same)."""
    if merged:
        report.warn(f"{merged} label(s) share a name with another (CVAT names labels, so "
                    f"each name is one label): declared once in <meta>")
        report.approximated("labels sharing a name", "written as one CVAT label", merged)
