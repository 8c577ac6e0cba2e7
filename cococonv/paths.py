"""Containment of dataset names: output paths stay in the target, lookups in the input.

Datasets are untrusted: an item id, an image ``file_name``, a subset, a label or a task
name read from one may be ``../../x``, ``/etc/passwd``, ``C:\\x`` or hold a NUL. Every such
name that becomes part of a path goes through this module:

- writing: :func:`safe_relpath` (a relative path, folders allowed) or :func:`safe_segment`
  (one file or folder name), and :func:`join_inside` to build the path under the output;
- reading: :func:`lookup_relpath` turns any name into the relative path to look up inside
  the input (an absolute or escaping name is looked up by its tail), and :func:`is_within`
  checks that a file, symbolic links resolved, lies inside a root.

A backslash counts as a separator everywhere (Windows-made datasets write ``a\\b.jpg``), so
``a\\..\\..\\x`` cannot slip past a ``/``-only check.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from .errors import DataError
from .text import SHOWN_CHARS, shown  # noqa: F401  (shown: part of this module's API)
from .winnames import windows_problem

if TYPE_CHECKING:
    from .model import Dataset, Item, Source
    from .report import Report

# C0 and C1 control characters (NUL, newline, tab, ...) and the Unicode line and paragraph
# separators: no file name needs them, and line-based files (VOC lists) would split on them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# "C:", "C:foo": a Windows drive, absolute or drive-relative.
_DRIVE = re.compile(r"[A-Za-z]:")
# Names that need no check: ASCII segments not starting with "." (so never "." or ".."),
# no separator but "/", no colon; most dataset names are such, and a regex match is 10x
# cheaper than the full check (measured: 0.3 against 3.3 us a name).
_PLAIN = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\- ]*(?:/[A-Za-z0-9_\-][A-Za-z0-9_.\- ]*)*")
# The longest file or folder name common file systems take (ext4, NTFS, APFS), in bytes.
MAX_SEGMENT_BYTES = 255
# The longest relative path a dataset name may make, in bytes. Linux refuses a whole path
# past 4096 bytes (PATH_MAX), and the output folder, the format's folders (``Annotations/``,
# ``images/<subset>/``) and the temporary folder come before the name: a quarter of it
# leaves them the rest. No real dataset names an image with a 1 KB path.
MAX_PATH_BYTES = 1024
# On Windows a name Windows cannot hold is refused (cococonv.winnames); elsewhere such
# names are fine file names, and only a .zip output warns about them.
_WINDOWS = os.name == "nt"


def safe_relpath(name: str, *, what: str) -> str:
    """``name`` as a normalised ``/``-separated relative path, or a DataError saying why not.

    ``.`` and empty segments are dropped (``./a//b`` -> ``a/b``) and ``\\`` is a separator.
    Refused: a name that is not text or is empty, holds a control character, is absolute
    (``/x``, ``\\\\server\\x``), starts with a drive (``C:x``), has a ``..`` segment, a
    segment longer than 255 bytes or is longer than MAX_PATH_BYTES in all; on Windows also
    a name Windows cannot hold (``CON``, ``a:b``, ``x?``: :mod:`cococonv.winnames`).
    ``what`` names the value in the message (``"item id"``), which quotes at most about
    SHOWN_CHARS characters of it.
    """
    if type(name) is str and len(name) <= MAX_SEGMENT_BYTES and not _WINDOWS and \
            _PLAIN.fullmatch(name):
        return name
    if type(name) is not str:
        raise DataError(f"{what} must be text to be used as a file name, got "
                        f"{type(name).__name__}")
    if _CONTROL.search(name):
        raise DataError(f"{what} {shown(name)} holds a control character; it cannot be a "
                        f"file name")
    slashed = name.replace("\\", "/")
    if slashed.startswith("/"):
        raise DataError(f"{what} {shown(name)} is an absolute path; it would be written "
                        f"outside the output folder")
    if _DRIVE.match(slashed):
        raise DataError(f"{what} {shown(name)} starts with {slashed[:2]!r}, which Windows "
                        f"reads as a drive; refused, as it would be written outside the "
                        f"output folder there")
    parts = [part for part in slashed.split("/") if part and part != "."]
    if ".." in parts:
        raise DataError(f"{what} {shown(name)} has a '..' segment; it would be written "
                        f"outside the output folder")
    if not parts:
        raise DataError(f"{what} {shown(name)} is empty; it cannot be a file name")
    size = 0
    for part in parts:
        length = len(part.encode("utf-8", "surrogatepass"))
        if length > MAX_SEGMENT_BYTES:
            raise DataError(f"{what} {shown(name)}: a path segment is longer than "
                            f"{MAX_SEGMENT_BYTES} bytes, too long for a file name")
        size += length + 1
        if _WINDOWS and (problem := windows_problem(part)):
            raise DataError(f"{what} {shown(name)}: {shown(part)} {problem}")
    if size - 1 > MAX_PATH_BYTES:
        raise DataError(f"{what} {shown(name)} is {size - 1} bytes long; a name may make a "
                        f"path of at most {MAX_PATH_BYTES} bytes")
    return "/".join(parts)


def safe_segment(name: str, *, what: str) -> str:
    """``name`` as one file or folder name (no separator): subsets, labels, tasks."""
    rel = safe_relpath(name, what=what)
    if "/" in rel:
        raise DataError(f"{what} {shown(name)} holds a path separator; it must be a "
                        f"single file or folder name")
    return rel


def join_inside(root: str, name: str, *, what: str) -> str:
    """``root/name`` for a ``name`` checked by :func:`safe_relpath`: never outside ``root``."""
    return os.path.join(root, *safe_relpath(name, what=what).split("/"))


def lookup_relpath(name: str) -> str | None:
    """The relative path to look ``name`` up by inside an input root, or None.

    A contained name comes back normalised; an escaping one is cut to its tail: what follows
    the last ``..`` segment, or the base name of an absolute or drive path. None when
    nothing is left (``..``, ``/``), the name is not text, or it (or its tail) has a hidden
    segment (``.ssh/id_rsa``): no dataset keeps its images in hidden files, a home folder
    keeps its keys there.
    """
    if type(name) is not str or "\x00" in name:
        return None
    if _PLAIN.fullmatch(name):
        return name  # relative, no hidden, empty or "." segment: nothing to cut or normalise
    parts, _ = _tail_parts(name)
    if is_hidden(parts):
        return None
    return "/".join(parts) or None


def escaping_tail(name: str) -> str | None:
    """The tail :func:`lookup_relpath` cuts an escaping name to (absolute, drive or ``..``;
    ``""`` when nothing is left), or None when ``name`` does not escape. Exporters write
    such a name by this tail (``cococonv.tailnames``), so it names the file that was read."""
    if type(name) is not str or _PLAIN.fullmatch(name):
        return None
    parts, escaped = _tail_parts(name)
    return "/".join(parts) if escaped else None


def _tail_parts(name: str) -> tuple[list[str], bool]:
    """``name``'s segments, cut to the tail when it escapes, and whether it did."""
    slashed = name.replace("\\", "/")
    absolute = slashed.startswith("/") or bool(_DRIVE.match(slashed))
    if _DRIVE.match(slashed):
        slashed = slashed[2:]
    parts = [part for part in slashed.split("/") if part and part != "."]
    if ".." in parts:
        last = len(parts) - 1 - parts[::-1].index("..")
        return parts[last + 1:], True
    if absolute:
        return parts[-1:], True
    return parts, False


def is_hidden(parts: Iterable[str]) -> bool:
    """Whether a path, as its segments, has a hidden one (``.x``; ``..`` counts too)."""
    return any(part.startswith(".") for part in parts)


def is_plain(name: str) -> bool:
    """Whether ``name`` is a relative path that needs no check (see ``_PLAIN``)."""
    return len(name) <= MAX_SEGMENT_BYTES and _PLAIN.fullmatch(name) is not None


def is_within(path: str, root: str) -> bool:
    """Whether ``path``, symbolic links resolved, is ``root`` or lies under it."""
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def overlaps(a: str, b: str) -> bool:
    """Whether two paths (links resolved) are the same, or one lies under the other."""
    return is_within(a, b) or is_within(b, a)


def writable(dataset: "Source", report: "Report",
             prepare: Callable[["Item"], tuple["Item", Iterable[str]]]) -> "Source":
    """The dataset an exporter writes, each item checked before any file is written.

    ``prepare(item)`` returns the item to write (itself, or a copy with a mapped id or
    image name) and the output paths it owns (relative, already checked with
    :func:`safe_relpath`), or raises DataError when a name cannot be written. Such an item,
    and one whose paths an earlier item owns, is a bad record: an error naming both under
    ``--on-error fail``, else skipped and counted. Returns ``dataset`` itself when every
    item is kept unchanged. A source that is no Dataset (a stream) is checked as it is
    first walked, and later walks give the same items (``WritableStream``).
    """
    from .model import Dataset

    if not isinstance(dataset, Dataset):
        return WritableStream(dataset, report, prepare)
    kept = []
    owners: dict[str, tuple[str, str]] = {}
    changed = False
    for item in dataset:
        new = _checked(item, prepare, owners, report)
        if new is None:
            changed = True
            continue
        kept.append(new)
        changed = changed or new is not item
    return Dataset(dataset.categories, kept, dataset.meta) if changed else dataset


def iter_writable(items: Iterable["Item"], report: "Report",
                  prepare: Callable[["Item"], tuple["Item", Iterable[str]]]
                  ) -> Iterator["Item"]:
    """:func:`writable` for one walk of a stream: each item checked as it comes, never all
    held (the paths written so far are remembered, by name)."""
    owners: dict[str, tuple[str, str]] = {}
    for item in items:
        new = _checked(item, prepare, owners, report)
        if new is not None:
            yield new


def _checked(item: "Item", prepare: Callable[["Item"], tuple["Item", Iterable[str]]],
             owners: dict[str, tuple[str, str]], report: "Report") -> "Item | None":
    """``prepare(item)``'s item, or None for a bad record (raised or counted)."""
    try:
        new, paths = prepare(item)
        paths = list(paths)
        for rel in paths:
            other = owners.get(rel)
            if other is not None:
                raise DataError(f"would write {shown(rel)}, which item {shown(other[0])} "
                                f"of subset {shown(other[1])} writes too; one would "
                                f"be lost (rename one, or --on-error skip to drop the "
                                f"later)")
    except DataError as err:
        report.bad_record(err.located(
            where=f"item {shown(item.id)} of subset {shown(item.subset)}"))
        return None
    for rel in paths:
        owners[rel] = (item.id, item.subset)
    return new


class WritableStream:
    """``writable`` for a stream: the first walk checks and reports, and remembers the
    items it dropped (by subset and id); later walks prepare the rest again, silently."""

    def __init__(self, source: "Source", report: "Report",
                 prepare: Callable[["Item"], tuple["Item", Iterable[str]]]):
        self.source, self.report, self.prepare = source, report, prepare
        self.categories, self.meta = source.categories, source.meta
        self.dropped: set[tuple[str, str]] | None = None

    def __iter__(self) -> Iterator["Item"]:
        if self.dropped is None:
            dropped: set[tuple[str, str]] = set()
            owners: dict[str, tuple[str, str]] = {}
            for item in self.source:
                new = _checked(item, self.prepare, owners, self.report)
                if new is None:
                    dropped.add((item.subset, item.id))
                else:
                    yield new
            self.dropped = dropped
            return
        for item in self.source:
            if (item.subset, item.id) not in self.dropped:
                yield self.prepare(item)[0]


__all__ = ["safe_relpath", "safe_segment", "join_inside", "lookup_relpath", "escaping_tail",
           "is_hidden",
           "is_within", "overlaps", "writable", "iter_writable", "WritableStream", "shown",
           "MAX_SEGMENT_BYTES",
           "MAX_PATH_BYTES"]
