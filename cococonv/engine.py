"""The one engine every plugin's per-item work runs on: an ordered, chunked map, in this
process or in forked worker processes (``--jobs N``).

``map_items(func, plan, items, jobs)`` yields ``func(plan, item)`` for every item, in item
order, whatever ``jobs`` is, so output is identical for every value. ``func`` is a
module-level function (picklable by name); ``plan`` is what the parent prepared.

Workers are forked once the work is planned, so they inherit the plan and, when ``items``
is a sequence, the items too: each worker then gets a range of positions and returns small
per-item results, never the items. Other iterables are sent a chunk at a time. At most two
chunks per worker are in flight, so memory stays bounded. A worker that hits an error
returns None for that item and the parent redoes it itself, raising the error as one
process would (the same error line); a worker that dies (OOM killer, signal) leaves the
rest to the parent: it costs time, not the run.

When the run fails, the workers are stopped (killed, then waited for) before the output's
temporary folder is removed: otherwise chunks in flight go on writing, and recreate a
half-filled folder after the removal. ``map_items`` does so when its consumer raises
through it or drops it; ``atomic_output`` through the hook registered here, since an error
raised in the consumer's own loop leaves the generator suspended, and alive in the
traceback, until after the folder is gone.

``Prefetch`` starts the workers before the parent's own pass over the data (the VOC
importer decodes mask PNGs while the parent parses XML) and keeps every result until
``finish``: for results no bigger than what the dataset keeps anyway.

The backend is chosen in one place, ``_pool``: a ``jobs`` value that is a ``DaskWorkers``
(``--engine dask``) sends the chunks to a Dask cluster (``cococonv.dask_engine``) with the
same order, window and redo rules; every other value forks local workers. Plugins pass
``ctx.jobs`` along and never know which.
"""
from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .chunking import CHUNK, OPEN as _OPEN, ChunkWindow  # noqa: F401  (CHUNK: engine's API)
from .fileio import before_discard


#: ``--jobs`` beyond this many workers per usable CPU buys nothing (the work is CPU and
#: local-disk bound) and would let one flag fork thousands of processes.
MAX_JOBS_PER_CPU = 4

ItemFunction = Callable[[Any, Any], Any]

_JOB: Any = None  # (func, plan, items) seen by the forked workers


class DaskWorkers(int):
    """A ``jobs`` value meaning: the Dask cluster at ``address``, whose worker threads it
    counts (at least 2, so the usual "is a pool worth it" rule holds). An int, so every
    caller that compares or passes ``jobs`` along works unchanged; it holds no client
    (``dask_engine`` keeps one per address), so a plan that keeps it still pickles."""

    address: str

    def __new__(cls, address: str, threads: int) -> "DaskWorkers":
        value = super().__new__(cls, max(2, threads))
        value.address = address
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (DaskWorkers, (self.address, int(self)))


def use_dask(address: str) -> DaskWorkers:
    """Connect to the Dask scheduler at ``address`` (``tcp://HOST:PORT``) and return the
    ``jobs`` value that runs the per-item work there. Raises EngineError (one line) when
    the dask extra is missing, the scheduler does not answer in time or has no worker."""
    from .dask_engine import connect

    return DaskWorkers(address, connect(address))


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def resolve_jobs(value: Any) -> int:
    """Worker processes for ``--jobs value``: None or 0 mean one per usable CPU; at most
    ``MAX_JOBS_PER_CPU`` per CPU; 1 where processes cannot be forked (Windows), since the
    workers rely on inheriting the plan."""
    if isinstance(value, DaskWorkers):
        return value
    jobs = int(value) if value else usable_cpus()
    # os.fork exists exactly where multiprocessing offers "fork"; asking multiprocessing
    # itself would import it (5 ms) in every run, pool or not
    if jobs > 1 and not hasattr(os, "fork"):
        return 1
    return max(1, min(jobs, MAX_JOBS_PER_CPU * usable_cpus()))


def worth_a_pool(jobs: int, count: int | None) -> bool:
    """Whether forking workers pays for ``count`` items (unknown counts: it may)."""
    return jobs > 1 and (count is None or count >= 2 * CHUNK)


