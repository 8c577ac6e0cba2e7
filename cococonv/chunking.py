"""The chunk window both engine backends share (forked workers, a Dask cluster).

Items go to workers a chunk at a time; the chunks in flight are kept in item order, so the
results are taken in order whatever finishes first, and a fixed number in flight keeps
memory bounded. ``OPEN`` holds the pools not closed yet, for ``engine.stop_all``.
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

#: Items per task sent to a worker; below two chunks' worth the pool is not worth forking.
CHUNK = 64

OPEN: set[Any] = set()  # the pools (local or Dask) of this process not closed yet


class ChunkWindow:
    """What both backends share: the chunks in flight, in item order, as ``(start, stop,
    shipped items or None, future or None)``, and the next chunk's range. A sequence's
    items are shipped only when ``ship_sequences`` (workers that inherit nothing)."""

    ship_sequences = False
    #: Where the chunks run, for the line on items redone here (``redo_note``).
    where = "the workers"

    def _open(self, items: Iterable[Any]) -> None:
        #: Why the items the caller must redo failed: reason (an exception's type, a dead
        #: worker) -> items, and the first one's message; see ``redo_note``.
        self.failures: Counter[str] = Counter()
        self.first_failure = ""
        self.items = items
        self.indexed = isinstance(items, Sequence)
        self.count = len(items) if self.indexed else None  # type: ignore[arg-type]
        self.source = iter(items)
        self.pending: deque = deque()
        self.next_start = 0

    def _fill(self, chunks: int) -> None:
        """Submit the first ``chunks`` chunks (stopping what started if one fails)."""
        try:
            for _ in range(chunks):
                self._submit()
        except BaseException:
            self.stop()
            raise

    def _next_chunk(self) -> tuple[int, int, list[Any] | None] | None:
        """The next chunk's range and its items when they are shipped; None at the end."""
        start = self.next_start
        if self.indexed:
            stop = min(start + CHUNK, self.count)  # type: ignore[type-var]
            if stop <= start:
                return None
            chunk = [self.items[i] for i in range(start, stop)] \
                if self.ship_sequences else None  # type: ignore[index]
        else:
            chunk = list(islice(self.source, CHUNK))
            if not chunk:
                return None
            stop = start + len(chunk)
        self.next_start = stop
        return start, stop, chunk

    def ready(self) -> bool:
        """Whether ``take`` would return without waiting."""
        return bool(self.pending) and (self.pending[0][3] is None or
                                       self.pending[0][3].done())

    def _submit(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _failed(self, reason: str, count: int = 1, message: str = "") -> None:
        """Count ``count`` items that come back as None for the caller to redo."""
        self.failures[reason] += count
        if not self.first_failure:
            self.first_failure = message or reason

    def redo_note(self) -> str:
        """One line on the items that failed where they were sent and were redone by the
        caller ("" when none): how many, why, the first one's message. A redo that
        succeeds means the workers differ from this process (a path they cannot see)."""
        count = sum(self.failures.values())
        if not count:
            return ""
        why = ", ".join(f"{reason} {n}" for reason, n in self.failures.most_common(3))
        if len(self.failures) > 3:
            why += ", ..."
        noun = "item" if count == 1 else "items"
        return (f"{count} {noun} failed on {self.where} and {'was' if count == 1 else 'were'}"
                f" redone in this process ({why}); first: {self.first_failure}")
