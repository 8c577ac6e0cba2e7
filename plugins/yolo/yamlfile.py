"""Dataset YAML files (Ultralytics ``data.yaml``): read safely, written for Ultralytics.

PyYAML's safe loader builds only plain values; on top of it the file size is capped and
aliases are refused (a few ``*a`` references can make a document that is tiny on disk
walk as billions of values), so no value in the file decides the cost of reading it.
"""
from __future__ import annotations

from typing import Any

from cococonv.errors import DataError

#: The largest dataset YAML read: real ones are a few KB (COCO's with its download
#: script is 6 KB); a class list of 100,000 names still fits.
MAX_YAML_BYTES = 4 * 1024 * 1024


def load_yaml(data: bytes, display: str) -> dict[str, Any]:
    """The mapping a dataset YAML holds; DataError naming the file (and line) otherwise."""
    import yaml

    if len(data) > MAX_YAML_BYTES:
        raise DataError(f"{len(data)} bytes, more than the {MAX_YAML_BYTES} a dataset YAML "
                        f"may have", file=display)

    class _NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise DataError("YAML aliases (*name) are not accepted in a dataset file",
                                file=display, where=f"line {mark.line + 1}")
            return super().compose_node(parent, index)

    try:
        text = data.decode("utf-8-sig")
        doc = yaml.load(text, Loader=_NoAliases)  # noqa: S506 (a SafeLoader subclass)
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=display) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise DataError(f"not valid YAML ({problem})", file=display, where=where) from None
    except RecursionError:
        raise DataError("YAML nested too deeply", file=display) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise DataError(f"a dataset YAML holds a mapping (train:, val:, names:), not a "
                        f"{type(doc).__name__}", file=display)
    return doc


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: every name reads back as the same string."""
    import json

    return json.dumps(text, ensure_ascii=False)


def dump_data_yaml(splits: list[tuple[str, str]], names: list[str],
                   kpt_shape: tuple[int, int] | None, flip_idx: list[int] | None) -> str:
    """``data.yaml`` as Ultralytics reads it: split folders relative to the file (no
    ``path:``, which Ultralytics would resolve under its own datasets folder), ``names``
    as an ``{index: name}`` map in index order, ``nc``, and for pose ``kpt_shape``."""
    lines = ["# Written by cococonv. Paths are relative to this file."]
    for key, folder in splits:
        lines.append(f"{_quoted(key)}: {_quoted(folder)}")
    lines.append(f"nc: {len(names)}")
    lines.append("names:")
    lines += [f"  {index}: {_quoted(name)}" for index, name in enumerate(names)]
    if kpt_shape is not None:
        lines.append(f"kpt_shape: [{kpt_shape[0]}, {kpt_shape[1]}]")
    if flip_idx is not None:
        lines.append(f"flip_idx: [{', '.join(str(i) for i in flip_idx)}]")
    return "\n".join(lines) + "\n"
