"""The attributes of one written object made of several model shapes (a group's box and
its outline, which VOC writes as one ``<object>`` and COCO as one record): the first
shape's, plus the names only the others have, so none is dropped without a count."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import Annotation

_MISSING = object()


def joined_attributes(shapes: Sequence[Annotation]) -> tuple[dict[str, Any], int]:
    """The object's attributes and how many values of the other shapes disagree with them
    (the object holds one value per name: the first shape's wins, the caller reports the
    rest lost). The first shape's own dict comes back when the others add nothing: read
    it, do not change it."""
    first = shapes[0].attributes
    joined: dict[str, Any] | None = None
    clashes = 0
    for ann in shapes[1:]:
        attrs = ann.attributes
        if not attrs or attrs is first:
            continue
        for key, value in attrs.items():
            have = (first if joined is None else joined).get(key, _MISSING)
            if have is _MISSING:
                if joined is None:
                    joined = dict(first)
                joined[key] = value
            elif type(have) is not type(value) or have != value:
                clashes += 1
    return (first if joined is None else joined), clashes


#: The report's why for the values :func:`joined_attributes` counts.
CLASH_WHY = "the shapes of one object disagree: the first shape's value is written"
