"""Move a file or folder into place only where nothing is: Linux's
``renameat2(RENAME_NOREPLACE)``, or a link/rename after a check elsewhere.

Its own module because both the staging of an output (``staging``) and the filling of a
folder in place (``intofolder``) need it, and neither may import the other back.
"""
from __future__ import annotations

import ctypes
import errno
import os
import sys

_RENAME_NOREPLACE = 1


def _renameat2():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):  # a libc older than glibc 2.28, or musl
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()
_AT_FDCWD = -100


def rename_noreplace(src: str, dst: str) -> None:
    """Move ``src`` to ``dst``, raising FileExistsError if ``dst`` exists (file, folder,
    even an empty one or a link), without a window in which another process's ``dst``
    could be replaced.

    Where the kernel call is missing or the file system refuses it, a file is linked
    (``link`` fails on an existing name) and a folder is renamed after a check, which
    leaves a window of a few microseconds.
    """
    if _RENAMEAT2 is not None:
        result = _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst),
                            _RENAME_NOREPLACE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), src, None, dst)
    if not os.path.isdir(src):
        os.link(src, dst)
        os.unlink(src)
        return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst)
    os.rename(src, dst)
