"""Tar archives (``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz``) read as a Tree.

Members are read in place by offset: a plain ``.tar`` straight from its file, a compressed
one from a single anonymous temporary file its stream is inflated into once (tar has no
index, and seeking backwards in a gzip stream restarts it). Nothing is ever extracted under
a member's own name. The checks are zip's (:class:`cococonv.sources.ZipTree`): a member
leaving the root, a link, a device or FIFO and a name given twice are refused, and the
inflated size is bounded in total, by ratio and in member count (docs/limits.md).
"""
from __future__ import annotations

import lzma
import os
import tarfile
import tempfile
import threading
import zlib
from typing import BinaryIO

from .errors import DataError, UnsafeInputError
from .sources import (MAX_RATIO, MAX_UNCHECKED_SIZE, ArchiveTree, check_member_name,
                      wrapping_folder)

#: The suffixes read (and written: cococonv.tarwriter) as tar archives, and their codecs.
TAR_SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz", ".tar.bz2": "bz2",
                ".tbz2": "bz2", ".tar.xz": "xz", ".txz": "xz"}
#: The most bytes a tar archive may hold once inflated (its headers and members together).
MAX_TAR_BYTES = 64 * 1024 ** 3
#: The most members (files, folders, headers) one tar archive may list.
MAX_TAR_MEMBERS = 1_000_000
_CHUNK = 1 << 20


def tar_codec(path: str) -> str | None:
    """The compression of a tar path by its suffix ("" plain, "gz", "bz2", "xz"), or None
    when the name is not a tar archive's."""
    lower = path.lower()
    for suffix, codec in TAR_SUFFIXES.items():
        if lower.endswith(suffix):
            return codec
    return None


class TarTree(ArchiveTree):
    """A tar archive read member by member; a single wrapping folder is looked through."""

    def __init__(self, path: str):
        self.path = path
        self.name = os.path.basename(path)
        self._lock = threading.Lock()
        codec = tar_codec(path) or ""
        try:
            self._fh: BinaryIO = open(path, "rb") if not codec else self._inflate(codec)
            members = self._scan()
        except (tarfile.TarError, OSError, EOFError, ValueError, lzma.LZMAError,
                zlib.error) as exc:
            raise DataError(f"not a readable tar archive ({_reason(exc)})",
                            file=self.name) from None
        self._prefix = wrapping_folder(list(members))
        self._members = {name[len(self._prefix):]: info for name, info in members.items()}
        self._files = list(self._members)

    def _inflate(self, codec: str) -> BinaryIO:
        """The archive's stream inflated into an anonymous temporary file (removed when
        closed, or by the system when the process ends), within MAX_TAR_BYTES and ratio."""
        import bz2
        import gzip

        opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[codec]
        packed = max(os.path.getsize(self.path), 1)
        out = tempfile.TemporaryFile(prefix="cococonv-tar-")
        total = 0
        try:
            with opener(self.path, "rb") as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > MAX_TAR_BYTES or (total > MAX_UNCHECKED_SIZE and
                                                 total / packed > MAX_RATIO):
                        raise UnsafeInputError(
                            f"the archive inflates past {total} bytes (ratio "
                            f"{total / packed:.0f}); refusing a likely tar bomb "
                            f"(docs/limits.md)", file=self.name)
                    out.write(chunk)
            out.flush()
        except BaseException:
            out.close()
            raise
        return out  # type: ignore[return-value]

    def _scan(self) -> dict[str, tarfile.TarInfo]:
        """The regular-file members by name, every member checked as it is listed."""
        self._fh.seek(0)
        archive = tarfile.open(fileobj=self._fh, mode="r:")
        members: dict[str, tarfile.TarInfo] = {}
        count = 0
        while (info := archive.next()) is not None:
            count += 1
            if count > MAX_TAR_MEMBERS:
                raise UnsafeInputError(f"the archive lists more than {MAX_TAR_MEMBERS} "
                                       f"members (docs/limits.md)", file=self.name)
            shown = f"{self.name}!{info.name}"
            check_member_name(info.name, shown)
            if info.isdir():
                continue
            problem = _kind_problem(info)
            if problem:
                raise UnsafeInputError(problem, file=shown)
            name = "/".join(part for part in info.name.split("/") if part not in ("", "."))
            if name in members:
                raise UnsafeInputError("the archive holds this member twice; refusing to "
                                       "pick one", file=shown)
            members[name] = info
        return members

    def read_bytes(self, rel: str) -> bytes:
        info = self.member(rel)
        try:
            data = self._read_at(info.offset_data, info.size)
        except OSError as exc:
            raise DataError(f"cannot read member ({exc})", file=self.display(rel)) from None
        if len(data) != info.size:
            raise DataError(f"member is cut short: {len(data)} of {info.size} bytes (a "
                            f"truncated archive)", file=self.display(rel))
        return data

    def _read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes from ``offset`` without moving a shared position: ``pread`` (a
        forked worker's inherited handle is safe to use), else seek and read under a lock."""
        fd = self._fh.fileno()
        if hasattr(os, "pread"):
            parts, got = [], 0
            while got < size:
                part = os.pread(fd, min(size - got, 1 << 30), offset + got)
                if not part:
                    break
                parts.append(part)
                got += len(part)
            return b"".join(parts)
        with self._lock:
            self._fh.seek(offset)
            return self._fh.read(size)


def _kind_problem(info: tarfile.TarInfo) -> str | None:
    """Why a member that is not a folder cannot be read as a file, or None."""
    if info.issym():
        return "member is a symbolic link"
    if info.islnk():
        return "member is a hard link"
    if info.isdev():
        return "member is a device or FIFO, not a file"
    if info.issparse():
        return "member is a sparse file, which cococonv does not read"
    if not info.isfile():
        return "member is not a regular file"
    return None


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
