"""VOC label maps: which name each mask index means, its colour, parts and actions.

Three sources, in the importer's order of preference: Datumaro's ``labelmap.txt``
(``# label:color_rgb:parts:actions`` lines such as ``cat:64,0,0::``), labelme2voc's
``class_names.txt`` (one name a line, palette colours), and the 21 standard VOC classes.
A colour left empty in ``labelmap.txt`` means "the VOC palette colour of my index"; it is
kept empty (``color=None``) so a round trip writes it empty again, except beside masks:
Datumaro (what CVAT imports VOC with) gives an empty colour no colour at all when another
line has one, and then cannot read a mask pixel of it (``KeyError: Undeclared color``), so
a map written with masks spells every colour out and declares the void colour as Datumaro's
own VOC map does (``ignored:224,224,192::``, its label for index 255).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cococonv.errors import DataError
from cococonv.report import Report
from cococonv.xmlsafe import check_writable

from .layout import BACKGROUND_NAMES, VOC_ACTIONS, VOC_CLASSES, VOC_PARTS, VOID_INDEX, voc_color

HEADER = "# label:color_rgb:parts:actions"
# Characters no VOC name can hold: C0/C1 controls (XML 1.0 cannot hold most of them, list
# and labelmap lines split on newlines) and the Unicode line separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An action is written as an XML tag (<actions><jumping>1</jumping>): a namespace-free name.
_TAG = re.compile(r"[^\W\d][\w.\-]*")
# Datumaro's VocLabel.ignored = 255: the entry that gives the void colour a name.
VOID_NAME = "ignored"


@dataclass(slots=True)
class LabelEntry:
    """One line of a label map."""

    name: str
    color: tuple[int, int, int] | None = None
    parts: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "color": list(self.color) if self.color else None,
                "parts": list(self.parts), "actions": list(self.actions)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelEntry:
        color = data.get("color")
        return cls(data["name"], tuple(color) if color else None,  # type: ignore[arg-type]
                   list(data.get("parts") or []), list(data.get("actions") or []))


@dataclass(slots=True)
class LabelMap:
    """Ordered label entries; an entry's position is its mask index."""

    entries: list[LabelEntry] = field(default_factory=list)
    source: str = "voc"

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def index(self) -> dict[str, int]:
        return {entry.name: i for i, entry in enumerate(self.entries)}

    def get(self, name: str) -> LabelEntry | None:
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None

    def color(self, index: int) -> tuple[int, int, int]:
        """The colour painted for mask index ``index`` (explicit, else the VOC palette's)."""
        if index < len(self.entries) and self.entries[index].color is not None:
            return self.entries[index].color  # type: ignore[return-value]
        return voc_color(index)

    def part_names(self) -> set[str]:
        return {part for entry in self.entries for part in entry.parts}

    def actions_of(self, name: str) -> list[str]:
        entry = self.get(name)
        return list(entry.actions) if entry is not None else []

    def is_standard(self) -> bool:
        """True when this is exactly the VOC map, so no labelmap.txt needs writing."""
        default = default_voc()
        return [e.as_dict() for e in self.entries] == [e.as_dict() for e in default.entries]

    def palette(self) -> list[int]:
        """A flat 256-colour PIL palette: entry colours, the VOC palette elsewhere."""
        flat: list[int] = []
        for index in range(256):
            flat.extend(self.color(index) if index < len(self.entries) else voc_color(index))
        return flat

    def to_text(self, *, masks: bool = False) -> str:
        """The labelmap.txt text; ``masks`` (palette PNGs are written beside it) spells out
        every colour painted and adds the ``ignored`` entry for void, so Datumaro can map
        each pixel colour of the masks back to a label."""
        lines = [HEADER]
        for index, entry in enumerate(self.entries):
            rgb = self.color(index) if masks else entry.color
            color = ",".join(str(c) for c in rgb) if rgb else ""
            lines.append(f"{entry.name}:{color}:{','.join(entry.parts)}:"
                         f"{','.join(entry.actions)}")
        if masks and self.get(VOID_NAME) is None:
            lines.append(f"{VOID_NAME}:{','.join(map(str, voc_color(VOID_INDEX)))}::")
        return "\n".join(lines) + "\n"

    def without_void_entry(self, used: set[str]) -> LabelMap:
        """The map without a trailing ``ignored`` entry of the void colour that no
        annotation names: it only declares void (read as index 255), it is not a label."""
        last = self.entries[-1] if self.entries else None
        if last is None or last.name != VOID_NAME or last.name in used or last.parts or \
                last.actions or last.color != voc_color(VOID_INDEX):
            return self
        return LabelMap(self.entries[:-1], self.source)


def unwritable(name: str, kind: str) -> str | None:
    """Why ``name`` (a ``label``, ``part`` or ``action``) cannot be written in labelmap.txt
    and the XMLs, or None. Such a name would be written as garbage (a line break splits the
    line, ``:`` and ``,`` split fields, a leading ``#`` makes a comment, readers strip the
    spaces at either end, XML cannot hold a NUL), so the exporter refuses it."""
    if not name or name != name.strip():
        return "is empty or starts or ends with whitespace, which readers strip"
    if _CONTROL.search(name):
        return "holds a control character (a line break, tab or NUL)"
    if ":" in name:
        return "holds ':', which separates labelmap.txt fields"
    if name.startswith("#"):
        return "starts with '#', which makes its labelmap.txt line a comment"
    if kind != "label" and "," in name:
        return "holds ',', which separates the names of labelmap.txt's parts and actions"
    if kind == "action" and not _TAG.fullmatch(name):
        return "is not an XML tag name (VOC writes an action as <actions><name>)"
    return None


