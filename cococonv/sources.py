"""Read-only views of an input: a folder, a zip archive, or one file (or stdin).

Importers see every source through the same small ``Tree`` interface, so each format reads
from a folder and from an archive with the same code, and never unpacks an archive to disk.
Paths inside a tree are relative and use ``/``.
"""
from __future__ import annotations

import io
import os
import posixpath
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from .errors import DataError, UnsafeInputError
from .localfs import folder_listing, name_key, open_regular, regular_files
from .paths import is_hidden, is_plain, is_within
from .travel import MemberLoader, reopened
from .zipread import member_name, read_member

if TYPE_CHECKING:
    from .model import Image

# A member inflating past both limits is treated as a zip bomb.
MAX_RATIO = 200
MAX_UNCHECKED_SIZE = 64 * 1024 * 1024
MAX_MEMBER_SIZE = 32 * 1024 ** 3


class Tree:
    """A read-only file tree. ``display(rel)`` names a file in error messages."""

    name: str = ""

    def files(self) -> list[str]:
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        raise NotImplementedError

    def is_dir(self, rel: str) -> bool:
        prefix = rel.rstrip("/") + "/"
        return any(path.startswith(prefix) for path in self.files())

    def open(self, rel: str) -> BinaryIO:
        raise NotImplementedError

    def read_bytes(self, rel: str) -> bytes:
        with self.open(rel) as fh:
            return fh.read()

    def local_path(self, rel: str) -> str | None:
        """A filesystem path for ``rel`` when one exists (lets exporters copy files)."""
        return None

    def loader(self, rel: str) -> Callable[[], bytes]:
        return MemberLoader(self, rel)

    def bind_image(self, image: "Image", rel: str) -> None:
        """Point ``image`` at file ``rel`` of this tree: a path on disk, else a loader."""
        local = self.local_path(rel)
        if local is not None:
            image.path = local
        else:
            image.loader = self.loader(rel)

    def bind_if_present(self, image: "Image", rel: str) -> bool:
        """``bind_image`` when ``rel`` exists; whether it did (one lookup, not two)."""
        if not self.exists(rel):
            return False
        self.bind_image(image, rel)
        return True

    def display(self, rel: str) -> str:
        return rel

    def listdir(self, rel: str = "") -> list[str]:
        """Names directly under folder ``rel`` (files and folders)."""
        prefix = rel.strip("/") + "/" if rel.strip("/") else ""
        names: dict[str, None] = {}
        for path in self.files():
            if path.startswith(prefix):
                names.setdefault(path[len(prefix):].split("/", 1)[0], None)
        return list(names)

    def read_folders(self) -> list[str]:
        """Folders on disk, besides the input path itself, that the run read files from."""
        return []


