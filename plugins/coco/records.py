"""Checks on single COCO records, shared by every part of the reader.

The type tests are sets of exact types in one C-level pass: a bool is not a number and a
string is not an id here, as in the COCO tools. Every refusal names the file and the JSON
path of the value (``annotations[3].bbox``) so the CLI prints it as one line.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cococonv.errors import DataError
from cococonv.limits import LimitError, check_rle_canvas
from cococonv.report import Report
from cococonv.sources import Tree

NUMBER = (int, float)
NUMBER_TYPES = frozenset(NUMBER)
ID_TYPES = frozenset((int, str))
_INT_TYPES = frozenset((int,))

#: ``Context.map``'s shape: ``func(plan, item)`` for each item, in item order.
RunMap = Callable[[Callable[[Any, Any], Any], Any, Iterable[Any]], Iterator[Any]]


class FileScope:
    """The run's tree and report and the file being read: what an error line names."""

    def __init__(self, tree: Tree, report: Report):
        self.tree = tree
        self.report = report
        self.display = ""  # the file being read, as the user named it
        self.task = ""
        self.subset = ""
        self.results = False  # the file is a bare results list

    def error(self, message: str, where: str) -> DataError:
        return DataError(message, file=self.display, where=where)


def all_numbers(values: list) -> bool:
    """Every value is an int or a float (not a bool or a string), in one C-level pass."""
    return set(map(type, values)) <= NUMBER_TYPES


def box_within(box: list, low: float, high: float) -> bool:
    """All corners of ``[x, y, w, h]`` lie in ``low..high`` (box_problem would pass it)."""
    x, y, w, h = box
    try:
        return low <= x <= high and low <= y <= high and low <= x + w <= high \
            and low <= y + h <= high
    except OverflowError:  # a float plus an int of hundreds of digits: box_problem says so
        return False


def is_number(value: Any) -> bool:
    return type(value) in NUMBER


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_record(scope: FileScope, ann: Any, i: int) -> dict:
    """The i-th annotation record, refused unless it is a JSON object."""
    if type(ann) is not dict:
        raise scope.error(f"must be an object, got {type_name(ann)}", f"annotations[{i}]")
    return ann


def common_fields(scope: FileScope, ann: dict, i: int) -> tuple[Any, dict]:
    """Pop id and the attribute-like keys; returns (id, attributes)."""
    aid = ann.pop("id", None)
    if aid is not None and type(aid) not in (int, str):
        raise scope.error(f"must be an integer or string, got {type_name(aid)}",
                          f"annotations[{i}].id")
    attrs = ann.pop("attributes", None)
    if attrs is None:
        attrs = {}
    elif type(attrs) is not dict:
        raise scope.error(f"must be an object, got {type_name(attrs)}",
                          f"annotations[{i}].attributes")
    elif attrs == {}:
        ann["_attributes_empty"] = True
    elif "score" in attrs or "is_crowd" in attrs:
        # Custom attributes named like COCO's own fields: keep the object verbatim.
        ann["_attributes"] = attrs
        attrs = {k: v for k, v in attrs.items() if k not in ("score", "is_crowd")}
    if "score" in ann:
        score = ann.pop("score")
        if not is_number(score):
            raise scope.error(f"must be a number, got {score!r}", f"annotations[{i}].score")
        attrs["score"] = score
    return aid, attrs


def read_crowd(scope: FileScope, value: Any, i: int) -> tuple[int, int]:
    """``(iscrowd, 1)`` of a crowd flag written as text or a bool (1 = one repair)."""
    text = str(value).strip().lower()
    if value is True or text in ("1", "true", "yes"):
        return 1, 1
    if value is False or value is None or text in ("0", "false", "no", ""):
        return 0, 1
    raise scope.error(f"must be 0 or 1, got {value!r}", f"annotations[{i}].iscrowd")


def check_rle(scope: FileScope, rle: dict, height: int | None, width: int | None,
              i: int) -> None:
    """Refuse an RLE whose size or counts cannot describe a mask of its image."""
    size = rle.get("size")
    counts = rle.get("counts")
    where = f"annotations[{i}].segmentation"
    if (type(size) is not list or len(size) != 2
            or not all(type(v) is int and v >= 0 for v in size)):
        raise scope.error(f"RLE size must be [height, width], got {size!r}", where)
    if height is not None and width is not None and (size[0], size[1]) != (height, width):
        raise scope.error(f"RLE size {size[0]}x{size[1]} does not match the image "
                          f"{height}x{width} (height x width)", where)
    try:
        check_rle_canvas(size[0], size[1])
    except LimitError as exc:
        raise scope.error(exc.message, where) from None
    if type(counts) is list:
        if counts and not (set(map(type, counts)) <= _INT_TYPES and min(counts) >= 0):
            raise scope.error("RLE counts must be non-negative integers", where)
        total = sum(counts)
        if total != size[0] * size[1]:
            raise scope.error(f"RLE counts sum to {total}, expected height*width = "
                              f"{size[0] * size[1]}", where)
    elif type(counts) is str:
        from cococonv import masks
        try:
            masks.check_rle(rle)
        except ValueError as exc:
            raise scope.error(str(exc), where) from None
    else:
        raise scope.error(f"RLE counts must be a list or a string, got "
                          f"{type_name(counts)}", where)


def ring_problem(ring: Any) -> str:
    if type(ring) is not list:
        return f"a polygon must be a list of numbers, got {type_name(ring)}"
    if not all_numbers(ring):
        return "a polygon must hold numbers only"
    return (f"a polygon needs at least 3 points (6 numbers) and an even count, "
            f"got {len(ring)} numbers")


def describe_ids(ids: list) -> str:
    """The known ids for an error line: a range when they are consecutive integers."""
    if not ids:
        return "there are none"
    if all(type(v) is int for v in ids):
        lo, hi = min(ids), max(ids)
        if hi - lo + 1 == len(ids):
            return f"known: {lo}-{hi}" if lo != hi else f"known: {lo}"
    shown = ", ".join(repr(v) for v in ids[:10])
    return f"known: {shown}{', ...' if len(ids) > 10 else ''}"
