"""One walk of a stream shared by the two consumers of an exporter's entries: the engine
(the per-item phase) and ``finish`` (pairing each result with its entry), so that a
stream is walked once for both and no entry is held longer than one is ahead."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import tee
from typing import Generic, TypeVar

T = TypeVar("T")


class TwinWalk(Generic[T]):
    """An iterable over ``walk()``: each first ``iter`` starts a walk, and the next
    ``iter`` is its twin (``itertools.tee``: it holds only the entries one of the two is
    ahead of the other, at most the engine's window), not a walk of its own."""

    def __init__(self, walk: Callable[[], Iterator[T]]):
        self._walk = walk
        self._twin: Iterator[T] | None = None

    def __iter__(self) -> Iterator[T]:
        if self._twin is not None:
            twin, self._twin = self._twin, None
            return twin
        first, self._twin = tee(self._walk())
        return first
