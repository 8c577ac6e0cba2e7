"""The temporary sibling an output is built in, and the move that puts it in place.

A run writes into ``.cococonv-<name>-XXXX/out`` beside the target. The folder holds an
``owner`` record (host, pid, the process's start time and the boot id), so that a later
run can tell a folder left by a killed run (SIGKILL, power loss: no ``finally`` ran) from
one a live run is still filling: the later run removes the first kind and never the second.

The final move never replaces what another process put at the target meanwhile:
``rename_noreplace`` is ``renameat2(RENAME_NOREPLACE)`` on Linux, one atomic step. A path
that cannot hold an output, and a system error, are one line naming the path (``os_error``).
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile

from .errors import FileSystemError, OutputExistsError
from .intofolder import UNMOVABLE, appeared, fill_folder
from .noreplace import rename_noreplace

PREFIX = ".cococonv-"
OWNER = "owner"
WORK = "out"
_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def make_staging(parent: str | None, target_name: str) -> tuple[str, str]:
    """A new private folder in ``parent`` (None: the system's temporary folder) with this
    process's owner record, and the empty ``out`` folder in it the export fills. ``out``
    gets the user's umask (mkdtemp's 0700 would reach the final output). The path is
    absolute: Dask workers (--engine dask) write into it from another working folder."""
    staging = tempfile.mkdtemp(prefix=f"{PREFIX}{target_name[:40]}-",
                               dir=os.path.abspath(parent) if parent is not None else None)
    try:
        with open(os.path.join(staging, OWNER), "w", encoding="utf-8") as fh:
            json.dump(_me(), fh)
        work = os.path.join(staging, WORK)
        os.mkdir(work)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, work


def remove_stale(parent: str) -> list[str]:
    """Remove the staging folders in ``parent`` whose owner process is gone; their paths.

    Only folders of this user with a readable owner record from this host are considered:
    a folder without one (a foreign tool's, an older cococonv's) or of a live process
    stays. On Windows, where neither the process nor the boot is checked, nothing is.
    """
    removed = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for name in names:
        path = os.path.join(parent, name)
        try:
            if uid is not None and os.lstat(path).st_uid != uid:
                continue
            with open(os.path.join(path, OWNER), encoding="utf-8") as fh:
                record = json.load(fh)
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and not _alive(record):
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(path):
                removed.append(path)
    return removed


def remove_stale_for(target: str) -> None:
    """``remove_stale`` beside ``target`` at the start of a run, before anything is read,
    so a killed run's folder goes even when this run then fails on bad data."""
    if target == "-":
        parent = tempfile.gettempdir()
    else:
        parent = os.path.dirname(os.path.abspath(target.rstrip(os.sep) or target))
        if os.path.islink(target):
            parent = os.path.dirname(os.path.realpath(target))
    if os.path.isdir(parent):
        remove_stale(parent)


def _me() -> dict:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid),
            "boot": _boot_id()}


def _alive(record: dict) -> bool:
    """Whether the process that wrote ``record`` may still run (when unsure: yes)."""
    if record.get("host") != socket.gethostname():
        return True  # a shared folder: another machine's processes are not ours to judge
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    boot = _boot_id()
    if boot is not None and record.get("boot") not in (None, boot):
        return False  # written before the last reboot
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's: pids are shared, so it may be a reused one
        pass
    start = _start_time(pid)
    return start is None or record.get("start") in (None, start)


def _boot_id() -> str | None:
    try:
        with open(_BOOT_ID, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (Linux): a reused pid differs."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def usable_target(target: str) -> str:
    """``target`` as the final move will use it: a link is followed (the output goes
    where it points), a dangling one is refused."""
    path = target.rstrip(os.sep + (os.altsep or "")) or target
    if os.path.basename(path) in (os.curdir, os.pardir):
        path = os.path.abspath(path)
    if os.path.islink(path):
        if not os.path.exists(path):
            raise FileSystemError(f"a symbolic link to {os.readlink(path)}, which does not "
                                  f"exist; remove the link or write elsewhere", file=target)
        path = os.path.realpath(path)
    return path


def make_parent(target: str) -> str:
    """The folder the output goes in, created like ``mkdir -p`` when missing; refused in
    one line when a file stands in the way or the path climbs (``..``) out of a folder
    that does not exist (the system would resolve it, not drop it)."""
    parent = os.path.dirname(target) or os.curdir
    parts = parent.split(os.sep)
    for k, part in enumerate(parts):
        if part in ("", os.curdir):
            continue
        prefix = os.sep.join(parts[:k + 1]) or os.sep
        if not os.path.lexists(prefix):
            if os.pardir in parts[k + 1:]:
                raise FileSystemError(f"no folder {prefix} (the path goes up out of it with "
                                      f"..)", file=target)
            break
        if not os.path.isdir(prefix):
            raise FileSystemError(f"{prefix} is not a folder (the output goes inside it)",
                                  file=target)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, exc.filename or parent, "cannot create the output's folder") \
            from None
    return parent


def user_path(path: str | None, staging: str, work: str, target: str, kind: str) -> str:
    """The path the user knows for ``path``: its place in the target, not the staging."""
    if not path:
        return target
    path = os.fsdecode(path)
    if kind == "dir" and path.startswith(work + os.sep):
        return os.path.join(target, os.path.relpath(path, work))
    if path == staging or path.startswith(staging + os.sep):
        return target
    return path


def os_error(exc: OSError, path: str | None = None, doing: str | None = None) -> FileSystemError:
    """One line for an OSError: ``path`` (else the one the error names) and the reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    reason = reason[:1].lower() + reason[1:]
    name = path or (os.fsdecode(exc.filename) if exc.filename else None)
    return FileSystemError(f"{doing} ({reason})" if doing else reason, file=name)


def place_file(path: str, target: str, overwrite: bool) -> None:
    if os.path.isdir(target):
        raise OutputExistsError("output is a folder, not a file", file=target)
    if overwrite:
        os.replace(path, target)
        return
    try:
        rename_noreplace(path, target)
    except FileExistsError:
        raise _appeared(target) from None


def place_folder(work: str, target: str, staging: str, overwrite: bool) -> None:
    """Move ``work`` to ``target``: with ``overwrite`` the old target goes first (into the
    staging folder, removed after); without, only a missing or still empty target is
    taken, and an empty folder is removed first because a plain rename would replace it
    even if another run had just claimed it."""

    if os.path.dirname(staging) == target:  # staged inside: the target stays in place
        fill_folder(work, target, staging, overwrite)
        return
    if overwrite and os.path.lexists(target):
        if os.path.isdir(target):
            try:
                os.rename(target, os.path.join(staging, "old"))
            except OSError as exc:
                if exc.errno not in UNMOVABLE:
                    raise
                fill_folder(work, target, staging, overwrite)
                return
        else:
            os.remove(target)
        os.rename(work, target)
        return
    if os.path.isdir(target):
        try:
            os.rmdir(target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise _appeared(target) from None
            if exc.errno not in UNMOVABLE:
                raise
            fill_folder(work, target, staging, overwrite)  # a mount point: fill it
            return
    try:
        rename_noreplace(work, target)
    except FileExistsError:
        raise _appeared(target) from None


def _appeared(target: str) -> OutputExistsError:
    return appeared(target)
