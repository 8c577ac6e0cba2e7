"""Filling a target folder that cannot itself be replaced: a mount point (Docker's
``-v $PWD/out:/out``), or a folder whose parent this user may not write.

The usual final move renames the staging folder onto the target; the system refuses that
for a mount point (EBUSY, and the parent is often another file system: EXDEV) and for a
folder in an unwritable parent (EACCES). Such a target is filled entry by entry instead,
from a staging folder made inside it (same file system), and only while it holds nothing
but that staging folder: another process's files there are never mixed with ours.
"""
from __future__ import annotations

import errno
import os

from .errors import OutputExistsError
from .noreplace import rename_noreplace

# what rmdir/rename of a folder that stays in place answer
UNMOVABLE = (errno.EBUSY, errno.EACCES, errno.EPERM, errno.EROFS, errno.EXDEV)


def stage_inside(target: str) -> bool:
    """Whether the run should stage inside ``target``: an existing folder this user may
    write, that is a mount point or whose parent this user may not write."""
    if not os.path.isdir(target) or os.path.islink(target):
        return False
    if not os.access(target, os.W_OK | os.X_OK):
        return False
    parent = os.path.dirname(os.path.abspath(target))
    return os.path.ismount(target) or not os.access(parent, os.W_OK | os.X_OK)


def fill_folder(work: str, target: str, staging: str, overwrite: bool) -> None:
    """Move the entries of ``work`` into the folder ``target``. Without ``overwrite`` the
    target must hold nothing but ``staging`` (refused as "appeared" otherwise); with it,
    its old entries go into ``staging/old`` first. A move that fails midway puts back the
    entries already moved, so the target is left as it was."""
    own = os.path.basename(staging) if os.path.dirname(staging) == target else None
    found = [n for n in os.listdir(target) if n != own]
    if found and not overwrite:
        raise appeared(target)
    if found:
        old = os.path.join(staging, "old")
        os.mkdir(old)
        for name in found:
            os.rename(os.path.join(target, name), os.path.join(old, name))
    moved: list[str] = []
    try:
        for name in sorted(os.listdir(work)):
            rename_noreplace(os.path.join(work, name), os.path.join(target, name))
            moved.append(name)
    except BaseException as exc:
        for name in reversed(moved):
            try:
                os.rename(os.path.join(target, name), os.path.join(work, name))
            except OSError:
                pass
        if isinstance(exc, FileExistsError):
            raise appeared(target) from None
        raise


def appeared(target: str) -> OutputExistsError:
    """The refusal when another process put something at the target during the run."""
    return OutputExistsError("output appeared while this run worked (another run writing "
                             "there?); it was left as it is (use --overwrite to replace it)",
                             file=target)
