"""Label colours: a function of the name, distinct for neighbours."""
from __future__ import annotations

import re

from cococonv.gallery import label_colours
from cococonv.model import LabelCategory


def _hue(colour: str) -> float:
    import colorsys
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return colorsys.rgb_to_hls(*rgb)[0]


def test_label_colours_are_hex_and_follow_the_name_across_datasets():
    first = label_colours(["person", "car", "dog"])
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in first)
    assert label_colours([LabelCategory("dog")]) == [first[2]]
    assert label_colours(["person"]) == [first[0]]


def test_label_colours_push_neighbours_apart_in_hue():
    names = [f"class_{n}" for n in range(200)]
    hues = [_hue(c) for c in label_colours(names)]
    for a, b in zip(hues, hues[1:]):
        gap = abs(a - b) % 1.0
        assert min(gap, 1 - gap) >= 0.08
