"""The promises each run is checked against, and a signature that groups violations by cause.

Promises (issue 11 and the design's CLI contract): exit 0, 1 or 2; no traceback and no
`internal error`; a failure says so in one `error:` line; no hang; no `.cococonv-*` left
behind; nothing written outside the output path; the input unchanged; no output after a
failure; no byte of a file outside the input (the jail's secret) copied into the output;
no worker process left running; memory never runs out (the inputs are a few MB, the
limit is GBs); no stderr line so long that it is unreadable.
"""
from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .cases import SECRET, Case

Snapshot = dict[str, str]
_MEMORY = re.compile(r"MemoryError|memory ran out|out of memory|not enough memory", re.I)
LONG_LINE = 2000  # a message quoting a 2 MB name whole is one line, but not a clear one


def snapshot(case: Case) -> Snapshot:
    """Every path in the jail except the output, with a hash for files."""
    found: Snapshot = {}
    out = str(case.output_path)
    for folder, dirs, files in os.walk(case.jail):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) != out]
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), case.jail)] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            if path == out:
                continue
            rel = os.path.relpath(path, case.jail)
            if os.path.islink(path):
                found[rel] = "link " + os.readlink(path)
                continue
            digest = hashlib.sha1()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            found[rel] = digest.hexdigest()
    return found


@dataclass
class Result:
    """What one run did and which promises it broke (`violations`: kind -> detail)."""

    exit_code: int | None          # None: killed after the timeout
    signal: int | None
    stderr: str
    seconds: float
    stray_workers: bool = False
    violations: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """ok, data-error, usage, crash (a signal, an odd exit or an internal error), hang."""
        if self.exit_code is None:
            return "hang"
        if self.signal is not None or "crash" in self.violations:
            return "crash"
        return {0: "ok", 1: "data-error", 2: "usage"}.get(self.exit_code, "crash")


def _output_has_secret(path: Path) -> bool:
    """Whether the secret's marker is in any output file (zip members read inflated)."""
    targets = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] \
        if path.is_dir() else []
    for target in targets:
        data = target.read_bytes()
        if SECRET in data:
            return True
        if zipfile.is_zipfile(target):
            try:
                with zipfile.ZipFile(target) as archive:
                    if any(SECRET in archive.read(i) for i in archive.infolist()):
                        return True
            except (zipfile.BadZipFile, OSError, ValueError):
                pass
    return False


def check(case: Case, before: Snapshot, result: Result) -> None:
    """Fill `result.violations` from the run's exit, stderr and the jail after it."""
    v = result.violations
    err = result.stderr
    if result.exit_code is None:
        v["hang"] = "timeout"
        return  # a killed run may leave a temporary folder: nothing else is meaningful
    if result.signal is not None:
        v["crash"] = f"signal {result.signal}"
    elif result.exit_code not in (0, 1, 2):
        v["crash"] = f"exit {result.exit_code}"
    if "Traceback" in err or "internal error" in err:
        v["crash"] = v.get("crash") or "traceback"
    lines = [line for line in err.splitlines() if line.strip()]
    if result.exit_code == 1 and "crash" not in v:
        errors = [line for line in lines if line.startswith("error: ")]
        if len(errors) != 1 or lines[-1] != errors[0]:
            v["unclear"] = "error not one last line: " + repr(err[-300:])
    memory = _MEMORY.search(err)
    if memory:  # 3 GiB for inputs of a few MB: a bomb no limit stopped, whatever the message
        v["memory"] = memory.group(0)
    longest = max(lines, key=len, default="")
    if len(longest) > LONG_LINE:
        v["long-line"] = f"{len(longest)} characters: {longest[:100]}"
    if result.exit_code == 2 and "No such option" in err:
        v["unclear"] = "usage error for options valid for the formats: " + lines[-1][:200]
    if result.stray_workers:
        v["stray-workers"] = "processes left in the run's group"
    after = snapshot(case)
    leftovers = sorted(p for p in after if ".cococonv-" in p)
    if case.output_path.exists():
        leftovers += [str(p) for p in case.output_path.rglob(".cococonv-*")]
    if leftovers:
        v["leftover"] = ", ".join(leftovers[:3])
    inside = os.path.relpath(case.sandbox / "in", case.jail)
    changed = sorted(p for p in set(before) | set(after)
                     if before.get(p) != after.get(p) and ".cococonv-" not in p)
    modified = [p for p in changed if p == inside or p.startswith(inside + os.sep)]
    escaped = [p for p in changed if p not in modified]
    if modified:
        v["modified-input"] = ", ".join(modified[:3])
    if escaped:
        v["escape"] = ", ".join(escaped[:3])
    if result.exit_code != 0 and case.output_path.exists():
        v["output-on-failure"] = str(case.output_path.name)
    if result.exit_code == 0 and _output_has_secret(case.output_path):
        v["read-escape"] = "the secret outside the input reached the output"


_FRAME = re.compile(r'File "([^"]+)", line (\d+),? in (\S+)')


def last_frame(text: str, innermost_first: bool = False) -> str:
    """`file:line in function` of the innermost frame of a traceback or faulthandler dump."""
    frames = _FRAME.findall(text)
    if not frames:
        return "?"
    path, line, func = frames[0] if innermost_first else frames[-1]
    return f"{_short(path)}:{line} in {func}"


def _short(path: str) -> str:
    for marker in ("/cococonv/", "/plugins/", "/site-packages/", "/lib/python"):
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1]
    return os.path.basename(path)


def _normal(text: str) -> str:
    """A message with paths, numbers and quoted values blanked, for grouping."""
    text = re.sub(r"/\S+", "<path>", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "<q>", text)
    return re.sub(r"\d+", "N", text)[:120]


def signature(kind: str, case: Case, result: Result, verbose_stderr: str = "") -> str:
    """A key that is equal for two violations of one cause (and short enough to list)."""
    if kind == "crash":
        if result.signal is not None:
            return f"crash: signal {result.signal} at {last_frame(result.stderr, True)}"
        kinds = re.findall(r"internal error \((\w+)", result.stderr) or \
            re.findall(r"^(\w+(?:Error|Exception)\w*)", verbose_stderr or result.stderr, re.M)
        where = last_frame(verbose_stderr or result.stderr)
        return f"crash: {kinds[-1] if kinds else '?'} at {where}"
    if kind == "hang":
        return f"hang at {last_frame(result.stderr, True)}"
    if kind == "long-line":  # grouped by the message's shape: its kind and place
        message = result.violations[kind].split(": ", 1)[1]
        before_quote = re.split(r"['\"]", message, maxsplit=1)[0]
        return f"long-line: {_normal(before_quote)[:70]}"
    if kind == "unclear":
        last = [line for line in result.stderr.splitlines() if line.strip()][-1:] or [""]
        return f"unclear: {_normal(last[0])}"
    command = case.argv[0]
    if "-f" in case.argv:
        command += " -f " + case.argv[case.argv.index("-f") + 1]
    if "--jobs" in case.argv:
        command += " --jobs"
    return f"{kind}: {command} {_normal(result.violations[kind])[:60]}"
