"""Items a worker failed and the parent redid are one line (``Report.notes``, ``-v``)."""
from __future__ import annotations

import os

from cococonv import engine


def _fails_in_a_fork(parent: int | None, index: int) -> int:
    """Fails in a worker for items 3 and 70 (never when ``parent`` is None)."""
    if parent is not None and os.getpid() != parent and index in (3, 70):
        raise ValueError(f"no such file for item {index}")
    return index


def test_items_forked_workers_failed_are_redone_and_noted():
    notes: list[str] = []
    count = 2 * engine.CHUNK
    assert list(engine.map_items(_fails_in_a_fork, os.getpid(), range(count), 2,
                                 note=notes.append)) == list(range(count))
    assert notes == ["2 items failed on the forked workers and were redone in this process "
                     "(ValueError 2); first: no such file for item 3"]


def test_a_run_whose_workers_fail_nothing_has_no_note():
    notes: list[str] = []
    list(engine.map_items(_fails_in_a_fork, None, range(2 * engine.CHUNK), 2,
                          note=notes.append))
    assert notes == []
