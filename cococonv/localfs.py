"""Reading files on disk that a dataset names: only regular files, never blocking.

A dataset folder may hold a FIFO, a device or a socket where a file is expected (by
accident, or planted: ``mkfifo annotations/instances_default.json``). Opening a FIFO waits
for a writer forever and a device may never end, so every read of a file inside an input
goes through :func:`open_regular`, and listings (detection) see only regular files.
"""
from __future__ import annotations

import os
import stat
import unicodedata
from typing import BinaryIO

from .errors import DataError
from .staging import os_error


#: The most entries of one folder ``folder_listing`` lists (a set of 200,000 names is
#: some 20 MB); past it, callers look each name up with an lstat.
MAX_LISTED = 200_000


def name_key(name: str) -> str:
    """A file name as a case-insensitive (macOS, Windows, casefold ext4) or normalising
    (APFS) filesystem may match it: a name whose key is not listed cannot exist there."""
    return unicodedata.normalize("NFC", name).casefold()


def folder_listing(folder: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The ``name_key`` of every entry of ``folder`` (a missing name then costs no failed
    lstat: an annotations-only COCO names thousands of absent images), and the names of
    its regular files that are no links (their type comes with the listing, so a present
    image costs no lstat either); None when it cannot be listed or holds more than
    ``MAX_LISTED`` entries."""
    keys: set[str] = set()
    regular: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if len(keys) >= MAX_LISTED:
                    return None
                keys.add(name_key(entry.name))
                try:
                    if entry.is_file(follow_symlinks=False):
                        regular.add(entry.name)
                except OSError:
                    pass  # looked up with an lstat, as a name the listing does not type
    except (OSError, ValueError):
        return None
    return frozenset(keys), frozenset(regular)


def regular_files(root: str) -> list[str]:
    """Relative paths of the regular files under ``root``, sorted folder by folder (as
    ``os.walk``: links to folders are not followed). One ``scandir`` per folder; the file
    type comes from the directory entry, a link costs one ``stat``."""
    found: list[str] = []
    pending = [("", root)]
    while pending:
        base, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        subfolders.append(entry)
                elif entry.is_file():
                    found.append(base + entry.name)
            except OSError:
                continue
        pending.extend((f"{base}{e.name}/", e.path) for e in reversed(subfolders))
    return found


def open_regular(path: str, display: str) -> BinaryIO:
    """``path`` opened for reading when it is a regular file, else a DataError naming
    ``display``. Opened non-blocking, then checked with ``fstat`` on the open descriptor:
    a FIFO (which would wait for a writer forever), a device or a socket is refused
    without reading a byte, and nothing can swap the file between check and read."""
    return _open(path, display, regular=True)


def open_stream(path: str, display: str) -> BinaryIO:
    """A FIFO or device the user named as the input, opened to be read to its end. Opened
    non-blocking, so a FIFO nobody writes to is an empty input rather than a wait
    forever; then reads block as usual (``-i <(unzip -p ds.zip x.json)``)."""
    return _open(path, display, regular=False)


def _open(path: str, display: str, *, regular: bool) -> BinaryIO:
    """The non-blocking open both share; the descriptor is closed on any failure after it."""
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as exc:
        raise os_error(exc, display, "cannot read") from None
    try:
        if regular:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise DataError(f"not a regular file ({_kind(mode)}); refused", file=display)
        else:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# O_NONBLOCK keeps open() of a FIFO from waiting for a writer (regular files ignore it);
# O_NOCTTY keeps a terminal device from becoming the controlling one.
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | \
    getattr(os, "O_BINARY", 0)


def _kind(mode: int) -> str:
    """What a non-regular file is, for the message."""
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return kind
    return "not a file"


__all__ = ["open_regular", "open_stream", "regular_files"]
