"""Work counted, not timed: a unit test shows an algorithm's shape by the calls it makes.

A wall-clock bound flakes on a loaded machine and passes on a fast one whatever the shape;
the number of Python lines and builtin calls a run executes is the same on every machine,
so "ten times the input costs at most ten times the steps" is a check that can fail only
when the algorithm changes. The timings themselves live in tests/benchmarks/bench_linear.py.
"""
from __future__ import annotations

import sys
from collections.abc import Callable


def count_steps(run: Callable[[], object]) -> int:
    """The Python lines executed and the builtin calls made by ``run()`` (this thread):
    a loop of attribute reads makes no call, so lines are counted too."""
    count = 0

    def trace(_frame, _event, _arg):
        nonlocal count
        count += 1  # "call", then a "line" per line run, loops included
        return trace

    def profile(_frame, event, _arg):
        nonlocal count
        if event == "c_call":
            count += 1

    before = sys.gettrace(), sys.getprofile()  # a coverage or debugger hook comes back after
    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(before[1])
        sys.settrace(before[0])
    return count


def assert_linear(prepare: Callable[[int], Callable[[], object]], small: int, big: int,
                  slack: float = 1.25) -> None:
    """``prepare(n)`` builds an input of size n and gives the run to count; the big run may
    make at most ``big / small`` times (with ``slack``) the small run's steps. A warm-up
    run first pays for imports and caches, which are not the algorithm's."""
    prepare(small)()
    few = count_steps(prepare(small))
    many = count_steps(prepare(big))
    assert many <= few * big / small * slack, \
        f"{big} cost {many} steps, {small} cost {few}: {many / few:.1f}x for {big / small:.0f}x"
