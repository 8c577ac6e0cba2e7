"""The caption band under each overlay: the item's name and size, notes (a missing image,
a scaled-down canvas), image-level labels, captions, and the legend of the item's labels.

Text from a dataset is untrusted: it is made printable (``cococonv.text``), each entry is cut
to MAX_ENTRY_CHARS characters and the band to MAX_BAND_LINES lines, so a 5 MB caption
costs what a short one does. Pillow's bundled font draws it (the same on every machine
with the same Pillow).
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ..text import printable

RGB = tuple[int, int, int]

#: Characters of one entry (a caption, the list of labels, a name) shown; longer ends in ….
MAX_ENTRY_CHARS = 300
#: Lines of text in the band; beyond, one last line says how many were left out.
MAX_BAND_LINES = 24
#: The band is at least this wide, so a 32-pixel thumbnail still shows its name.
MIN_BAND_WIDTH = 360
BAND_COLOUR = (24, 24, 24)
TEXT_COLOUR = (235, 235, 235)


def font(canvas: tuple[int, int]) -> Any:
    """The font for a canvas: 12 pixels up to 600-pixel canvases, larger beyond (28 max)."""
    return _font(max(12, min(28, round(max(canvas) / 50))))


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: its bitmap font
        return ImageFont.load_default()


def ink_on(colour: RGB) -> tuple[int, int, int, int]:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = colour
    return (0, 0, 0, 255) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255, 255)


def short(text: object) -> str:
    """``text`` printable and at most MAX_ENTRY_CHARS characters."""
    value = printable(str(text))
    return value if len(value) <= MAX_ENTRY_CHARS else value[:MAX_ENTRY_CHARS - 1] + "…"


def with_band(picture: Any, entries: Sequence[str], legend: Sequence[tuple[str, RGB]]) -> Any:
    """The RGB image: ``picture`` with the band of ``entries`` (one paragraph each) and
    the ``legend`` swatches below it."""
    from PIL import Image as PILImage, ImageDraw

    face = font(picture.size)
    width = max(picture.size[0], MIN_BAND_WIDTH)
    measure = ImageDraw.Draw(PILImage.new("RGB", (1, 1)))
    step = _line_height(measure, face)
    lines = [line for entry in entries for line in _wrapped(measure, face, entry, width - 8)]
    rows = _legend_rows(measure, face, legend, width - 8, step)
    if len(lines) + len(rows) > MAX_BAND_LINES:
        kept = max(0, MAX_BAND_LINES - 1 - len(rows[:MAX_BAND_LINES // 2]))
        left = len(lines) - kept + max(0, len(rows) - MAX_BAND_LINES // 2)
        lines = lines[:kept] + [f"… {left} more lines not shown"]
        rows = rows[:MAX_BAND_LINES // 2]
    height = picture.size[1] + 6 + step * (len(lines) + len(rows))
    out = PILImage.new("RGB", (width, height), BAND_COLOUR)
    out.paste(picture.convert("RGB"), (0, 0))
    draw = ImageDraw.Draw(out)
    y = picture.size[1] + 3
    for line in lines:
        draw.text((4, y), line, font=face, fill=TEXT_COLOUR)
        y += step
    for row in rows:
        for x, name, colour in row:
            draw.rectangle((x, y + 2, x + step - 5, y + step - 3), fill=colour)
            draw.text((x + step, y), name, font=face, fill=TEXT_COLOUR)
        y += step
    return out


def _line_height(draw: Any, face: Any) -> int:
    top, bottom = draw.textbbox((0, 0), "Ag", font=face)[1::2]
    return bottom + max(3, top)


def _wrapped(draw: Any, face: Any, text: str, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels, broken at spaces where it can."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if draw.textlength(candidate, font=face) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:  # a word wider than the band: broken anywhere
            if draw.textlength(current + ch, font=face) > width and current:
                lines.append(current)
                current = ""
            current += ch
    if current or not lines:
        lines.append(current)
    return lines


def _legend_rows(draw: Any, face: Any, legend: Sequence[tuple[str, RGB]], width: int,
                 step: int) -> list[list[tuple[int, str, RGB]]]:
    rows: list[list[tuple[int, str, RGB]]] = []
    row: list[tuple[int, str, RGB]] = []
    x = 4
    for name, colour in legend:
        span = step + int(draw.textlength(name, font=face)) + 12
        if row and x + span > width:
            rows.append(row)
            row, x = [], 4
        row.append((x, name, colour))
        x += span
    if row:
        rows.append(row)
    return rows


def band_entries(title: str, notes: Sequence[str], labels: Sequence[str],
                 captions: Sequence[str]) -> list[str]:
    """The band's paragraphs, in the order they are shown."""
    entries = [title, *notes]
    if labels:
        entries.append(short("labels: " + ", ".join(labels)))
    entries.extend(short(f"caption: {caption}") for caption in captions)
    return entries