def _worker_started(parent: int) -> None:
    """A worker dies with its parent (even a SIGKILLed one, whose cleanup never runs:
    Linux's parent-death signal), and takes the default action on SIGTERM and SIGHUP,
    which the parent turns into an exception for its own cleanup."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _run_chunk(start: int, stop: int, shipped: list[Any] | None
               ) -> tuple[list[Any], list[tuple[str, str]]]:
    func, plan, items = _JOB
    chosen = shipped if shipped is not None else (items[i] for i in range(start, stop))
    out: list[Any] = []
    failures: list[tuple[str, str]] = []
    for item in chosen:
        try:
            out.append(func(plan, item))
        except Exception as exc:  # redone (and raised) by the parent, in order
            out.append(None)
            failures.append((type(exc).__name__, str(exc).splitlines()[0] if str(exc)
                             else type(exc).__name__))
    return out, failures


class _Chunks(ChunkWindow):
    """``func(plan, item)`` for every item by ``jobs`` forked workers, a chunk of items per
    task, at most two chunks per worker in flight, taken in order. Once the pool breaks (a
    worker died), every later chunk comes back as None results for the parent to redo."""

    where = "the forked workers"

    def __init__(self, func: ItemFunction, plan: Any, items: Iterable[Any], jobs: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _JOB
        self._open(items)
        if self.count is not None:  # no more workers than chunks
            jobs = max(1, min(jobs, -(-self.count // CHUNK)))
        self.broken = False
        self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_worker_started,
                                        initargs=(os.getpid(),))
        self.owner = os.getpid()
        _OPEN.add(self)
        _JOB = (func, plan, items if self.indexed else None)  # inherited by the forks
        # What the workers inherit is moved out of the collector's reach first: a full
        # collection in a worker would otherwise write to every object's header, copying
        # the parent's pages into each worker (gc.freeze's documented use before fork).
        # The parent thaws them once the workers exist (the pool forks them all at its first
        # submit): frozen, its own garbage would never be collected again, a leak for a
        # process that runs many conversions (the workers keep their frozen copy).
        gc.freeze()
        try:
            self._fill(2 * jobs)
        finally:
            gc.unfreeze()

    def _submit(self) -> None:
        planned = self._next_chunk()
        if planned is None:
            return
        start, stop, chunk = planned
        future = None if self.broken else self.pool.submit(_run_chunk, start, stop, chunk)
        self.pending.append((start, stop, chunk, future))

    def take(self) -> tuple[int, list[Any] | None, list[Any]]:
        """The next chunk's first position, its items when they were shipped, and its
        results (waiting for them; None where the parent must redo one); starts another."""
        start, stop, chunk, future = self.pending.popleft()
        results = None
        if future is not None:
            try:
                results, failures = future.result()
            except Exception:  # the pool broke: the caller does what is left
                self.broken = True
            else:
                for reason, message in failures:
                    self._failed(reason, 1, message)
        self._submit()
        if results is None:
            self._failed("a worker died", stop - start)
            results = [None] * (stop - start)
        return start, chunk, results

    def close(self) -> None:
        """Stop the workers (chunks already running finish first); safe to call twice."""
        global _JOB
        self.pool.shutdown(wait=True, cancel_futures=True)
        _OPEN.discard(self)
        _JOB = None

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


def _pool(func: ItemFunction, plan: Any, items: Iterable[Any], jobs: int) -> Any:
    """The one place the backend is chosen: a Dask cluster for ``DaskWorkers``, forked
    local workers otherwise (both offer ``pending``, ``ready``, ``take``, ``close``,
    ``stop``)."""
    if isinstance(jobs, DaskWorkers):
        from .dask_engine import DaskChunks

        return DaskChunks(func, plan, items, jobs)
    return _Chunks(func, plan, items, jobs)


def stop_all() -> None:
    """Kill every pool of this process (a failed run, a signal)."""
    for chunks in list(_OPEN):
        chunks.stop()


before_discard(stop_all)


def map_items(func: ItemFunction, plan: Any, items: Iterable[Any], jobs: int = 1, *,
              note: Callable[[str], None] | None = None) -> Iterator[Any]:
    """``func(plan, item)`` for each item, in item order; by ``jobs`` forked workers when
    there are enough items (a failed item, or a dead worker's, is done here, and ``note``
    gets one line saying how many and why once all are done)."""
    count = len(items) if isinstance(items, Sequence) else None
    if not worth_a_pool(jobs, count):
        for item in items:
            yield func(plan, item)
        return
    chunks = _pool(func, plan, items, jobs)
    try:
        while chunks.pending:
            start, shipped, results = chunks.take()
            for offset, result in enumerate(results):
                if result is None:
                    item = shipped[offset] if shipped is not None else items[start + offset]  # type: ignore[index]
                    result = func(plan, item)
                yield result
    except BaseException:  # an error, or the consumer dropped us (GeneratorExit)
        chunks.stop()
        raise
    chunks.close()
    _note_redone(chunks, note)


def _note_redone(chunks: Any, note: Callable[[str], None] | None) -> None:
    line = chunks.redo_note()
    if line and note is not None:
        note(line)


class Prefetch:
    """``func(plan, items[i])`` for a sequence of items by ``jobs`` forked workers, started
    at once and collected while the parent does other work (``poll``), then returned in
    order by ``finish``; a worker's failure is None there (the caller redoes that item
    itself), also for every item left when a worker dies. Results are kept until
    ``finish``: meant for small ones."""

    def __init__(self, func: ItemFunction, plan: Any, items: Sequence[Any], jobs: int, *,
                 note: Callable[[str], None] | None = None):
        self.results: list[Any] = [None] * len(items)
        self.chunks = _pool(func, plan, items, jobs)
        self.note = note  # gets the line on failed items (map_items)

    def _store(self) -> None:
        start, _shipped, results = self.chunks.take()
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
        _note_redone(self.chunks, self.note)
        return self.results

    def close(self) -> None:
        self.chunks.close()
