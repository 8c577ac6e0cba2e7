"""The checks a run makes before it writes: an output never overlaps, replaces or holds
what the run reads (``check_separate``, ``check_named_files``), and no path is empty.
Re-exported by ``cococonv.api``."""
from __future__ import annotations

import os
from collections.abc import Iterable

from .errors import OptionError
from .inputs import is_archive
from .model import Source
from .paths import is_within, lookup_relpath, overlaps


def check_separate(source: str, target: str, *, reads: Iterable[str] = ()) -> None:
    """Refuse an output that would replace or sit inside what the run reads.

    Before loading (``reads`` empty) this compares the input path, and for a single
    annotation file also the image folders beside it (``images/``, and ``../images/`` in
    the ``annotations/`` layout), whichever way they nest. After loading, ``reads`` are the
    folders files were actually read from (``Tree.read_folders``): the target may not be
    one of them or hold one. Links are resolved. Raises OptionError (exit 2), also for
    an empty path ("" resolves to the working folder, so it would overlap everything).
    """
    check_path(source, "input")
    check_path(target, "output")
    if source == "-" or target == "-":
        return
    if overlaps(source, target):
        raise OptionError("the output overlaps the input; write somewhere else (inputs are "
                          "never modified)", file=target)
    if os.path.isfile(source) and not is_archive(source):
        folder = os.path.dirname(os.path.abspath(source))
        image_dirs = [os.path.join(folder, "images")]
        if os.path.basename(folder) == "annotations":
            image_dirs.append(os.path.join(os.path.dirname(folder), "images"))
        for images in image_dirs:
            if overlaps(images, target):
                raise OptionError(f"the output overlaps {images}, where this input's images "
                                  f"are read from; write somewhere else (inputs are never "
                                  f"modified)", file=target)
    for folder in reads:
        if is_within(folder, target):
            raise OptionError(f"the output would replace {folder}, which this run reads "
                              f"from; write somewhere else (inputs are never modified)",
                              file=target)


def check_named_files(source: str, target: str, dataset: Source, *, overwrite: bool) -> None:
    """Refuse ``--overwrite`` of a folder holding files the dataset names, found or not.

    ``check_separate`` protects the folders a run read from. A folder the dataset's image
    names point into, where the lookup did not look (nothing above a single file's folder
    is searched) or found nothing, is the input's too: ``-i ds/annotations/x.json -o ds/pics --overwrite`` with ``file_name: pics/a.jpg``
    would delete ``ds/pics/a.jpg``. Only an existing target under ``--overwrite`` can lose
    files, so nothing else is checked. Raises OptionError (exit 2).
    """
    if not overwrite or source == "-" or target == "-" or not os.path.exists(target):
        return
    roots = [os.path.realpath(root) for root in input_roots(source)]
    if not roots:
        return
    dest = os.path.realpath(target)
    inside = dest.rstrip(os.sep) + os.sep
    for item in dataset:
        image = item.image
        rel = lookup_relpath(image.name) if image is not None else None
        if rel is None:
            continue
        for root in roots:
            named = os.path.normpath(os.path.join(root, *rel.split("/")))
            if named == dest or named.startswith(inside):
                raise OptionError(f"--overwrite would replace {target}, which holds "
                                  f"{rel!r}, an image this dataset names; write somewhere "
                                  f"else (inputs are never modified)", file=target)


def input_roots(source: str) -> list[str]:
    """The folders a dataset's names may mean: a folder input itself; for a single
    annotation file its folder (``sources.FileTree`` reads only there), and the folder above
    when that one is ``annotations`` (not read, but the dataset's, so kept from --overwrite)."""
    if os.path.isdir(source):
        return [source]
    if not os.path.isfile(source) or is_archive(source):
        return []
    folder = os.path.dirname(os.path.abspath(source))
    if os.path.basename(folder) == "annotations":
        return [folder, os.path.dirname(folder)]
    return [folder]


def check_path(path: str, what: str) -> None:
    """OptionError (exit 2) for an empty input or output path (``-o ""``)."""
    if not path:
        raise OptionError(f"the {what} path is empty; give a file, a folder, a .zip or - "
                          f"for {'stdin' if what == 'input' else 'stdout'}")


__all__ = ["check_separate", "check_named_files", "input_roots", "check_path"]
