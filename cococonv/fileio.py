"""Fast JSON and atomic output: results appear whole at the target or not at all.

Reading uses msgspec: it builds Python objects straight from the bytes, so the parse peaks
at about 0.7x the memory of orjson's (measured with tests/benchmarks/bench.py: 149 against
205 MiB on a 20 MB COCO file) and keeps integers past 64 bits exact. msgspec writes too
(``dumps_json`` says why not orjson); floats keep their shortest repr (79.12 stays 79.12),
which a lossless COCO round trip needs. The cyclic garbage collector is paused while a document is
parsed: millions of new containers, none in a cycle, make its passes pure cost.
"""
from __future__ import annotations

import errno
import gc
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO


from .errors import CococonvError, DataError, OutputExistsError
from .intofolder import stage_inside
from .tarsource import tar_codec
from .staging import (make_parent, make_staging, os_error, place_file, place_folder,
                      remove_stale, usable_target, user_path)

SINGLE_FILE_SUFFIXES = (".json", ".xml")


def loads_json(data: bytes, *, file: str) -> Any:
    """Parse JSON bytes; a syntax error names the file, line and column.

    A leading UTF-8 byte order mark is skipped (RFC 8259 lets a parser ignore it).
    The place comes from a second parse by orjson (its reasons read better) for documents
    up to 64 MiB; past that from msgspec's byte offset, so a huge broken file (2 GB of NUL
    bytes) costs no second copy. Nesting deeper than MAX_JSON_DEPTH is refused as such.
    """
    import msgspec

    if data[:3] == UTF8_BOM:  # Notepad and .NET tools write one; JSON readers may skip it
        data = memoryview(data)[3:]
    with paused_gc():
        # msgspec counts nesting against the interpreter's recursion limit: lowered for the
        # parse, what is read stays shallow enough to be written again (the encoders
        # recurse too, from a deeper stack), instead of a RecursionError at the end.
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(min(limit, _stack_depth() + MAX_JSON_DEPTH + 16))
        try:
            return msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            detail = str(exc)
        except RecursionError:
            raise DataError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep (a dataset "
                            f"needs fewer than 10; docs/limits.md)", file=file) from None
        finally:
            sys.setrecursionlimit(limit)
        if len(data) > _REPARSE_LIMIT:
            raise _json_error(data, detail, file)
        import orjson  # 10 ms to load: only a broken file pays it

        try:
            orjson.loads(data)  # only to name the line and column
        except orjson.JSONDecodeError as exc:
            reason = str(exc).split(":", 1)[0]
            raise DataError(f"not valid JSON ({reason})",
                            file=file, where=f"line {exc.lineno} column {exc.colno}") from None
        raise DataError(f"not valid JSON ({detail})", file=file)


_REPARSE_LIMIT = 64 << 20
UTF8_BOM = b"\xef\xbb\xbf"

#: JSON nested this deep is always read, a few levels more may be (the interpreter counts
#: some calls apart from the frames seen here), and past that it is refused. On Python 3.12
#: and later msgspec counts against the C recursion limit instead, which stays as it is.
MAX_JSON_DEPTH = 512


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _json_error(data: bytes, detail: str, file: str) -> DataError:
    """The DataError for msgspec's message, placed by the byte offset it gives (the end of
    the data when it was truncated)."""
    import re

    found = re.search(r"\(byte (\d+)\)$", detail)
    if found is None and "truncated" not in detail:
        return DataError(f"not valid JSON ({detail})", file=file)
    offset = int(found.group(1)) if found else len(data)
    reason = detail[:found.start()].strip() if found else "unexpected end of data"
    reason = reason.removeprefix("JSON is malformed: ")
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return DataError(f"not valid JSON ({reason})", file=file,
                     where=f"line {line} column {column}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector while building large acyclic structures.

    On leaving, what was built is moved out of future collections (``gc.freeze``): it lives
    as long as the run, and scanning it again would only cost time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def dumps_json(value: Any, *, indent: bool = False) -> bytes:
    """JSON bytes, written by msgspec (numpy values through ``tolist``).

    Not orjson: when an allocation fails (a 157-million-character string under a memory
    limit) orjson crashes the process with SIGSEGV, msgspec raises MemoryError, which the
    run reports in one line. It is also a little faster here (0.043 against 0.055 s for
    300,000 image records) and gives the same bytes but for exponents (``1e16`` where
    orjson wrote ``1e+16``; both are JSON). What msgspec refuses goes through the stdlib.
    """
    import msgspec

    try:
        data = _ENCODER.encode(value)
        return msgspec.json.format(data, indent=2) if indent else data
    except (TypeError, OverflowError):
        import json
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=2 if indent else None,
                          separators=None if indent else (",", ":"), default=json_plain).encode()


