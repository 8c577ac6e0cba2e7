"""Label colours shared by every gallery renderer (HTML and PNG).

A label's colour is a function of its name, so ``person`` is drawn in the same colour in the
source and in its conversion, across datasets and runs; labels next to each other in the
category list are then pushed apart in hue so a legend never shows two near twins side by side.
"""
from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable

from ..model import LabelCategory

#: Hues closer than this (in turns, 0-1) to the previous label's are moved on.
_MIN_HUE_GAP = 0.09
#: The golden-ratio step: successive shifts land far from where they started.
_STEP = 0.381966
#: Lightness/saturation pairs, picked by the name's hash, so equal hues still differ a bit.
_TONES = ((0.50, 0.85), (0.42, 0.75), (0.58, 0.90))


def _name_hash(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "big")


def _hex(hue: float, tone: tuple[float, float]) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, tone[0], tone[1])
    return "#{:02x}{:02x}{:02x}".format(round(red * 255), round(green * 255),
                                        round(blue * 255))


def _hue_gap(a: float, b: float) -> float:
    gap = abs(a - b) % 1.0
    return min(gap, 1.0 - gap)


def label_colours(categories: Iterable[LabelCategory | str]) -> list[str]:
    """``'#rrggbb'`` for each label, in label-index order.

    Stable: the colour depends on the label's name (plus, only when its hue would sit too
    close to the previous label's, a deterministic shift), never on the run or the dataset's
    size. Accepts ``LabelCategory`` objects or plain names.
    """
    colours: list[str] = []
    previous: float | None = None
    for category in categories:
        name = category if isinstance(category, str) else category.name
        digest = _name_hash(name)
        hue = (digest & 0xFFFFFFFF) / 2**32
        if previous is not None:
            for _ in range(8):
                if _hue_gap(hue, previous) >= _MIN_HUE_GAP:
                    break
                hue = (hue + _STEP) % 1.0
        colours.append(_hex(hue, _TONES[(digest >> 32) % len(_TONES)]))
        previous = hue
    return colours
