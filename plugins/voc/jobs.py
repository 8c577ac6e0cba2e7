"""``--jobs N``: per-item work (mask PNGs, XML) spread over forked worker processes.

The workers are forked once the work is planned, so they see the dataset without it being
pickled; each gets a chunk of item positions and sends back small per-item results, in
item order (output identical to ``--jobs 1``). A worker that hits an error returns None
for that item and the parent redoes it itself, raising the error as ``--jobs 1`` would;
a worker that dies (OOM killer, signal) leaves the rest to the parent.

``run_chunks`` (the exporter) yields results as the parent consumes them, with at most
two chunks per worker in flight, so memory stays bounded. ``Prefetch`` (the VOC importer)
starts before the parent's own pass over the data and keeps every result until
``finish``: for results no bigger than what the dataset keeps anyway.
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from typing import Any

from cococonv.plugin import Option

CHUNK = 64

JOBS = Option("jobs", int, 1, "Worker processes for the per-image work (painting the mask PNGs, writing the XML); "
              "0 means one per CPU. Output is identical for any value.")

_TARGET: Any = None


def resolve_jobs(value: Any) -> int:
    """Worker processes for ``--jobs value`` (0: one per CPU); 1 where processes cannot
    be forked (Windows), since the workers rely on inheriting the dataset."""
    import multiprocessing

    jobs = int(value or 0) if value is not None else 1
    if jobs <= 0:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            (os.cpu_count() or 1)
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return jobs


def _work(method: str, start: int, stop: int) -> list[Any]:
    work = getattr(_TARGET, method)
    out = []
    for index in range(start, stop):
        try:
            out.append(work(index))
        except Exception:  # redone (and raised) by the parent, in order
            out.append(None)
    return out


class Prefetch:
    """``getattr(target, method)(i)`` for i in 0..count-1 by ``jobs`` forked workers,
    started at once and collected while the parent does other work (``poll``), then
    returned in order by ``finish``; a worker's failure is None there (the caller redoes
    that item itself), also for every item left when a worker dies (OOM killer, signal).
    Results are kept until ``finish``: meant for small ones."""

    def __init__(self, target: Any, count: int, jobs: int, method: str):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _TARGET
        self.results: list[Any] = [None] * count
        self.pending: deque = deque()
        self.starts = iter(range(0, count, CHUNK))
        self.count, self.method, self.ahead = count, method, 2 * jobs
        self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        _TARGET = target  # seen by the workers, which the first submits fork
        try:
            for _ in range(self.ahead):
                self._submit()
        except BaseException:
            self.close()
            raise

    def _submit(self) -> None:
        start = next(self.starts, None)
        if start is not None:
            stop = min(start + CHUNK, self.count)
            self.pending.append((start, self.pool.submit(_work, self.method, start, stop)))

    def _collect(self) -> None:
        start, future = self.pending.popleft()
        try:
            results = future.result()
        except Exception:  # the pool broke: what is left stays None, the parent does it
            self.pending.clear()
            self.starts = iter(())
            return
        self.results[start:start + len(results)] = results
        self._submit()

    def poll(self) -> None:
        """Take the finished chunks and start the next ones (does not wait)."""
        while self.pending and self.pending[0][1].done():
            self._collect()

    def finish(self) -> list[Any]:
        """Every result, in order (waiting for the rest); the pool is closed after."""
        try:
            while self.pending:
                self._collect()
        finally:
            self.close()
        return self.results

    def close(self) -> None:
        """Stop the workers (chunks already running finish first); safe to call twice."""
        global _TARGET
        self.pool.shutdown(wait=True, cancel_futures=True)
        _TARGET = None


def run_chunks(target: Any, count: int, jobs: int, method: str) -> Iterator[Any]:
    """``getattr(target, method)(i)`` for i in 0..count-1, computed by ``jobs`` forked
    workers, yielded in order (a dead worker's items, and those after, done here)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _TARGET
    starts = iter(range(0, count, CHUNK))
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        _TARGET = target
        try:
            pending: deque = deque()

            def submit() -> None:
                start = next(starts, None)
                if start is not None:
                    stop = min(start + CHUNK, count)
                    pending.append((start, stop, pool.submit(_work, method, start, stop)))

            for _ in range(2 * jobs):
                submit()
            while pending:
                start, stop, future = pending.popleft()
                try:
                    results = future.result()
                except Exception:  # the pool broke: the rest is done here
                    pending.clear()
                    yield from (getattr(target, method)(k) for k in range(start, count))
                    return
                submit()
                for offset, result in enumerate(results):
                    yield result if result is not None else \
                        getattr(target, method)(start + offset)
        finally:
            _TARGET = None
