"""Any input path opened as a Tree: a folder, a .zip or tar archive, a single file, a pipe
or stdin.

The one place that tells the kinds apart; ``sources`` holds the trees themselves and
``streams`` the bounded reading of pipes, which builds on them.
"""
from __future__ import annotations

import os
import sys
import zipfile
from typing import BinaryIO

from .errors import DataError, OptionError
from .localfs import open_stream
from .sources import DirTree, FileTree, Tree, ZipTree
from .streams import stream_tree  # stdin, pipes: bounded reads, named by their content
from .tarsource import TarTree, tar_codec


def is_archive(path: str) -> bool:
    """Whether the file at ``path`` is read as an archive (a zip, or a tar by its suffix)
    rather than as a single annotation file."""
    return tar_codec(path) is not None or zipfile.is_zipfile(path) or \
        path.lower().endswith(".zip")


def open_tree(path: str, *, stdin: BinaryIO | None = None) -> Tree:
    """Open an input path (folder, .zip, .tar[.gz|.bz2|.xz], single file, or ``-`` for
    stdin) as a Tree."""
    if not path:
        raise OptionError("the input path is empty; give a file, a folder, an archive or - "
                          "for stdin")
    if path == "-":
        return stream_tree(stdin if stdin is not None else sys.stdin.buffer)
    if os.path.isdir(path):
        return DirTree(path)
    if not os.path.exists(path):
        raise DataError("no such file or folder", file=path)
    if not os.path.isfile(path):  # -i <(cat x.json), a device: read once, like stdin
        try:
            with open_stream(path, path) as stream:  # a FIFO without a writer: no wait
                return stream_tree(stream, path)
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", file=path) from None
    if tar_codec(path) is not None:
        return TarTree(path)
    if is_archive(path):
        return ZipTree(path)
    return FileTree(os.path.basename(path), path=path)
