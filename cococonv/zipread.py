"""Reading zip members: one in bounded memory whatever its header claims (docs/limits.md),
and their names as their writer meant them."""
from __future__ import annotations

import zipfile

# Compressed bytes zipfile reads at a time, by method. Each read is inflated whole, so it
# bounds memory: bzip2 puts some 45 MB in one 40-byte block (200 MB of zeros in 177 bytes),
# LZMA some 7,000 bytes in one; deflate's output is bounded by the read instead.
_ZIP_READS = {zipfile.ZIP_BZIP2: 64, zipfile.ZIP_LZMA: 4096}


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, inflated no further than the size its header declares.

    Why: ``ZipFile.read`` inflates a stream to its end in one call and cuts the result to
    the declared size afterwards, so a member claiming 100 bytes inflated 300 MB from a
    300 KB zip; read in bounded steps, memory stays near the declared size (which the
    bomb check has vetted) and the CRC check then refuses the cut stream.
    """
    step = _ZIP_READS.get(info.compress_type)
    with archive.open(info) as fh:
        if step is None:
            return fh.read(info.file_size)  # the CRC is checked once the size is read
        fh.MIN_READ_SIZE = step  # type: ignore[attr-defined]  # zipfile's per-read floor
        parts = []
        while part := fh.read(step):
            parts.append(part)
        return b"".join(parts)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; Info-ZIP on Linux stores UTF-8 names without the UTF-8 flag,
    which zipfile then decodes as cp437 ("café" -> "caf├⌐"): undo that when it fits."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name
