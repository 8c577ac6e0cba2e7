"""Byte-level mutators (bit flips, cuts, inserts), PNG-chunk and JPEG-header edits, zips.

PNG edits fix the chunk CRC so the damage reaches the decoder instead of its CRC check;
zip edits either rebuild the archive around a mutated member (the member's own format's
mutator) or damage the archive bytes themselves (a flipped bit in a deflated member).
"""
from __future__ import annotations

import io
import warnings
import struct
import zipfile
import zlib
from collections.abc import Callable

from .values import Context

Mutator = Callable[[bytes, Context], "tuple[bytes, str]"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BOMB: dict[str, bytes] = {}


def mutate_bytes(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """One to four blind edits: bit flips, a cut, inserted or deleted bytes, a big int."""
    rng = ctx.rng
    buf = bytearray(data)
    done = []
    for _ in range(rng.choice([1, 1, 2, 4])):
        if not buf:
            buf += b"\x00"
        at = rng.randrange(len(buf))
        op = rng.randrange(6)
        if op == 0:
            bit = rng.randrange(8)
            buf[at] ^= 1 << bit
            done.append(f"bit {bit} flipped at {at}")
        elif op == 1:
            del buf[at:]
            done.append(f"cut at {at}")
        elif op == 2:
            n = rng.choice([1, 4, 100])
            buf[at:at] = bytes(rng.randrange(256) for _ in range(n))
            done.append(f"{n} bytes inserted at {at}")
        elif op == 3:
            n = rng.choice([1, 4, 100])
            del buf[at:at + n]
            done.append(f"{n} bytes deleted at {at}")
        elif op == 4:
            buf[at:at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff",
                                         b"\x00\x00\x00\x00", b"\x80\x00\x00\x00"])
            done.append(f"int32 set at {at}")
        else:
            buf[at] = rng.choice([0, 0xFF, 0x7F, 0x80])
            done.append(f"byte set at {at}")
    return bytes(buf), "bytes " + "; ".join(done)


def _chunks(data: bytes) -> list[list[bytes]] | None:
    """[type, payload] of each PNG chunk, or None when `data` is not a well-formed PNG."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    chunks, at = [], len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append([kind, data[at + 8:at + 8 + length]])
        at += 12 + length
    return chunks if chunks and chunks[0][0] == b"IHDR" else None


def _png(chunks: list[list[bytes]]) -> bytes:
    out = [PNG_SIGNATURE]
    for kind, payload in chunks:
        out.append(struct.pack(">I", len(payload)) + kind + payload +
                   struct.pack(">I", zlib.crc32(kind + payload)))
    return b"".join(out)


def _bomb() -> bytes:
    """A zlib stream of 200 MB of zeros (about 200 KB), made once."""
    if "png" not in _BOMB:
        _BOMB["png"] = zlib.compress(b"\x00" * 200_000_000, 9)
    return _BOMB["png"]


def mutate_png(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """Edit the IHDR fields, the chunk list or the image data; CRCs stay right."""
    rng = ctx.rng
    chunks = _chunks(data)
    if chunks is None or rng.random() < 0.25:
        return mutate_bytes(data, ctx)
    op = rng.randrange(6)
    header = bytearray(chunks[0][1].ljust(13, b"\x00"))
    if op == 0:
        width, height = (rng.choice([0, 1, 65535, 2**31 - 1, 2**24, 100_000])
                         for _ in range(2))
        header[0:8] = struct.pack(">II", width, height)
        chunks[0][1] = bytes(header)
        return _png(chunks), f"png IHDR {width}x{height}"
    if op == 1:
        depth, colour = rng.choice([1, 2, 4, 8, 16, 3]), rng.choice([0, 2, 3, 4, 6, 7])
        header[8:10] = bytes([depth, colour])
        chunks[0][1] = bytes(header)
        return _png(chunks), f"png depth {depth} colour type {colour}"
    if op == 2:
        i = rng.randrange(len(chunks))
        kind = chunks.pop(i)[0]
        return _png(chunks), f"png chunk {kind!r} dropped"
    if op == 3:
        i = rng.randrange(len(chunks))
        chunks.insert(i, list(chunks[i]))
        return _png(chunks), f"png chunk {chunks[i][0]!r} duplicated"
    idat = [c for c in chunks if c[0] == b"IDAT"]
    if not idat:
        return mutate_bytes(data, ctx)
    if op == 4:
        idat[0][1] = rng.choice([_bomb(), zlib.compress(bytes(rng.randrange(256)
                                                              for _ in range(5000)))])
        for extra in idat[1:]:
            chunks.remove(extra)
        return _png(chunks), "png IDAT replaced"
    payload, _ = mutate_bytes(idat[0][1], ctx)
    idat[0][1] = payload
    return _png(chunks), "png IDAT bytes edited"


def mutate_jpeg(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """Claim a huge frame size in the SOF header, or edit blindly."""
    at = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
    if at < 0 or ctx.rng.random() < 0.5:
        return mutate_bytes(data, ctx)
    size = ctx.rng.choice([0, 1, 65535])
    buf = bytearray(data)
    buf[at + 5:at + 9] = struct.pack(">HH", size, size)
    return bytes(buf), f"jpeg SOF {size}x{size}"


def mutate_zip(data: bytes, ctx: Context, member_mutator: Callable[[str], Mutator]
               ) -> tuple[bytes, str]:
    """Rebuild the archive with one change, or damage its bytes.

    `member_mutator(name)` gives the mutator for a member's format.
    """
    rng = ctx.rng
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info, archive.read(info)) for info in archive.infolist()]
    except Exception:  # noqa: BLE001  (any damage from an earlier edit: edit blindly)
        return mutate_bytes(data, ctx)
    files = [m for m in members if not m[0].is_dir()]
    op = rng.randrange(8)
    if op <= 1 or not files:
        return mutate_bytes(data, ctx)
    i = members.index(rng.choice(files))
    info, payload = members[i]
    desc = f"zip member {info.filename}: "
    if op <= 4:
        new, what = member_mutator(info.filename)(payload, ctx)
        members[i] = (info, new)
        desc += what
    elif op == 5:
        new_name = rng.choice(["../" * rng.randint(1, 4) + info.filename,
                               "/" + info.filename, "a/../../" + info.filename,
                               info.filename.replace("/", "\\"), ctx.name() or "x"])
        members.append((_info(new_name, info), payload))
        desc += f"copy named {new_name[:40]!r}"
    elif op == 6:
        link = _info(info.filename, info)
        link.external_attr = (0o120777 << 16)
        members[i] = (link, str(ctx.secret).encode())
        desc += "made a symlink to the secret"
    else:
        members.append((_info(info.filename, info), b"\x00" * 50_000_000
                        if rng.random() < 0.3 else payload))
        desc += "duplicated (same name)"
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate names are the point
        for entry, content in members:
            if entry.filename.endswith("/"):
                archive.writestr(entry, b"")
            else:
                archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue(), desc


def _info(name: str, like: zipfile.ZipInfo) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=like.date_time)
    info.external_attr = like.external_attr
    return info


def mutate_lines(data: bytes, ctx: Context) -> tuple[bytes, str]:
    """List files and label maps: a line dropped, doubled, replaced by a name or junk."""
    rng = ctx.rng
    lines = data.decode("utf-8", "replace").split("\n")
    at = rng.randrange(len(lines))
    op = rng.randrange(5)
    if op == 0:
        del lines[at]
        return "\n".join(lines).encode(), f"line {at} deleted"
    if op == 1:
        lines.insert(at, lines[at])
        return "\n".join(lines).encode(), f"line {at} doubled"
    if op == 2:
        lines.insert(at, ctx.name())
        return "\n".join(lines).encode("utf-8", "surrogatepass"), f"name line at {at}"
    if op == 3:
        lines[at] = rng.choice(["a:256,0,0::", "b:-1,x,3::", ":::", "x" * 100_000,
                                "c:0,0,0:part:act", "# comment", "\x00\x01"])
        return "\n".join(lines).encode(), f"line {at} replaced"
    return mutate_bytes(data, ctx)