def json_plain(value: Any) -> Any:
    """numpy scalars and arrays as plain values: the hook of every JSON encoder here
    (msgspec's, orjson's, the stdlib fallback's)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _LazyEncoder:
    """msgspec's encoder, made on first use (importing msgspec costs every --help)."""

    _encoder: Any = None

    def encode(self, value: Any) -> bytes:
        if self._encoder is None:
            import msgspec
            type(self)._encoder = msgspec.json.Encoder(enc_hook=json_plain)
        return self._encoder.encode(value)


_ENCODER = _LazyEncoder()


def output_kind(target: str) -> str:
    """``stdout``, ``zip``, ``tar`` (any TAR_SUFFIXES), ``file`` (single .json/.xml) or
    ``dir``."""
    if target == "-":
        return "stdout"
    lower = target.lower()
    if lower.endswith(".zip"):
        return "zip"
    if tar_codec(lower) is not None:
        return "tar"
    if lower.endswith(SINGLE_FILE_SUFFIXES) and not os.path.isdir(target):
        return "file"
    return "dir"


def check_target(target: str, overwrite: bool) -> None:
    """Refuse a non-empty target unless overwriting was asked for."""
    if target == "-" or overwrite or not os.path.exists(target):
        return
    if os.path.isdir(target) and not os.listdir(target):
        return
    raise OutputExistsError("output exists and is not empty (use --overwrite)", file=target)


def before_discard(hook: Callable[[], None]) -> None:
    """Have ``atomic_output`` call ``hook`` before it removes a failed run's folder.

    For whatever may still write into the folder after an error reached this process
    (forked workers with chunks in flight): the hook stops them and waits, else they
    would recreate and half-fill the folder after it was removed.
    """
    _BEFORE_DISCARD.append(hook)


_BEFORE_DISCARD: list[Callable[[], None]] = []


