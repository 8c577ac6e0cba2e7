"""Inputs that are streams, not files: stdin (``-i -``), a pipe (``-i <(cat x.json)``), a device.

A stream has no size to check and may never end (``/dev/zero``), so it is read in chunks
up to MAX_STREAM_BYTES, and refused at the first NUL byte: COCO JSON and CVAT XML are text,
and a NUL means the rest is not worth reading into memory (docs/limits.md). What it holds is
sniffed from its first bytes, so detection sees it as it would see the file it came from.
"""
from __future__ import annotations

import os
from typing import BinaryIO

from .errors import DataError
from .sources import FileTree

#: The most bytes read from stdin or a pipe. A COCO file costs ~27 times its size in memory
#: once read (92 MB gave 2.5 GB), so past this size no machine holds the dataset anyway;
#: a larger regular file given by its path is read without this bound.
MAX_STREAM_BYTES = 2 << 30

_CHUNK = 1 << 20


def is_stream(path: str | None) -> bool:
    """True for ``-`` and for a path that exists but is neither a folder nor a regular file
    (a pipe, a device): it can be read only once, so nothing may peek at it first."""
    if path is None:
        return False
    return path == "-" or (os.path.exists(path) and not os.path.isdir(path)
                           and not os.path.isfile(path))


def sniffed_filename(data: bytes, stem: str = "stdin") -> str:
    """``stem.xml`` for XML (CVAT starts with "<"), else ``stem.json`` (COCO: "{" or "[")."""
    head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
    return f"{stem}.xml" if head.startswith(b"<") else f"{stem}.json"


def read_stream(stream: BinaryIO, display: str, *, limit: int = MAX_STREAM_BYTES) -> bytes:
    """Read a whole stream; DataError at its first NUL byte or past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        nul = chunk.find(b"\0")
        if nul >= 0:
            raise DataError(f"not JSON or XML: a NUL byte at offset {size + nul}", file=display)
        size += len(chunk)
        if size > limit:
            raise DataError(f"more than {limit >> 30} GiB read from a stream without an end; "
                            f"give a file path instead (docs/limits.md)", file=display)
        chunks.append(chunk)


class StreamTree(FileTree):
    """A named stream (a pipe such as /dev/fd/63, a device) read once, shown by its path."""

    def __init__(self, path: str, data: bytes):
        super().__init__(sniffed_filename(data), data)
        self.name = path
        self.stream_path = path

    def display(self, rel: str) -> str:
        return self.stream_path


def stream_tree(stream: BinaryIO, path: str | None = None) -> FileTree:
    """The Tree of stdin (``path`` None) or of the named stream at ``path``."""
    data = read_stream(stream, path or "<stdin>")
    if path is None:
        return FileTree(sniffed_filename(data), data)
    return StreamTree(path, data)
