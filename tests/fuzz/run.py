"""Run fuzz cases through the real CLI in forked children with a memory limit and a timeout.

    python -m tests.fuzz.run --cases 5000 --seed 1 --workers 2
    python -m tests.fuzz.run --seed 1 --case 1234        # rebuild and rerun one case

The parent imports cococonv once and forks per case (a fresh interpreter costs ~0.4 s);
the child sets RLIMIT_AS, moves into its own process group (so a hang is killed with its
--jobs workers), points fds 0-2 at /dev/null and log files and calls `cococonv.cli.main`.
A crash is rerun with -v for its traceback; violations are grouped by `checks.signature`
and the first input of each group is saved under `findings/`.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from .cases import Case, prepare  # noqa: E402
from .checks import Result, check, signature, snapshot  # noqa: E402
from .seeds import Seed, all_seeds  # noqa: E402

OUTCOMES = ("ok", "data-error", "usage", "crash", "hang")
VIOLATIONS = ("crash", "hang", "leftover", "escape", "modified-input", "read-escape",
              "output-on-failure", "unclear", "long-line", "memory", "stray-workers")


def _preload() -> None:
    """Import everything a run would, so that each forked child starts warm."""
    import PIL.Image

    import cococonv.cli  # noqa: F401
    from cococonv.registry import default_registry
    PIL.Image.init()
    default_registry().load_all()


def _child(argv: list[str], cwd: Path, err: Path, mem_bytes: int, timeout: float,
           stdin: Path | None) -> None:
    """In the forked child: limits, fresh stdio, then the CLI (never returns)."""
    try:
        os.setpgid(0, 0)
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for fd, path, flags in ((2, str(err), os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (0, str(stdin or os.devnull), os.O_RDONLY),
                                (1, os.devnull, os.O_WRONLY)):
            opened = os.open(path, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        # pytest (the slice test) replaces sys.std*; the CLI must write to the real fds.
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)
        os.chdir(cwd)
        import faulthandler
        faulthandler.enable(file=sys.stderr, all_threads=True)
        faulthandler.dump_traceback_later(max(timeout - 1, 1), file=sys.stderr)
        sys.argv = ["cococonv", *argv]
        from cococonv.cli import main
        main()
    except BaseException:  # noqa: BLE001  (what escapes main is a finding: print it)
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)
    os._exit(0)


def spawn(case: Case, err: Path, mem_bytes: int, timeout: float, extra: list[str] = ()) -> int:
    """Fork a child running the case's command; returns its pid (= its process group)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child([*extra, *case.argv], case.sandbox, err, mem_bytes, timeout, case.stdin)
    return pid


def _finish(pid: int, status: int, started: float, err: Path) -> Result:
    code = os.waitstatus_to_exitcode(status)
    stray = False
    for _ in range(20):  # --jobs workers may take a moment to notice their parent left
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        stray = True
        _kill_group(pid)
    return Result(code if code >= 0 else -1, -code if code < 0 else None,
                  err.read_text(errors="replace"), time.monotonic() - started, stray)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_one(case: Case, err: Path, mem_bytes: int, timeout: float,
            extra: list[str] = ()) -> Result:
    """Run a case to its end (or its timeout) and return what happened."""
    started = time.monotonic()
    pid = spawn(case, err, mem_bytes, timeout, extra)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return _finish(pid, status, started, err)
        if time.monotonic() - started > timeout:
            _kill_group(pid)
            os.waitpid(pid, 0)
            return Result(None, None, err.read_text(errors="replace"),
                          time.monotonic() - started)
        time.sleep(0.005)


@dataclass
class Summary:
    """Counts per outcome and per violation, and the distinct classes with an example."""

    cases: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VIOLATIONS, 0))
    classes: dict[str, dict] = field(default_factory=dict)
    harness_errors: list[int] = field(default_factory=list)   # cases a mutator failed on
    usage_errors: dict[str, list] = field(default_factory=dict)  # exit-2 line: [n, a case]
    seconds: float = 0.0

    def text(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.0f} s",
                 "outcomes: " + ", ".join(f"{k} {v}" for k, v in self.outcomes.items()),
                 "violations: " + ", ".join(f"{k} {v}" for k, v in self.violations.items()),
                 f"distinct violation classes: {len(self.classes)}"]
        if self.harness_errors:
            lines.insert(1, f"harness errors (not run): cases {self.harness_errors[:20]}")
        for line, (count, number) in sorted(self.usage_errors.items(),
                                            key=lambda kv: kv[1][0])[-10:]:
            lines.insert(3, f"  usage (exit 2) [{count}x, e.g. case {number}]: {line}")
        for sig, info in sorted(self.classes.items(), key=lambda kv: -kv[1]["count"]):
            lines.append(f"  [{info['count']}x] {sig}")
            lines.append(f"      case {info['case']}: {info['mutations']}")
            lines.append(f"      {info['command']}")
        return "\n".join(lines)