def writable_map(label_map: LabelMap, report: Report) -> LabelMap:
    """``label_map`` without the names :func:`unwritable` refuses, each a bad record: one
    error line naming it under --on-error fail; under skip|warn the label leaves the map
    (the exporter counts its annotations as lost) and a part or action leaves its entry.
    Labels sharing a name become one entry (reported): readers refuse a name listed twice."""
    entries = []
    first: dict[str, LabelEntry] = {}
    merged = 0
    for entry in label_map.entries:
        if entry.name in first:
            # VOC names classes: two labels of one name are one class (one labelmap line).
            same = first[entry.name]
            same.parts.extend(p for p in entry.parts if p not in same.parts)
            same.actions.extend(a for a in entry.actions if a not in same.actions)
            merged += 1
            continue
        why = unwritable(entry.name, "label")
        if why is not None:
            report.bad_record(DataError(f"label {entry.name!r} {why}; VOC cannot hold it "
                                        f"(rename it with remap_labels)"))
            continue
        kept = LabelEntry(entry.name, entry.color, [], [])
        for kind, names, into in (("part", entry.parts, kept.parts),
                                  ("action", entry.actions, kept.actions)):
            for name in names:
                why = unwritable(name, kind)
                if why is None:
                    into.append(name)
                else:
                    report.bad_record(DataError(f"{kind} {name!r} of label {entry.name!r} "
                                                f"{why}; VOC cannot hold it"))
        entries.append(kept)
        first[entry.name] = kept
    if merged:
        report.warn(f"{merged} label(s) share a name with another (VOC names classes, so "
                    f"each name is one class): written as one labelmap.txt line")
        report.approximated("labels sharing a name", "written as one VOC class", merged)
    if len(entries) == len(label_map.entries) and all(
            a.parts == b.parts and a.actions == b.actions
            for a, b in zip(entries, label_map.entries)):
        return label_map
    return LabelMap(entries, label_map.source)


def default_voc() -> LabelMap:
    """The 21 VOC classes (background first) with palette colours; person has parts and
    actions, as in the VOC2012 Layout and Action tasks."""
    entries = []
    for index, name in enumerate(VOC_CLASSES):
        person = name == "person"
        entries.append(LabelEntry(name, voc_color(index),
                                  list(VOC_PARTS) if person else [],
                                  list(VOC_ACTIONS) if person else []))
    return LabelMap(entries, "voc")


def utf8_text(data: bytes, file: str) -> str:
    """A label list's text; bytes that are not UTF-8 are a DataError naming the line (a
    replacement character would become a label name no reader of the output knows)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError("not UTF-8 text", file=file, where=f"line {line}") from None


def _check_name(name: str, what: str, file: str, number: int) -> None:
    """Names become XML text and file names: a character XML cannot hold (NUL, most
    controls) is refused here, where the file and line are known."""
    check_writable(name, f"{what} {name!r}", file=file, where=f"line {number}")


def parse_labelmap(text: str, *, file: str) -> LabelMap:
    """Read Datumaro's labelmap.txt; a malformed line is a DataError naming its number."""
    entries: list[LabelEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        if len(fields) > 4:
            raise DataError(f"expected name:r,g,b:parts:actions, got {len(fields)} fields",
                            file=file, where=f"line {number}")
        fields += [""] * (4 - len(fields))
        name, color_text, parts, actions = (f.strip() for f in fields)
        if not name:
            raise DataError("empty label name", file=file, where=f"line {number}")
        if name in seen:
            raise DataError(f"label {name!r} is listed twice", file=file,
                            where=f"line {number}")
        _check_name(name, "label", file, number)
        for other in (p for p in (parts + "," + actions).split(",") if p):
            _check_name(other, "part or action", file, number)
        seen.add(name)
        color = None
        if color_text:
            try:
                values = tuple(int(v) for v in color_text.split(","))
            except ValueError:
                values = ()
            if len(values) != 3 or not all(0 <= v <= 255 for v in values):
                raise DataError(f"colour {color_text!r} is not r,g,b with values 0-255",
                                file=file, where=f"line {number}")
            color = values
        entries.append(LabelEntry(name, color,  # type: ignore[arg-type]
                                  [p for p in parts.split(",") if p],
                                  [a for a in actions.split(",") if a]))
    return LabelMap(entries, "labelmap")


def parse_class_names(text: str, *, file: str = "class_names.txt") -> LabelMap:
    """Read labelme2voc's class_names.txt: one name a line, VOC palette colours by index."""
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            _check_name(line.strip(), "label", file, number)
            names.append(line.strip())
    return LabelMap([LabelEntry(name, voc_color(i)) for i, name in enumerate(names)],
                    "class_names")


def with_background(label_map: LabelMap) -> LabelMap:
    """The map with a background entry at index 0, as index-based masks need."""
    if label_map.entries and label_map.entries[0].name in BACKGROUND_NAMES:
        return label_map
    entries = [e for e in label_map.entries if e.name not in BACKGROUND_NAMES]
    background = label_map.get("background") or LabelEntry("background", (0, 0, 0))
    return LabelMap([background] + entries, label_map.source)
