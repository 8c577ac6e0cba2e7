"""Colour maps of mask PNGs: which class each mask value (and each RGB colour) means.

Read, in this order of preference, from the dataset root (or beside the masks folder):
``labelmap.txt`` (VOC / Datumaro, ``name:r,g,b:parts:actions``), a CSV of ``name,r,g,b``
(``class_dict.csv`` as CamVid's, ``colormap.csv``, ``classes.csv``; a header line is
skipped), ``class_names.txt`` / ``classes.txt`` (one name a line) and a JSON map
(``labelmap.json``, ``classes.json``, Datumaro's ``dataset_meta.json``). In every one a
class's mask value is its position (its line, from 0), unless a JSON entry gives an ``id``.
An entry named ``void``, ``ignore`` or ``ignored`` is not a class: its value and colour
mark void pixels.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from cococonv.errors import DataError
from cococonv.raster.palette import voc_color
from cococonv.sources import Tree

LABELMAP = "labelmap.txt"
CSV_FILES = ("class_dict.csv", "colormap.csv", "classes.csv")
NAME_FILES = ("class_names.txt", "classes.txt")
JSON_FILES = ("labelmap.json", "classes.json", "dataset_meta.json")
MAP_FILES = (LABELMAP, *CSV_FILES, *NAME_FILES, *JSON_FILES)
BACKGROUND_NAMES = ("background", "_background_", "bg")
VOID_NAMES = ("void", "ignore", "ignored")
VOID_COLOR = (224, 224, 192)  # the VOC palette's 255
#: The most classes one map may declare (16-bit masks hold 65536 values).
MAX_CLASSES = 65536
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(slots=True)
class ColorMap:
    """Mask value -> class name (and colour); ``source`` is the file it came from ("" when
    there was none: values then name their own classes)."""

    names: dict[int, str] = field(default_factory=dict)
    colors: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    void_values: set[int] = field(default_factory=set)
    void_colors: set[tuple[int, int, int]] = field(default_factory=set)
    source: str = ""
    declared_background: int | None = None  # dataset_meta.json's "background_label"

    @property
    def background(self) -> int | None:
        """The value that is background (no annotation): 0 when it is named so, or when
        no map was given."""
        if not self.source:
            return 0
        if self.declared_background is not None:
            return self.declared_background
        return 0 if self.names.get(0, "").lower() in BACKGROUND_NAMES else None

    def color_lookup(self) -> dict[int, int]:
        """Packed ``0xRRGGBB`` -> value, for RGB masks; void colours map to -1."""
        table: dict[int, int] = {}
        for value in sorted(self.names):
            r, g, b = self.colors.get(value, voc_color(value) if value < 256 else (0, 0, 0))
            table.setdefault((r << 16) | (g << 8) | b, value)
        for r, g, b in self.void_colors:
            table[(r << 16) | (g << 8) | b] = -1
        return table

    @staticmethod
    def name_problem(name: str) -> str | None:
        """Why a label cannot be written as a labelmap.txt class name that reads back as
        itself, or None (the exporter's check: the reader strips each line and field,
        skips ``#`` lines, splits at ``:`` and refuses control characters)."""
        if not name or name != name.strip():
            return "is empty or starts or ends with whitespace, which the reader strips"
        if _CONTROL.search(name):
            return "holds a control character (a line break, tab or NUL)"
        if ":" in name:
            return "holds ':', which separates labelmap.txt fields"
        return "starts with '#', which makes its labelmap.txt line a comment" \
            if name.startswith("#") else None

    def add(self, value: int, name: str, color: tuple[int, int, int] | None, where: str) -> None:
        if _CONTROL.search(name) or not name.strip():
            raise DataError(f"class name {name!r} is empty or holds a control character",
                            file=self.source, where=where)
        if len(self.names) + len(self.void_values) >= MAX_CLASSES or not 0 <= value < MAX_CLASSES:
            raise DataError(f"value {value} is past the {MAX_CLASSES} classes a 16-bit mask "
                            f"can hold", file=self.source, where=where)
        if name.lower() in VOID_NAMES and value != self.declared_background:
            self.void_values.add(value)
            if color is not None:
                self.void_colors.add(color)
            return
        if value in self.names:
            raise DataError(f"value {value} is given twice ({self.names[value]!r} and "
                            f"{name!r})", file=self.source, where=where)
        self.names[value] = name
        if color is not None:
            self.colors[value] = color


def read_color_map(tree: Tree, folders: list[str]) -> ColorMap:
    """The first colour map found in ``folders`` (prefixes ending in ``/``, or ""), else
    an empty map."""
    for folder in folders:
        for name in MAP_FILES:
            rel = folder + name
            if tree.exists(rel):
                return parse_color_map(name, tree.read_bytes(rel), tree.display(rel))
    return ColorMap()


def parse_color_map(name: str, data: bytes, display: str) -> ColorMap:
    found = ColorMap(source=display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=display) from None
    if name in JSON_FILES:
        _json_map(found, text)
        return found
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if name in CSV_FILES and lines and not _is_number(lines[0][1].split(",")[-1]):
        lines = lines[1:]  # the header
    for value, (number, line) in enumerate(lines):
        where = f"line {number}"
        if name == LABELMAP:
            parts = line.split(":")
            found.add(value, parts[0], _color(parts[1], display, where)
                      if len(parts) > 1 and parts[1].strip() else None, where)
        elif name in CSV_FILES:
            fields = line.rsplit(",", 3)
            if len(fields) != 4:
                raise DataError(f"{len(fields)} values, a colour line needs 4 (name,r,g,b)",
                                file=display, where=where)
            found.add(value, fields[0].strip().strip('"'),
                      _color(",".join(fields[1:]), display, where), where)
        else:
            found.add(value, line, None, where)
    return found


def _json_map(found: ColorMap, text: str) -> None:
    """``["bg", "cat"]``, ``{"0": "bg", "1": "cat"}``, ``{"cat": [r, g, b]}`` or a list of
    ``{"name": ..., "id": ..., "color": [r, g, b]}``."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise DataError(f"not JSON ({exc})", file=found.source) from None
    entries: list[tuple[object, object, object]] = []
    if isinstance(doc, dict) and isinstance(doc.get("label_map"), dict):
        # Datumaro's dataset_meta.json: {"label_map": {"0": "bg"}, "segmentation_colors": [...]}
        colors = doc.get("segmentation_colors")
        colors = colors if isinstance(colors, list) else []
        background = str(doc.get("background_label", "")).strip()
        found.declared_background = int(background) if background.isdigit() else None
        for key, name in doc["label_map"].items():
            value = int(key) if str(key).strip().isdigit() else key
            color = colors[value] if type(value) is int and value < len(colors) else None
            entries.append((value, name, color))
    elif isinstance(doc, list):
        for value, entry in enumerate(doc):
            if isinstance(entry, dict):
                entries.append((entry.get("id", value), entry.get("name"),
                                entry.get("color")))
            else:
                entries.append((value, entry, None))
    elif isinstance(doc, dict):
        for position, (key, entry) in enumerate(doc.items()):
            if key.strip().isdigit():
                entries.append((int(key), entry, None))
            else:
                entries.append((position, key, entry))
    else:
        raise DataError("expected a list or an object of classes", file=found.source)
    for position, (value, name, color) in enumerate(entries):
        where = f"entry {position}"
        if type(value) is not int or not isinstance(name, str):
            raise DataError("a class needs a name (text) and an integer value",
                            file=found.source, where=where)
        if color is not None:
            color = _color(",".join(map(str, color)) if isinstance(color, list) else
                           str(color), found.source, where)
        found.add(value, name, color, where)  # type: ignore[arg-type]


def _color(text: str, display: str, where: str) -> tuple[int, int, int]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise DataError(f"colour {text.strip()!r} is not r,g,b with values 0-255",
                        file=display, where=where)
    return int(parts[0]), int(parts[1]), int(parts[2])


def _is_number(text: str) -> bool:
    return text.strip().isdigit()


def labelmap_text(names: list[str], colors: list[tuple[int, int, int]],
                  with_void: bool) -> str:
    """``labelmap.txt`` as VOC / Datumaro write it, value = line; the void line last."""
    lines = ["# label:color_rgb:parts:actions"]
    lines += [f"{name}:{r},{g},{b}::" for name, (r, g, b) in zip(names, colors)]
    if with_void:
        lines.append("ignored:%d,%d,%d::" % VOID_COLOR)
    return "\n".join(lines) + "\n"
