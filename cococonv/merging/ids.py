"""Ids taken per subset, and fresh ones that clash with nothing seen or still to come."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class IdPool:
    """The ids earlier inputs hold, per subset (per label space for categories: subset "").

    A fresh id is an int above every id taken and every id of the current input, so an id
    the current input uses further on never has to move because of one given out here.
    """

    def __init__(self) -> None:
        self.taken: dict[str, set[Any]] = {}
        self._top: dict[str, int] = {}

    def is_taken(self, subset: str, value: Any) -> bool:
        try:
            return value in self.taken.get(subset, ())
        except TypeError:  # an unhashable id no importer should make: it clashes with none
            return False

    def take(self, subset: str, values: Iterable[Any]) -> None:
        taken = self.taken.setdefault(subset, set())
        for value in values:
            try:
                taken.add(value)
            except TypeError:
                continue
            if type(value) is int and value > self._top.get(subset, 0):
                self._top[subset] = value

    def fresh(self, subset: str, own_top: int) -> int:
        value = max(self._top.get(subset, 0), own_top) + 1
        self.take(subset, (value,))
        return value


def int_top(values: Iterable[Any]) -> int:
    """The largest int among ``values`` (0 when none)."""
    return max((v for v in values if type(v) is int), default=0)
