"""Image files: sizes from headers, byte-for-byte copies, re-encoding only when asked.

PIL is imported only inside these functions; reading a size opens the header, not pixels.
"""
from __future__ import annotations

import io
import posixpath
import struct
import warnings
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO

from .errors import DataError, OptionError
from .fileio import copy_file, write_bytes
from .imagehead import HEAD_PREFIX_BYTES, header_size
from .limits import check_plane, use_our_pixel_limit
from .localfs import open_regular
from .model import Image, Item
from .paths import join_inside, safe_relpath
from .report import Report

if TYPE_CHECKING:
    from .tailnames import TailNames

PIL_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "tif": "TIFF",
               "tiff": "TIFF", "webp": "WEBP"}


def normalise_ext(ext: str | None) -> str | None:
    """``png`` or ``.PNG`` -> ``.png``; None stays None."""
    if not ext:
        return None
    return "." + ext.lstrip(".").lower()


def probe_size(image: Image | None) -> tuple[int, int] | None:
    """``(height, width)``: known, or read from the file header (cached on the image)."""
    if image is None:
        return None
    if image.size is None and image.has_data:
        try:
            image.size = _header_or_pillow_size(image)
        except Exception:  # an unreadable image is written without a size
            return None
    return image.size


def _header_or_pillow_size(image: Image) -> tuple[int, int]:
    """The size parsed from the file's first bytes (one read), else Pillow's; Pillow's
    errors as they are."""
    data = None
    if image.path is not None:
        with open(image.path, "rb") as fh:
            head = fh.read(HEAD_PREFIX_BYTES)
    else:
        data = image.read_bytes()
        head = data[:HEAD_PREFIX_BYTES]
    size = header_size(head)
    if size is not None:
        return size
    from PIL import Image as PILImage

    with PILImage.open(image.path if data is None else io.BytesIO(data)) as opened:
        width, height = opened.size
    return height, width


def check_image_ext(ext: str | None) -> None:
    """The ``--image-ext`` check, made with the options before anything is read: one of
    ``PIL_FORMATS`` (``png``, ``.PNG``), never a path (``../../x``, ``/tmp/x``)."""
    if ext is None:
        return
    if type(ext) is not str or ext.lstrip(".").lower() not in PIL_FORMATS:
        shown = ext if type(ext) is str and len(ext) <= 40 else f"{str(ext)[:40]}..."
        raise OptionError(f"--image-ext: unsupported image format {shown!r} "
                          f"(known: {', '.join(sorted(PIL_FORMATS))})")


def reencode(image: Image, ext: str, data: bytes | None = None) -> bytes:
    """The image's pixels (``data``, else read from the image) in the format of ``ext``."""
    from PIL import Image as PILImage

    check_image_ext(ext)
    use_our_pixel_limit(PILImage)
    fmt = PIL_FORMATS[ext.lstrip(".").lower()]
    try:
        with warnings.catch_warnings():
            # our pixel limit applies (check_plane), not Pillow's bomb warning on stderr
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            source = io.BytesIO(image.read_bytes() if data is None else data)
            with PILImage.open(source) as opened:
                width, height = opened.size
                check_plane(height, width, "the image")
                picture = opened.convert("RGB") \
                    if fmt == "JPEG" and opened.mode not in ("RGB", "L") else opened
                buffer = io.BytesIO()
                picture.save(buffer, fmt)
                return buffer.getvalue()
    except DataError as err:
        raise err.located(file=image.name) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error,
            PILImage.DecompressionBombError) as exc:  # what Pillow raises for a corrupt file
        raise DataError(f"cannot re-encode image ({exc})", file=image.name) from None


#: Why an image is not saved when its file is no image (see :func:`copy_image`).
NOT_AN_IMAGE = "not an image file (its bytes are in no image format Pillow reads)"


def copy_image(image: Image, dst: str, ext: str | None = None) -> bool:
    """Save ``image`` to ``dst``: re-encoded when ``ext`` changes its format, else copied
    byte for byte. False, and nothing written, when the file is not an image.

    Why: an image is looked up by a name the dataset gives, so a hostile name may point
    at any file of the input root (a key in the home folder a stranger's file was saved in);
    only a file whose first bytes are an image format is copied into the output.
    """
    reencoding = bool(ext) and posixpath.splitext(image.name)[1].lower() != ext
    if image.path is not None and not reencoding:
        with open_regular(image.path, image.path) as fh:
            head = fh.read(_HEAD_BYTES)
        if not is_image_head(head, image.path):
            return False
        copy_file(image.path, dst)
        return True
    data = image.read_bytes()
    if not is_image_head(data[:_HEAD_BYTES], io.BytesIO(data)):
        return False
    write_bytes(dst, reencode(image, ext, data) if reencoding else data)  # type: ignore[arg-type]
    return True


# The signatures of the formats datasets use, checked without Pillow; any other start is
# left to Pillow's format identification (TGA, PPM, ICO, JPEG 2000...).
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
               b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_HEAD_BYTES = 16


def is_image_head(head: bytes, source: str | BinaryIO | None = None) -> bool:
    """Whether a file starting with ``head`` is an image: a common signature, else (with
    ``source``, the file or its bytes) a format Pillow identifies from the header."""
    if head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return True
    if source is None or not head:
        return False
    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PILImage.open(source):
                return True
    except PILImage.DecompressionBombError:
        return True  # an image, too large for Pillow: later steps say so
    except Exception:  # Pillow raises many types for what it cannot identify
        return False


def with_ext(name: str, ext: str | None) -> str:
    """``name`` with its extension replaced by ``ext`` (unchanged when ext is None)."""
    return posixpath.splitext(name)[0] + ext if ext else name


def with_safe_image_name(item: Item, tails: TailNames | None = None) -> Item:
    """``item``, or a copy whose image name is normalised by ``safe_relpath`` (``a\\b.jpg``
    -> ``a/b.jpg``), so a saved image and the name written for it agree; an escaping name
    is cut to its tail by ``tails`` (``cococonv.tailnames``), or without it raises
    DataError. For exporters' ``paths.writable`` step, with --save-images."""
    image = item.image
    if image is None:
        return item
    what = "image file name"
    name = tails.relpath(image.name, what=what) if tails else safe_relpath(image.name, what=what)
    return item if name == image.name else replace(item, image=replace(image, name=name))


def save_images(items: Iterable[Item], out_dir: str, destination: Callable[[Item], str],
                report: Report, *, ext: str | None = None) -> None:
    """Write each item's image to ``out_dir/destination(item)``.

    Bytes are copied as they are unless ``ext`` changes the encoding. Items without image
    data are counted as lost; two items saved to one path are an error, and so is a
    destination leaving ``out_dir`` (exporters drop such items earlier, in
    ``paths.writable``; this is the last guard).
    """
    ext = normalise_ext(ext)
    missing = not_images = 0
    written: set[str] = set()
    for item in report.progress(items, desc="images"):
        image = item.image
        if image is None or not image.has_data:
            missing += 1
            continue
        rel = destination(item)
        if rel in written:
            raise DataError(f"two images would be saved as {rel!r}; use distinct file names",
                            file=item.id)
        written.add(rel)
        if not copy_image(image, join_inside(out_dir, rel, what="image file name"), ext):
            not_images += 1
    report.lost("images", "not present in the input", missing)
    report.lost("images", NOT_AN_IMAGE, not_images)
