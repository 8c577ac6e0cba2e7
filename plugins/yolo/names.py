"""Class names and keypoint shapes, from a dataset YAML or a names file."""
from __future__ import annotations

from typing import Any

from cococonv.errors import DataError

#: The most classes a dataset may declare (a names map with key 10**9 would otherwise
#: decide the size of the label list).
MAX_CLASSES = 100_000
#: The most keypoints per object ``kpt_shape`` may declare.
MAX_KEYPOINTS = 10_000


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a class name, or None: the reader's rule, which the exporter
    applies too so that what it writes reads back."""
    if not text.strip() or any(ch in text for ch in "\n\r\x00"):
        return "is empty or holds a line break"
    return None


def _name(value: Any, display: str, where: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise DataError(f"class name {value!r} is not text", file=display, where=where)
    text = str(value)
    problem = name_problem(text)
    if problem:
        raise DataError(f"class name {text[:40]!r} {problem}", file=display, where=where)
    return text


def names_from_yaml(value: Any, nc: Any, display: str) -> list[str]:
    """``names`` as a list, or an ``{index: name}`` map (gaps named ``class_<i>``)."""
    if isinstance(value, list):
        if len(value) > MAX_CLASSES:
            raise DataError(f"{len(value)} names, more than {MAX_CLASSES}", file=display,
                            where="names")
        names = [_name(v, display, f"names[{k}]") for k, v in enumerate(value)]
    elif isinstance(value, dict):
        indexed = {}
        for key, name in value.items():
            if isinstance(key, bool) or not isinstance(key, int) or not \
                    0 <= key < MAX_CLASSES:
                raise DataError(f"class index {key!r} is not an integer from 0 to "
                                f"{MAX_CLASSES - 1}", file=display, where="names")
            indexed[key] = _name(name, display, f"names[{key}]")
        names = [indexed.get(k, f"class_{k}") for k in range(max(indexed, default=-1) + 1)]
    else:
        raise DataError("names: must be a list or an {index: name} map", file=display)
    if nc is not None:
        if isinstance(nc, bool) or not isinstance(nc, int) or nc != len(names):
            raise DataError(f"nc: {nc!r}, but {len(names)} names are given", file=display)
    return names


def names_from_file(data: bytes, display: str) -> list[str]:
    """One name a line (darknet's obj.names, classes.txt); blank lines at the end ignored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=display) from None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) > MAX_CLASSES:
        raise DataError(f"{len(lines)} names, more than {MAX_CLASSES}", file=display)
    for number, line in enumerate(lines, 1):
        if not line:
            raise DataError("empty class name", file=display, where=f"line {number}")
    return lines


def shape_from_yaml(doc: dict, display: str) -> tuple[tuple[int, int] | None,
                                                        list[int] | None]:
    """``kpt_shape`` ([points, 2 or 3]) and ``flip_idx``, checked."""
    shape = doc.get("kpt_shape")
    if shape is None:
        return None, None
    if not (isinstance(shape, list) and len(shape) == 2 and
            all(type(v) is int for v in shape) and 0 < shape[0] <= MAX_KEYPOINTS and
            shape[1] in (2, 3)):
        raise DataError(f"kpt_shape: {shape!r} is not [points, 2 or 3]", file=display)
    flip = doc.get("flip_idx")
    if flip is not None:
        if not (isinstance(flip, list) and len(flip) == shape[0] and
                all(type(v) is int and 0 <= v < shape[0] for v in flip)):
            raise DataError(f"flip_idx: must list {shape[0]} keypoint indices",
                            file=display)
    return (shape[0], shape[1]), flip
