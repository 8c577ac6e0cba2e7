"""Helpers the transform modules share: ``old:new`` option pairs, label and subset
selectors that refuse a name the dataset does not have, and free group numbers."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from cococonv.errors import OptionError
from cococonv.model import Categories


def parse_pairs(entries: Sequence[str], transform: str, flag: str = "--mapping"
                ) -> dict[str, str]:
    """``["old:new", "junk:"]`` as ``{"old": "new", "junk": ""}``; OptionError for an
    entry without a colon."""
    pairs: dict[str, str] = {}
    for entry in entries:
        if ":" not in entry:
            raise OptionError(f"{transform}: {entry!r} in {flag} is not old:new")
        old, new = entry.split(":", 1)
        pairs[old.strip()] = new.strip()
    return pairs


def check_known(names: Iterable[str], known: Iterable[str], what: str, transform: str
                ) -> None:
    """OptionError naming the first of ``names`` that is not among ``known`` (a typo in a
    label or subset name would otherwise change nothing without a word)."""
    have = list(dict.fromkeys(known))
    present = set(have)
    for name in names:
        if name not in present:
            listed = ", ".join(have[:20]) + (" ..." if len(have) > 20 else "")
            raise OptionError(f"{transform}: the dataset has no {what} {name!r} "
                              f"(it has: {listed or 'none'})")


def label_indices(categories: Categories, names: Sequence[str], transform: str) -> set[int]:
    """The indices of the labels named (every label of a repeated name)."""
    check_known(names, (label.name for label in categories.labels), "label", transform)
    wanted = set(names)
    return {index for index, label in enumerate(categories.labels) if label.name in wanted}