class Fuzzer:
    """Prepares, runs and checks cases `workers` at a time, recording into a Summary."""

    def __init__(self, run_seed: int, workdir: Path, findings: Path | None, *,
                 workers: int = 2, timeout: float = 30.0, memory_gib: float = 3.0,
                 seeds: list[Seed] | None = None):
        self.run_seed = run_seed
        self.workdir = workdir
        self.findings = findings
        self.workers = workers
        self.timeout = timeout
        self.mem = int(memory_gib * 2**30)
        self.seeds = seeds or all_seeds(workdir)
        self.summary = Summary()
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, numbers: list[int], progress: bool = False) -> Summary:
        start = time.monotonic()
        todo = list(numbers)[::-1]
        running: dict[int, tuple[Case, dict, Path, float]] = {}
        while todo or running:
            while todo and len(running) < self.workers:
                number = todo.pop()
                try:
                    case = prepare(self.run_seed, number, self.seeds, self.workdir)
                except Exception:  # noqa: BLE001  (a mutator bug must not end a long run)
                    self.summary.harness_errors.append(number)
                    traceback.print_exc()
                    continue
                err = self.workdir / "logs" / f"case{case.number}.err"
                before = snapshot(case)
                running[spawn(case, err, self.mem, self.timeout)] = \
                    (case, before, err, time.monotonic())
            for pid, (case, before, err, started) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    result = _finish(pid, status, started, err)
                elif time.monotonic() - started > self.timeout:
                    _kill_group(pid)
                    os.waitpid(pid, 0)
                    result = Result(None, None, err.read_text(errors="replace"),
                                    time.monotonic() - started)
                else:
                    continue
                del running[pid]
                self._record(case, before, result)
                if progress and self.summary.cases % 250 == 0:
                    print(f"[{time.monotonic() - start:.0f} s, {self.summary.cases} cases] "
                          + " | ".join(line for line in self.summary.text().split("\n")
                                       if line.startswith(("outcomes", "violations"))),
                          file=sys.stderr, flush=True)
            time.sleep(0.005)
        self.summary.seconds += time.monotonic() - start
        return self.summary

    def _record(self, case: Case, before: dict, result: Result) -> None:
        check(case, before, result)
        s = self.summary
        s.cases += 1
        s.outcomes[result.outcome] += 1
        if result.outcome == "usage":
            last = [line for line in result.stderr.splitlines() if line.strip()][-1:] or [""]
            key = re.sub(r"\S*/\S*", "<path>", last[0])[:100]
            s.usage_errors.setdefault(key, [0, case.number])[0] += 1
        for kind in result.violations:
            s.violations[kind] += 1
            verbose = self._verbose_rerun(case) if kind == "crash" else ""
            sig = signature(kind, case, result, verbose)
            if sig in s.classes:
                s.classes[sig]["count"] += 1
                continue
            s.classes[sig] = {"count": 1, "case": case.number, "seed": case.seed.name,
                              "mutations": "; ".join(case.mutations)[:300],
                              "command": case.command(), "detail": result.violations[kind]}
            self._save(sig, case, result, verbose)
        shutil.rmtree(case.jail, ignore_errors=True)
        (self.workdir / "logs" / f"case{case.number}.err").unlink(missing_ok=True)

    def _verbose_rerun(self, case: Case) -> str:
        """The traceback of a crash: the same case rebuilt elsewhere and run with -v."""
        again = prepare(self.run_seed, case.number, self.seeds, self.workdir / "rerun")
        err = self.workdir / "logs" / "rerun.err"
        result = run_one(again, err, self.mem, self.timeout, ["-v"])
        shutil.rmtree(again.jail, ignore_errors=True)
        return result.stderr

    def _save(self, sig: str, case: Case, result: Result, verbose: str) -> None:
        if self.findings is None:
            return
        slug = "".join(c if c.isalnum() else "-" for c in sig)[:80].strip("-")
        dest = self.findings / f"{len(self.summary.classes):03d}-{slug}"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        source = case.sandbox / "in"
        if source.exists():
            shutil.copytree(source, dest / "in", symlinks=True)
        (dest / "stderr.txt").write_text(result.stderr)
        if verbose:
            (dest / "stderr-verbose.txt").write_text(verbose)
        (dest / "case.json").write_text(json.dumps(
            {"signature": sig, **self.summary.classes[sig], "run_seed": self.run_seed,
             "exit": result.exit_code, "signal": result.signal,
             "rerun": f"python -m tests.fuzz.run --seed {self.run_seed} --case {case.number}"},
            indent=1))


def _single(fuzzer: Fuzzer, number: int) -> None:
    """Rebuild one case, run it, print everything, keep its sandbox for a look."""
    case = prepare(fuzzer.run_seed, number, fuzzer.seeds, fuzzer.workdir)
    before = snapshot(case)
    result = run_one(case, fuzzer.workdir / "logs" / "single.err", fuzzer.mem, fuzzer.timeout)
    check(case, before, result)
    print(f"case {number} from {case.seed.name}\nmutations: {'; '.join(case.mutations)}\n"
          f"sandbox: {case.sandbox}\n$ {case.command()}\nexit {result.exit_code} "
          f"signal {result.signal} in {result.seconds:.2f} s\n--- stderr\n{result.stderr}"
          f"--- violations: {result.violations or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--memory-gib", type=float, default=3.0, help="RLIMIT_AS per case")
    parser.add_argument("--findings", type=Path, default=Path("findings"))
    parser.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    parser.add_argument("--case", type=int, help="run only this case and keep its sandbox")
    args = parser.parse_args(argv)
    _preload()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fuzz-"))
    fuzzer = Fuzzer(args.seed, workdir.resolve(), args.findings.resolve(),
                    workers=args.workers, timeout=args.timeout, memory_gib=args.memory_gib)
    if args.case is not None:
        _single(fuzzer, args.case)
        return 0
    summary = fuzzer.run(list(range(args.start, args.start + args.cases)), progress=True)
    args.findings.mkdir(parents=True, exist_ok=True)
    (args.findings / "summary.json").write_text(json.dumps(summary.__dict__, indent=1))
    print(summary.text())
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if summary.classes else 0


if __name__ == "__main__":
    sys.exit(main())
