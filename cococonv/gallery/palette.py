"""STAND-IN until branch gallery's palette lands (deleted before merging it)."""
from __future__ import annotations

import colorsys
from typing import Any


def label_colours(categories: Any) -> list[str]:
    """One colour per label index, spread by the golden angle."""
    out = []
    for index in range(len(categories.labels)):
        r, g, b = colorsys.hsv_to_rgb((index * 0.618034) % 1.0, 0.75, 0.95)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out
