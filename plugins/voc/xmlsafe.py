"""Parsing one VOC XML file, and reading/writing the numbers and values inside it.

VOC files are small (one per image), so each is parsed whole with cococonv.xmlsafe's
hardened parser (no entities, no network, no DTD).
"""
from __future__ import annotations

import math
from typing import Any

from cococonv.xmlsafe import parse_bytes

def parse_xml(data: bytes, display: str) -> Any:
    """The root element of ``data`` (hardened parser; syntax errors name file and line)."""
    return parse_bytes(data, display)


def parse_number(text: str) -> int | float:
    """An int for integer text ("12"), a float otherwise ("12.0", "5.5"); ValueError else.

    Keeping the int/float distinction lets a round trip write "12" and "12.0" back as the
    source had them.
    """
    text = text.strip()
    if "." not in text:  # float text skips a failing int() (an exception costs ~1 us)
        try:
            value = int(text)
        except ValueError:
            pass
        else:  # past 2**1023 float() overflows: such a number is as unusable as "inf"
            if value.bit_length() <= 1023:
                return value
            raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_value(text: str) -> Any:
    """A typed attribute value: true/false → bool, numbers → int/float, else the text."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return parse_number(stripped)
    except ValueError:
        return text


def format_value(value: Any) -> str:
    """The text written for an attribute value (bools as true/false, floats shortest; a
    null as no text and a list or object as JSON, as CVAT writes them, not Python's
    ``None`` or ``{'a': 1}``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        import json
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def solve(target: int | float, base: int | float) -> int | float:
    """The number ``c`` to write so that reading it back gives ``c - base == target``.

    Import computes ``x = xmin - 1`` and ``w = xmax - xmin``; writing ``x + 1`` and
    ``xmin + w`` naively loses the last bit in about 1% of float boxes. Stepping to the
    neighbouring floats finds the value that reads back exactly (the source's own number
    when the box is unchanged), so voc -> voc is lossless.
    """
    guess = target + base
    if isinstance(guess, int) or guess - base == target:
        return guess
    low = high = guess
    for _ in range(4):
        low = math.nextafter(low, -math.inf)
        high = math.nextafter(high, math.inf)
        if high - base == target:
            return high
        if low - base == target:
            return low
    return guess
