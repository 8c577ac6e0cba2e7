"""``--jobs N``: per-item work (mask PNGs, XML) spread over forked worker processes.

The workers are forked once the work is planned, so they see the dataset without it being
pickled; each gets a chunk of item positions and sends back small per-item results, in
item order (output identical to ``--jobs 1``). A worker that hits an error returns None
for that item and the parent redoes it itself, raising the error as ``--jobs 1`` would;
a worker that dies (OOM killer, signal) leaves the rest to the parent.

When the run fails, the workers are stopped (killed, then waited for) before the output's
temporary folder is removed: otherwise chunks in flight go on writing, and recreate a
half-filled folder after the removal. ``run_chunks`` does so when its consumer raises
through it or drops it; ``atomic_output`` through the hook registered here, since an error
raised in the consumer's own loop leaves the generator suspended, and alive in the
traceback, until after the folder is gone.

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

from cococonv.fileio import before_discard
from cococonv.plugin import Option

CHUNK = 64

JOBS = Option("jobs", int, 1, "Worker processes for the per-image work (painting the mask PNGs, writing the XML); "
              "0 means one per CPU. Output is identical for any value.")

_TARGET: Any = None
_OPEN: set["_Chunks"] = set()  # the pools of this process not closed yet


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


class _Chunks:
    """``getattr(target, method)(i)`` for i in 0..count-1 by ``jobs`` forked workers, a
    chunk of items per task, at most two chunks per worker in flight, taken in order.
    Once the pool breaks (a worker died), every later item comes back None."""

    def __init__(self, target: Any, count: int, jobs: int, method: str):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _TARGET
        self.pending: deque = deque()  # (start, stop, future; None once the pool broke)
        self.starts = iter(range(0, count, CHUNK))
        self.count, self.method, self.broken = count, method, False
        self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        self.owner = os.getpid()
        _OPEN.add(self)
        _TARGET = target  # seen by the workers, which the first submits fork
        try:
            for _ in range(2 * jobs):
                self._submit()
        except BaseException:
            self.stop()
            raise

    def _submit(self) -> None:
        start = next(self.starts, None)
        if start is not None:
            stop = min(start + CHUNK, self.count)
            future = None if self.broken else \
                self.pool.submit(_work, self.method, start, stop)
            self.pending.append((start, stop, future))

    def ready(self) -> bool:
        """Whether ``take`` would return without waiting."""
        return bool(self.pending) and (self.pending[0][2] is None or
                                       self.pending[0][2].done())

    def take(self) -> tuple[int, list[Any]]:
        """The next chunk's first item and results (waiting for them); starts another."""
        start, stop, future = self.pending.popleft()
        results = None
        if future is not None:
            try:
                results = future.result()
            except Exception:  # the pool broke: the caller does what is left
                self.broken = True
        self._submit()
        return start, results if results is not None else [None] * (stop - start)

    def close(self) -> None:
        """Stop the workers (chunks already running finish first); safe to call twice."""
        global _TARGET
        self.pool.shutdown(wait=True, cancel_futures=True)
        _OPEN.discard(self)
        _TARGET = None

    def stop(self) -> None:
        """Kill the workers, then wait for them: for a failed run, whose results nobody
        wants and whose chunks in flight must not go on writing files."""
        if os.getpid() != self.owner:  # a forked worker's copy: not its pool to stop
            return
        # the executor has no public kill before Python 3.14 (terminate_workers); without
        # its worker table, close() still waits for the chunks in flight to end
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        self.close()


def _stop_all() -> None:
    for chunks in list(_OPEN):
        chunks.stop()


before_discard(_stop_all)


class Prefetch:
    """``getattr(target, method)(i)`` for i in 0..count-1 by ``jobs`` forked workers,
    started at once and collected while the parent does other work (``poll``), then
    returned in order by ``finish``; a worker's failure is None there (the caller redoes
    that item itself), also for every item left when a worker dies (OOM killer, signal).
    Results are kept until ``finish``: meant for small ones."""

    def __init__(self, target: Any, count: int, jobs: int, method: str):
        self.results: list[Any] = [None] * count
        self.chunks = _Chunks(target, count, jobs, method)

    def _store(self) -> None:
        start, results = self.chunks.take()
        self.results[start:start + len(results)] = results

    def poll(self) -> None:
        """Take the finished chunks and start the next ones (does not wait)."""
        while self.chunks.ready():
            self._store()

    def finish(self) -> list[Any]:
        """Every result, in order (waiting for the rest); the pool is closed after."""
        try:
            while self.chunks.pending:
                self._store()
        finally:
            self.close()
        return self.results

    def close(self) -> None:
        self.chunks.close()


def run_chunks(target: Any, count: int, jobs: int, method: str) -> Iterator[Any]:
    """``getattr(target, method)(i)`` for i in 0..count-1, computed by ``jobs`` forked
    workers, yielded in order (a failed item, or a dead worker's and those after, done
    here)."""
    chunks = _Chunks(target, count, jobs, method)
    try:
        while chunks.pending:
            start, results = chunks.take()
            for offset, result in enumerate(results):
                yield result if result is not None else \
                    getattr(target, method)(start + offset)
    except BaseException:  # an error, or the consumer dropped us (GeneratorExit)
        chunks.stop()
        raise
    chunks.close()