class DirTree(Tree):
    """A folder on disk; nothing outside it is ever read.

    A name with a ``..`` segment or an absolute one is not in the tree, and a file or folder
    whose symbolic links lead outside the root is refused (the realpath check is made once
    per folder, plus once per file that is itself a link). The folders files were read from
    are remembered (:meth:`read_folders`) for the check that the output does not replace them.
    """

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.name = root
        self._files: list[str] | None = None
        self._folders: dict[str, bool] = {}  # folder -> inside the root, links resolved
        self._listings: dict[str, tuple[frozenset[str], frozenset[str]] | None] = {}
        self._read_dirs: set[str] = set()

    def _abs(self, rel: str) -> str | None:
        if not rel:
            return self.root
        if not is_plain(rel) and (
                ".." in rel.replace("\\", "/").split("/") or rel.startswith(("/", "\\")) or
                "\x00" in rel or (os.sep != "/" and len(rel) > 1 and rel[1] == ":")):
            return None
        return os.path.join(self.root, *rel.split("/"))

    def _folder_inside(self, folder: str) -> bool:
        inside = self._folders.get(folder)
        if inside is None:
            inside = self._folders[folder] = is_within(folder, self.root)
        return inside

    def _inside(self, path: str) -> bool:
        """Whether ``path`` resolves inside the root (links followed)."""
        return self._folder_inside(os.path.dirname(path)) and (
            not os.path.islink(path) or is_within(path, self.root))

    def _file(self, rel: str) -> str | None:
        """The path of file ``rel`` when it exists inside the root (one lstat for a file
        that is not a link, as many system calls as a plain isfile)."""
        path = self._abs(rel)
        return None if path is None else self._file_at(path)

    def _file_at(self, path: str) -> str | None:
        """``_file`` of the absolute ``path`` ``_abs`` made."""
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            if not is_within(path, self.root) or not os.path.isfile(path):
                return None
        elif not stat.S_ISREG(mode):
            return None
        return path if self._folder_inside(os.path.dirname(path)) else None

    def read_folders(self) -> list[str]:
        return sorted(os.path.join(self.root, *d.split("/")) if d else self.root
                      for d in self._read_dirs)

    def files(self) -> list[str]:
        """Every regular file under the root (links to one included); FIFOs, devices,
        sockets and dangling links are left out, so detection never opens one."""
        if self._files is None:
            self._files = regular_files(self.root)
        return self._files

    def exists(self, rel: str) -> bool:
        return self._found(rel) is not None

    def _found(self, rel: str) -> str | None:
        """``_file``, but a name its folder's listing lacks costs no failed lstat (one per
        image of an annotations-only input)."""
        path = self._abs(rel)
        if path is None:
            return None
        folder, name = os.path.split(path)
        listed = self._listing(folder)
        if listed is not None:
            keys, regular = listed
            if name in regular:  # a plain file: the listing typed it, no lstat
                return path if self._folder_inside(folder) else None
            if name_key(name) not in keys:
                return None
        return self._file_at(path)

    def _listing(self, folder: str) -> tuple[frozenset[str], frozenset[str]] | None:
        """``folder_listing(folder)``, read once per folder."""
        if folder not in self._listings:
            self._listings[folder] = folder_listing(folder)
        return self._listings[folder]

    def is_dir(self, rel: str) -> bool:
        path = self._abs(rel)
        return path is not None and os.path.isdir(path) and is_within(path, self.root)

    def listdir(self, rel: str = "") -> list[str]:
        path = self._abs(rel.strip("/"))
        if path is None or not os.path.isdir(path) or not is_within(path, self.root):
            return []
        return sorted(os.listdir(path))

    def open(self, rel: str) -> BinaryIO:
        path = self._abs(rel)
        if path is None:
            raise UnsafeInputError("the name leaves the input folder", file=self.display(rel))
        if os.path.lexists(path) and not self._inside(path):
            raise UnsafeInputError("a symbolic link leads outside the input folder; refused",
                                   file=self.display(rel))
        fh = open_regular(path, self.display(rel))
        self._read_dirs.add(posixpath.dirname(rel))
        return fh

    def local_path(self, rel: str) -> str | None:
        path = self._file(rel)
        if path is not None:
            self._read_dirs.add(posixpath.dirname(rel))
        return path

    def bind_image(self, image: "Image", rel: str) -> None:
        """As Tree's; a file that is not inside the root (a link out) stays unbound: the
        image counts as missing."""
        local = self.local_path(rel)
        if local is not None:
            image.path = local

    def bind_if_present(self, image: "Image", rel: str) -> bool:
        path = self._found(rel)
        if path is None:
            return False
        image.path = path
        self._read_dirs.add(posixpath.dirname(rel))
        return True

    def display(self, rel: str) -> str:
        return rel


class FileTree(Tree):
    """A single file (or stdin's bytes) seen as a tree holding just that file."""

    def __init__(self, filename: str, data: bytes | None = None, *, path: str | None = None):
        self.filename = filename
        self.name = "<stdin>" if path is None and data is not None else filename
        self._data = data
        self._path = path
        # The input root of a single annotation file is its folder, and nothing above it:
        # a stranger's file saved in a home or downloads folder (or in an ``annotations/``
        # folder unpacked there) must not reach the files around that folder (red-team
        # F40). Images and masks it names are looked up only inside this root.
        self.base = DirTree(os.path.dirname(os.path.abspath(path))) if path else None

    def read_folders(self) -> list[str]:
        return self.base.read_folders() if self.base is not None else []

    def image_lookups(self, candidates: Iterable[str]) -> Iterator[tuple[DirTree, str]]:
        """Where to look an image up, in order: ``(root, rel)`` in the file's folder; a
        candidate with a hidden segment (``.ssh/``) is never looked up."""
        if self.base is None:
            return
        for rel in candidates:
            if not is_hidden(rel.split("/")):
                yield self.base, rel

    def dataset_folder(self) -> str | None:
        """The folder above the file's when that one is named ``annotations`` (COCO's
        layout): named in a hint only, never read."""
        if self._path is None or os.path.basename(self.base.root) != "annotations":
            return None
        return os.path.dirname(os.path.dirname(self._path)) or "."

    def files(self) -> list[str]:
        return [self.filename]

    def exists(self, rel: str) -> bool:
        return rel == self.filename

    def open(self, rel: str) -> BinaryIO:
        if rel != self.filename:
            raise DataError("no such file in the input", file=rel)
        if self._data is not None:
            return io.BytesIO(self._data)
        return open_regular(self._path, self.filename)  # type: ignore[arg-type]

    def local_path(self, rel: str) -> str | None:
        return self._path if rel == self.filename else None

    def display(self, rel: str) -> str:
        return "<stdin>" if self._path is None and self._data is not None else rel


