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

from .errors import DataError, OptionError
from .fileio import copy_file, write_bytes
from .limits import check_plane
from .model import Image, Item
from .paths import join_inside, safe_relpath
from .report import Report

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
        from PIL import Image as PILImage
        try:
            source = image.path if image.path is not None else io.BytesIO(image.read_bytes())
            with PILImage.open(source) as opened:
                width, height = opened.size
            image.size = (height, width)
        except Exception:  # an unreadable image is written without a size
            return None
    return image.size


def reencode(image: Image, ext: str) -> bytes:
    """The image's pixels in the format of ``ext``."""
    from PIL import Image as PILImage

    fmt = PIL_FORMATS.get(ext.lstrip(".").lower())
    if fmt is None:
        raise OptionError(f"--image-ext {ext}: unsupported image format "
                          f"(known: {', '.join(sorted(PIL_FORMATS))})")
    try:
        with warnings.catch_warnings():
            # our pixel limit applies (check_plane), not Pillow's bomb warning on stderr
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(image.read_bytes())) as opened:
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


def with_ext(name: str, ext: str | None) -> str:
    """``name`` with its extension replaced by ``ext`` (unchanged when ext is None)."""
    return posixpath.splitext(name)[0] + ext if ext else name


def with_safe_image_name(item: Item) -> Item:
    """``item``, or a copy whose image name is normalised by ``safe_relpath`` (``a\\b.jpg``
    -> ``a/b.jpg``), so a saved image and the name written for it agree; an escaping name
    raises DataError. For exporters' ``paths.writable`` step, with --save-images."""
    image = item.image
    if image is None:
        return item
    name = safe_relpath(image.name, what="image file name")
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
    missing = 0
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
        dst = join_inside(out_dir, rel, what="image file name")
        if ext and posixpath.splitext(image.name)[1].lower() != ext:
            write_bytes(dst, reencode(image, ext))
        elif image.path is not None:
            copy_file(image.path, dst)
        else:
            write_bytes(dst, image.read_bytes())
    report.lost("images", "not present in the input", missing)
