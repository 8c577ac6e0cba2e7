"""The engine's Dask backend (``--engine dask``): the same chunked, ordered map as the
forked workers, run by the workers of a Dask cluster.

Only ``engine._pool`` and ``engine.use_dask`` import this module, and only this module
imports dask, so a local run never loads it. The client (``plan``, ``finish``, the
progress and the report) stays in this process; what goes to the cluster is the plan,
sent once (``scatter``), and a chunk of items per task. Results come back in item order;
at most two chunks per worker thread are in flight, so memory stays bounded whatever the
dataset's size.

Workers need cococonv installed (the same version: functions travel by name) and must
see the input and the output at the same paths as this process (a shared filesystem;
docs/cluster.md). An item that fails on a worker comes back as None and is redone here,
raising the error a local run raises (a redo that succeeds is one ``-v`` line and a note
in the run report: the workers see something this process does not); a task that fails as a whole (a worker that cannot
import cococonv, a result that does not pickle, a cluster gone) is one EngineError line.

When the run fails, ``stop`` raises a Dask event the chunks look at between items, waits
for the chunks in flight to end, and only then lets the output's temporary folder go:
otherwise a worker would go on writing into a removed folder.
"""
from __future__ import annotations

import atexit
import copy
import time
import uuid
from collections.abc import Iterable
from typing import Any

from .chunking import OPEN, ChunkWindow
from .errors import EngineError

#: Seconds to wait for the scheduler to answer, and then for a first worker.
CONNECT_TIMEOUT = 10.0
#: Seconds a failed run waits for the chunks in flight to notice the stop.
STOP_TIMEOUT = 60.0
#: Seconds between two looks at the stop event inside a chunk (each is a round trip).
STOP_POLL = 0.25
_CLIENTS: dict[str, Any] = {}  # one client per scheduler address, for the process
#: Chunks this process sent to a cluster (tests check that a run really used it).
SENT = [0]


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise EngineError("--engine dask needs dask and distributed: "
                          "pip install 'cococonv[dask]'") from None
    return distributed


def connect(address: str) -> int:
    """The worker threads of the cluster at ``address``, connecting once per process.
    One EngineError line when it cannot be reached or has no worker in time."""
    distributed = _import_distributed()
    client = _CLIENTS.get(address)
    if client is None:
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT,
                                        set_as_default=False)
        except (ValueError, TypeError) as exc:
            raise EngineError(f"not a Dask scheduler address ({_describe(exc, False)}); "
                              f"expected tcp://HOST:PORT", file=address) from None
        except (OSError, TimeoutError) as exc:
            reason = _describe(exc, False) if str(exc) else \
                f"no answer in {CONNECT_TIMEOUT:g} s"
            raise EngineError(f"cannot reach the Dask scheduler ({reason})",
                              file=address) from None
        except Exception as exc:  # distributed's own asserts when a timed-out start unwinds
            raise EngineError(f"cannot reach the Dask scheduler ({_describe(exc, False)})",
                              file=address) from None
        if not _CLIENTS:
            atexit.register(disconnect)
        _CLIENTS[address] = client
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise EngineError(f"the Dask scheduler has no worker (waited {CONNECT_TIMEOUT:g} s)",
                          file=address) from exc
    return sum(client.nthreads().values())


def disconnect() -> None:
    """Close this process's clients (at exit, or when a test's cluster goes away)."""
    while _CLIENTS:
        _address, client = _CLIENTS.popitem()
        try:
            client.close()
        except Exception:  # a cluster already gone: nothing to tell it
            pass


def _client(address: str) -> Any:
    if address not in _CLIENTS:
        connect(address)
    return _CLIENTS[address]


_LAST_LOOK: dict[str, float] = {}  # on a worker: when each run's stop event was looked at


def _stopped(event_name: str) -> bool:
    """Whether the client stopped this run (looked up at most every STOP_POLL seconds)."""
    now = time.monotonic()
    if now - _LAST_LOOK.get(event_name, 0.0) < STOP_POLL:
        return False
    if len(_LAST_LOOK) > 1000:  # a long-lived worker serves many runs
        _LAST_LOOK.clear()
    _LAST_LOOK[event_name] = now
    from distributed import Event

    return Event(event_name).is_set()


