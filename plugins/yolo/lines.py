"""YOLO label lines: ``class`` then normalised values, one object a line.

A line's kind follows from its count of values (after the class):
- 4: box ``cx cy w h``; 5: box and a trailing confidence (predictions);
- with a ``kpt_shape`` of K points of D values: ``4 + K*D`` (and one more for a
  confidence) is a pose line, a box and its keypoints, and no other count is valid;
- 6 or more, even: a polygon ``x1 y1 ... xn yn`` (OBB lines are 4-point polygons);
  odd: a polygon and a confidence.
Blank lines, CRLF, tabs and a missing final newline are fine. Anything else is a
DataError naming the file and line; the caller decides (``--on-error``) what to do with it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from cococonv.errors import DataError

from .names import MAX_CLASSES

#: How far past the image a normalised coordinate may lie before it is corrupt rather
#: than a shape drawn a little over the edge (tools clamp or go a few pixels past).
LOW, HIGH = -0.5, 1.5
#: The most values one line may hold (a polygon of 100,000 points): bounds one line's cost.
MAX_VALUES = 200_001


@dataclass(slots=True)
class LabelLine:
    """One parsed line, still normalised."""

    number: int
    cls: int
    kind: str  # "box", "polygon" or "pose"
    values: list[float]
    score: float | None = None
    keypoints: list[float] = field(default_factory=list)  # x y (v) per point, as read


def _number(token: str, file: str, number: int) -> float:
    try:
        value = float(token)
    except ValueError:
        raise DataError(f"{token[:40]!r} is not a number", file=file,
                        where=f"line {number}") from None
    if not math.isfinite(value):
        raise DataError(f"{token[:40]!r} is not a finite number", file=file,
                        where=f"line {number}")
    return value


def _class_index(token: str, names: int | None, file: str, number: int) -> int:
    value = _number(token, file, number)
    if value != int(value) or value < 0:
        raise DataError(f"class {token[:40]!r} is not a class index (0, 1, ...)", file=file,
                        where=f"line {number}")
    index = int(value)
    if names is not None and index >= names:
        raise DataError(f"class index {index} is past the {names} class names", file=file,
                        where=f"line {number}")
    if index >= MAX_CLASSES:  # without names, the largest index makes the class list
        raise DataError(f"class index {index}: more than the {MAX_CLASSES} classes a "
                        f"dataset may have", file=file, where=f"line {number}")
    return index


def _kind(count: int, kpt_shape: tuple[int, int] | None) -> tuple[str, bool] | None:
    """(kind, has a confidence) for a line of ``count`` values after the class."""
    if count == 4:
        return "box", False
    if count == 5:
        return "box", True
    if kpt_shape is not None:
        need = 4 + kpt_shape[0] * kpt_shape[1]
        if count in (need, need + 1):
            return "pose", count == need + 1
        return None  # a pose dataset holds boxes and pose lines only
    if count >= 6:
        return "polygon", count % 2 == 1
    return None


def _need(kpt_shape: tuple[int, int] | None) -> str:
    if kpt_shape is None:
        return "a box needs 5 (class cx cy w h), a polygon 7 or more"
    k, d = kpt_shape
    return f"a pose line needs {5 + k * d} (class, box, {k} keypoints of {d})"


def parse_line(text: str, number: int, file: str, names: int | None,
               kpt_shape: tuple[int, int] | None) -> LabelLine | None:
    """The line's object, None for a blank line; DataError for anything else."""
    tokens = text.split()
    if not tokens:
        return None
    if len(tokens) > MAX_VALUES:
        raise DataError(f"{len(tokens)} values, more than the {MAX_VALUES} a line may have",
                        file=file, where=f"line {number}")
    found = _kind(len(tokens) - 1, kpt_shape)
    if found is None:
        raise DataError(f"{len(tokens)} values, {_need(kpt_shape)}", file=file,
                        where=f"line {number}")
    kind, scored = found
    cls = _class_index(tokens[0], names, file, number)
    try:
        values = list(map(float, tokens[1:]))
    except ValueError:
        values = [_number(token, file, number) for token in tokens[1:]]  # names the token
    if not math.isfinite(sum(values)):
        for token in tokens[1:]:
            _number(token, file, number)  # names a non-finite value
    score = values.pop() if scored else None
    if score is not None and not 0 <= score <= 1:
        raise DataError(f"confidence {score!r} is not between 0 and 1", file=file,
                        where=f"line {number}")
    keypoints: list[float] = []
    if kind == "pose":
        values, keypoints = values[:4], values[4:]
    _check_range(values, kind, file, number)
    if keypoints:
        _check_keypoints(keypoints, kpt_shape[1], file, number)  # type: ignore[index]
    return LabelLine(number, cls, kind, values, score, keypoints)


def _check_range(values: list[float], kind: str, file: str, number: int) -> None:
    bad = None
    if min(values) < LOW or max(values) > HIGH:  # two C passes; the search only then
        bad = next(v for v in values if not LOW <= v <= HIGH)
    if bad is not None:
        raise DataError(f"coordinate {bad!r} is far outside the image (normalised values "
                        f"lie between 0 and 1)", file=file, where=f"line {number}")
    if kind != "polygon" and (values[2] < 0 or values[3] < 0):
        raise DataError("a box has a negative width or height", file=file,
                        where=f"line {number}")


def _check_keypoints(values: list[float], dims: int, file: str, number: int) -> None:
    for k in range(0, len(values), dims):
        x, y = values[k], values[k + 1]
        if not (LOW <= x <= HIGH and LOW <= y <= HIGH):
            raise DataError(f"keypoint {k // dims + 1} ({x!r}, {y!r}) is far outside the "
                            f"image", file=file, where=f"line {number}")
        if dims == 3 and not 0 <= values[k + 2] <= 2:
            raise DataError(f"keypoint {k // dims + 1} has visibility {values[k + 2]!r} "
                            f"(0, 1 or 2, or a confidence 0..1)", file=file,
                            where=f"line {number}")


def label_text(data: bytes, file: str) -> str:
    """A label file's text; bytes that are not UTF-8 are a DataError naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError("not UTF-8 text", file=file, where=f"line {line}") from None


def parse_file(data: bytes, file: str, names: int | None,
               kpt_shape: tuple[int, int] | None) -> tuple[list[LabelLine], list[DataError]]:
    """Every object of a label file, and the errors of the lines that could not be read
    (the caller raises the first or skips them, per ``--on-error``)."""
    try:
        text = label_text(data, file)
    except DataError as err:
        return [], [err]
    found: list[LabelLine] = []
    errors: list[DataError] = []
    for number, raw in enumerate(text.splitlines(), 1):
        try:
            line = parse_line(raw, number, file, names, kpt_shape)
        except DataError as err:
            errors.append(err)
            continue
        if line is not None:
            found.append(line)
    return found, errors