class ArchiveTree(Tree):
    """An archive read member by member: ``_members`` maps names, without the single
    folder ``_prefix`` that wraps them all, to the archive's records of them."""

    _members: dict
    _files: list[str]
    _prefix: str = ""

    def files(self) -> list[str]:
        return self._files

    def exists(self, rel: str) -> bool:
        return rel in self._members

    def member(self, rel: str):  # type: ignore[no-untyped-def]
        """The archive's record of member ``rel``; DataError when there is none."""
        info = self._members.get(rel)
        if info is None:
            raise DataError("no such member in the archive", file=self.display(rel))
        return info

    def open(self, rel: str) -> BinaryIO:
        return io.BytesIO(self.read_bytes(rel))

    def display(self, rel: str) -> str:
        return f"{self.name}!{self._prefix}{rel}"

    def __reduce__(self) -> tuple:
        """Pickled as its path and stamp, not its open handle and member table: a Dask
        worker opens the archive again (once per process) from the shared filesystem."""
        path = os.path.abspath(getattr(self, "path"))
        info = os.stat(path)
        return (reopened, (type(self), path, (info.st_size, info.st_mtime_ns)))


class ZipTree(ArchiveTree):
    """A zip archive read member by member; a single wrapping folder is looked through."""

    def __init__(self, path: str):
        self.path = path
        self.name = os.path.basename(path)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DataError(f"not a readable zip archive ({exc})", file=self.name) from None
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            self._check_member(info)
            if not info.is_dir():
                name = member_name(info)
                if name in members:
                    raise UnsafeInputError("the archive holds this member twice; refusing "
                                           "to pick one", file=f"{self.name}!{info.filename}")
                members[name] = info
        self._prefix = wrapping_folder(list(members))
        self._members = {name[len(self._prefix):]: info for name, info in members.items()}
        self._files = list(self._members)

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        check_member_name(name, f"{self.name}!{name}")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeInputError("member is a symbolic link", file=f"{self.name}!{name}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_SIZE or (
                info.file_size > MAX_UNCHECKED_SIZE and ratio > MAX_RATIO):
            raise UnsafeInputError(
                f"member inflates to {info.file_size} bytes (ratio {ratio:.0f}); refusing a "
                f"likely zip bomb", file=f"{self.name}!{name}")

    def read_bytes(self, rel: str) -> bytes:
        info = self.member(rel)
        try:
            if os.getpid() != self._pid:
                self._reopen()
            with self._lock:
                return read_member(self._zip, info)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            # a flipped bit: zlib's "invalid code lengths set", or a bad CRC (BadZipFile)
            raise DataError(f"cannot read member ({exc})", file=self.display(rel)) from None
        except (NotImplementedError, RuntimeError) as exc:  # other compression, encrypted
            raise DataError(f"cannot read member ({exc})", file=self.display(rel)) from None

    def _reopen(self) -> None:
        """A forked worker opens the archive again: the inherited handle shares its file
        position with the parent's, so their seek-then-read calls would interleave."""
        self._zip = zipfile.ZipFile(self.path)
        self._lock = threading.Lock()
        self._pid = os.getpid()


def check_member_name(name: str, shown: str) -> None:
    """UnsafeInputError (naming the member as ``shown``) for an archive member name that
    is absolute, starts with a drive or has a ``..`` segment: it would unpack elsewhere."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
        raise UnsafeInputError("member path leaves the archive root", file=shown)


def wrapping_folder(names: list[str]) -> str:
    """The one top folder every member sits in ("" when there is none)."""
    if not names:
        return ""
    first = names[0].split("/", 1)
    if len(first) < 2:
        return ""
    prefix = first[0] + "/"
    return prefix if all(n.startswith(prefix) for n in names) else ""