def run_chunk(func: Any, plan: Any, chunk: list[Any], event_name: str
              ) -> tuple[list[Any], list[tuple[str, str]]]:
    """On a worker: ``func(plan, item)`` for each item of the chunk, None for one that
    raised (the client redoes it and raises as a local run would), with the failures'
    (type, message) for the client's note; cut short when the client stopped the run."""
    out: list[Any] = []
    failures: list[tuple[str, str]] = []
    for item in chunk:
        if _stopped(event_name):
            break
        try:
            out.append(func(plan, item))
        except Exception as exc:  # redone (and raised) by the client, in order
            out.append(None)
            failures.append((type(exc).__name__, _describe(exc)))
    return out, failures


def _describe(exc: BaseException, kind: bool = True) -> str:
    """An exception as a short phrase for one error line (its first line, its type)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if not kind:
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class DaskChunks(ChunkWindow):
    """``func(plan, item)`` for every item on a Dask cluster, a chunk per task, at most
    two chunks per worker thread in flight, taken in order (the interface of the forked
    workers' ``engine._Chunks``); every chunk ships its items."""

    ship_sequences = True
    where = "the Dask workers"

    def __init__(self, func: Any, plan: Any, items: Iterable[Any], workers: Any):
        self.address = workers.address
        self.client = _client(self.address)
        self.func = func
        self._open(items)
        self.event_name = f"cococonv-stop-{uuid.uuid4().hex}"
        # the items travel in chunks: a plan's own list of them (Exporter.plan_items) is
        # not sent again with the plan (nor a generator, which does not pickle)
        if getattr(plan, "items", None) is items:
            plan = copy.copy(plan)
            plan.items = None
        name = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"
        try:
            [self.plan] = self.client.scatter([plan], hash=False)
        except Exception as exc:  # pickle's errors have no common base
            raise EngineError(f"the plan of {name} cannot be sent to the Dask workers "
                              f"({_describe(exc)})", file=self.address) from None
        OPEN.add(self)
        self._fill(2 * int(workers))

    def _submit(self) -> None:
        planned = self._next_chunk()
        if planned is None:
            return
        start, stop, chunk = planned
        try:
            future = self.client.submit(run_chunk, self.func, self.plan, chunk,
                                        self.event_name, pure=False)
        except Exception as exc:
            raise EngineError(f"items {start}-{stop - 1} cannot be sent to the Dask workers "
                              f"({_describe(exc)})", file=self.address) from None
        self.pending.append((start, stop, chunk, future))
        SENT[0] += 1

    def take(self) -> tuple[int, list[Any], list[Any]]:
        """The next chunk's first position, its items and its results (waiting for them;
        None where the client must redo one); submits another."""
        start, stop, chunk, future = self.pending.popleft()
        try:
            results, failures = future.result()
        except Exception as exc:
            raise EngineError(f"a Dask task failed on items {start}-{stop - 1} "
                              f"({_describe(exc)})", file=self.address) from None
        for reason, message in failures:
            self._failed(reason, 1, message)
        self._submit()
        return start, chunk, results

    def close(self) -> None:
        """Forget the futures and the plan on the cluster; safe to call twice."""
        OPEN.discard(self)
        futures = [entry[3] for entry in self.pending]
        self.pending.clear()
        if futures:
            self.client.cancel(futures)
        plan, self.plan = getattr(self, "plan", None), None
        if plan is not None:
            plan.release()

    def stop(self) -> None:
        """For a failed run: tell the chunks in flight to stop, wait for them to end, so
        none writes after the output's folder is removed; then close."""
        futures = [entry[3] for entry in self.pending]
        if futures:
            from distributed import Event

            event = Event(self.event_name, client=self.client)
            deadline = time.monotonic() + STOP_TIMEOUT
            try:
                event.set()
                for future in futures:  # ended, with a result or an error
                    future.exception(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # a cluster gone, or the timeout: nothing more to wait for
                pass
            finally:
                try:
                    event.clear()
                except Exception:
                    pass
        self.close()