@contextmanager
def atomic_output(target: str, *, overwrite: bool = False,
                  stdout: BinaryIO | None = None) -> Iterator[str]:
    """Yield an empty temporary folder; on success move its content to ``target``.

    A ``.zip`` or tar target receives the folder archived; a ``.json``/``.xml`` target or ``-``
    receives the single file the folder holds. On any error nothing is left behind, and
    a system error (disk full, read-only folder) is one line naming the path. Without
    ``overwrite``, a target another process created meanwhile is never replaced.
    """
    kind = output_kind(target)
    parent = None
    if kind != "stdout":
        target = usable_target(target)
        parent = make_parent(target)
    check_target(target, overwrite)
    if kind == "dir" and stage_inside(target):  # a mount point: fill it in place
        parent = target
    remove_stale(parent or tempfile.gettempdir())
    try:
        staging, work = make_staging(parent, os.path.basename(target))
    except OSError as exc:
        raise os_error(exc, parent or tempfile.gettempdir(),
                       "cannot create the output's temporary folder here") from None
    try:
        try:
            yield work
            if kind == "stdout":
                _to_stream(_single_file(work, target), stdout or sys.stdout.buffer)
            elif kind == "file":
                place_file(_single_file(work, target), target, overwrite)
            elif kind in ("zip", "tar"):
                archive = os.path.join(staging, "archive")
                if kind == "zip":
                    _zip_into(work, archive)
                else:
                    _tar_into(work, archive, tar_codec(target) or "")
                place_file(archive, target, overwrite)
            else:
                place_folder(work, target, staging, overwrite)
        except BaseException:
            for hook in _BEFORE_DISCARD:
                hook()
            raise
    except CococonvError as err:  # named in the staging folder: say where it was to go
        if err.file:
            err.file = user_path(err.file, staging, work, target, kind)
        raise
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise os_error(exc, user_path(exc.filename, staging, work, target, kind)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _written_files(folder: str) -> list[str]:
    found = []
    for dirpath, _dirs, filenames in os.walk(folder):
        for name in filenames:
            found.append(os.path.join(dirpath, name))
    return sorted(found)


def _single_file(work: str, target: str) -> str:
    """The one file the export wrote (a single-file target holds nothing else)."""
    files = _written_files(work)
    if len(files) != 1:
        names = ", ".join(os.path.relpath(f, work) for f in files[:5]) or "nothing"
        raise DataError(f"the export wrote {len(files)} files ({names}); a single-file output "
                        f"needs exactly one: write to a folder or pick a single task",
                        file=target)
    return files[0]


def _to_stream(path: str, stream: BinaryIO) -> None:
    try:
        with open(path, "rb") as fh:
            shutil.copyfileobj(fh, stream)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise os_error(exc, "-", "cannot write to the standard output") from None


def _archive_members(work: str, target: str, skip: str) -> Iterator[tuple[str, str, bool]]:
    """``(path, member name, is_folder)`` for every file of the work folder but ``skip``
    (the archive being written), then every empty folder the export made on purpose
    (COCO's images/, which Datumaro, and so CVAT's import of a zip, requires). Names go
    through ``paths.safe_relpath`` (as every archive writer's must), so no member can unpack
    outside the extraction folder; a link in the work folder is refused, not followed."""
    from .paths import safe_relpath

    for path in _written_files(work):
        if path == skip:
            continue
        rel = os.path.relpath(path, work).replace(os.sep, "/")
        if os.path.islink(path):
            raise DataError(f"the export made a link {rel!r}; refusing to archive it",
                            file=target)
        yield path, safe_relpath(rel, what="archive member name"), False
    for dirpath, dirs, files in os.walk(work):
        if not dirs and not files and dirpath != work:
            rel = os.path.relpath(dirpath, work).replace(os.sep, "/")
            yield dirpath, safe_relpath(rel, what="archive member name"), True


def _zip_into(work: str, target: str) -> None:
    """Zip the work folder into ``target`` (members: :func:`_archive_members`)."""
    tmp_zip = os.path.join(work, ".archive.zip.part")
    with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name, folder in _archive_members(work, target, tmp_zip):
            if folder:
                archive.writestr(name + "/", b"")
            else:
                archive.write(path, name)
    _move_archive(tmp_zip, target)


def _tar_into(work: str, target: str, codec: str) -> None:
    """Tar the work folder into ``target``, compressed with ``codec`` ("", "gz", "bz2",
    "xz"; members: :func:`_archive_members`): files and folders owned by no one, mode
    644/755."""
    import tarfile

    tmp_tar = os.path.join(work, ".archive.tar.part")
    with tarfile.open(tmp_tar, f"w:{codec}", format=tarfile.PAX_FORMAT) as archive:
        for path, name, folder in _archive_members(work, target, tmp_tar):
            info = archive.gettarinfo(path, name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if folder else 0o644
            if folder:
                archive.addfile(info)
            else:
                with open(path, "rb") as fh:
                    archive.addfile(info, fh)
    _move_archive(tmp_tar, target)


def _move_archive(built: str, target: str) -> None:
    if os.path.isdir(target):
        raise OutputExistsError("output is a folder, not a file", file=target)
    os.replace(built, target)


def copy_file(src: str, dst: str) -> None:
    """Copy bytes (no re-encoding), creating parent folders; a system error names the
    file it concerns (an image deleted during the run, a full disk)."""
    try:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    except OSError as exc:  # a failed sendfile names both files: the reason tells which
        reading = exc.filename is not None and os.fsdecode(exc.filename) == src and \
            exc.errno not in _WRITE_ERRNOS
        raise os_error(exc, src if reading else dst,
                       "cannot read" if reading else "cannot write") from None


_WRITE_ERRNOS = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS")
                 if hasattr(errno, name)}
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_bytes(dst: str, data: bytes) -> None:
    """Write a whole file, creating its folder only when missing: a VOC export writes
    three files per image, so the plain descriptor calls (no buffered file object, no
    mkdir per file) save five system calls each. A system error (disk full) names ``dst``."""
    try:
        try:
            fd = os.open(dst, _WRITE_FLAGS, 0o666)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            fd = os.open(dst, _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except OSError as exc:
        raise os_error(exc, dst, "cannot write") from None
