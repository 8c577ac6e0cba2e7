"""How input trees travel to other processes: pickled for the Dask engine's workers.

A forked worker inherits the parent's trees; a Dask worker on another machine gets them by
pickle, so an image loader is a small picklable object (not a lambda) and an archive is
sent as its path and stamp, then opened again there, once per process.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .errors import DataError

if TYPE_CHECKING:
    from .sources import ArchiveTree, Tree


class MemberLoader:
    """``tree.read_bytes(rel)`` as a callable that pickles (a lambda does not): the Dask
    engine ships items, and their image loaders, to other machines."""

    __slots__ = ("tree", "rel")

    def __init__(self, tree: "Tree", rel: str):
        self.tree, self.rel = tree, rel

    def __call__(self) -> bytes:
        return self.tree.read_bytes(self.rel)


_REOPENED: dict[tuple[str, tuple[int, int]], "ArchiveTree"] = {}


def reopened(kind: type, path: str, stamp: tuple[int, int]) -> "ArchiveTree":
    """The archive at ``path`` opened in this process (once), refused when it is not the
    file the sender had (its size or time changed)."""
    tree = _REOPENED.get((path, stamp))
    if tree is None:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise DataError(f"cannot open the archive here ({exc.strerror})", file=path) from None
        if (info.st_size, info.st_mtime_ns) != stamp:
            raise DataError("the archive here is not the one the run started with (its "
                            "size or time differ)", file=path)
        if len(_REOPENED) >= 8:  # a long-lived worker serves many runs: a few archives open
            _REOPENED.pop(next(iter(_REOPENED)))
        tree = _REOPENED[(path, stamp)] = kind(path)
    return tree
