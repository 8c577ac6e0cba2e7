"""Reading CVAT XML attribute values (numbers, point lists, flags) with errors that name the
file and line: a bad value is a bad record (``Skip`` under --on-error skip|warn)."""
from __future__ import annotations

import math
from typing import Any

from cococonv.errors import DataError
from cococonv.model import MAX_IMAGE_SIDE
from cococonv.report import Report


class Skip(Exception):
    """A bad record was reported and skipped (--on-error skip|warn)."""


class FieldReader:
    """Parses the values of one file's elements; ``display`` names the file in errors."""

    def __init__(self, report: Report):
        self.report = report
        self.display = ""

    def error(self, message: str, elem: Any) -> DataError:
        return DataError(message, file=self.display, where=f"line {elem.sourceline}")

    def bad(self, message: str, elem: Any) -> Skip:
        """Report a bad record (raises under --on-error fail) and return the skip signal."""
        self.report.bad_record(self.error(message, elem))
        return Skip()

    def number(self, value: str | None, what: str, elem: Any) -> float:
        if value is None:
            raise self.bad(f"<{elem.tag}> has no {what}", elem)
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise self.bad(f"<{elem.tag}> {what}: expected a number, got {value!r}", elem)
        return number

    def whole(self, value: str, what: str, elem: Any) -> int:
        try:
            return int(value)
        except ValueError:
            number = self.number(value, what, elem)
            if not number.is_integer():
                raise self.bad(f"<{elem.tag}> {what}: expected a whole number, got "
                               f"{value!r}", elem) from None
            return int(number)

    def dimension(self, value: str | None, what: str, elem: Any) -> int | None:
        """An image side: a whole number up to MAX_IMAGE_SIDE (a bad one fails the file)."""
        if value is None:
            return None
        number = self.number(value, what, elem)
        if number < 0 or not number.is_integer() or number > MAX_IMAGE_SIDE:
            raise self.error(f"<{elem.tag}> {what}: expected a whole number up to "
                             f"{MAX_IMAGE_SIDE}, got {value!r}", elem)
        return int(number)

    def points(self, a: dict[str, str], elem: Any) -> list[float]:
        raw = a.get("points")
        if raw is None or not raw.strip():
            raise self.bad(f"<{elem.tag}> has no points", elem)
        try:
            values = [float(v) for v in raw.replace(";", ",").split(",")]
        except ValueError:
            raise self.bad(f"<{elem.tag}> points: expected 'x,y;x,y;...' numbers, got "
                           f"{_short(raw)!r}", elem) from None
        if len(values) % 2:
            raise self.bad(f"<{elem.tag}> points: odd number of coordinates ({len(values)}) "
                           f"in {_short(raw)!r}", elem)
        if not math.isfinite(sum(values)):
            raise self.bad(f"<{elem.tag}> points: coordinates must be finite numbers, got "
                           f"{_short(raw)!r}", elem)
        return values

    def flag(self, value: str | None, what: str, elem: Any) -> bool:
        if value is None or value == "0":
            return False
        if value == "1":
            return True
        low = value.strip().lower()
        if low in ("0", "false"):
            return False
        if low in ("1", "true"):
            return True
        raise self.bad(f"<{elem.tag}> {what}: expected 0 or 1, got {value!r}", elem)

    def required(self, elem: Any, key: str) -> str:
        value = elem.get(key)
        if value is None:
            raise self.bad(f"<{elem.tag}> has no {key}", elem)
        return value


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
