"""Label Studio's YOLO export names its classes twice: ``classes.txt`` (one name a line,
in index order) and ``notes.json``, COCO-like ``{"categories": [{"id", "name",
"keypoints"}], "info": {"contributor": "Label Studio"}}``. Its keypoint names are what
tell a pose line (a box, then ``x y v`` per keypoint) from a polygon: the export writes
no ``kpt_shape``."""
from __future__ import annotations

from cococonv.errors import DataError
from cococonv.fileio import loads_json

from .names import MAX_CLASSES, MAX_KEYPOINTS

NOTES_NAME = "notes.json"
MAX_NOTES_BYTES = 4 << 20


def keypoints_of_notes(data: bytes, display: str) -> dict[int, list[str]]:
    """Keypoint names by class index; {} when the file names none. DataError naming the
    file for one that is too large, not JSON, or whose keypoints are not names."""
    if len(data) > MAX_NOTES_BYTES:
        raise DataError(f"larger than {MAX_NOTES_BYTES >> 20} MiB", file=display)
    doc = loads_json(data, file=display)
    categories = doc.get("categories") if type(doc) is dict else None
    found: dict[int, list[str]] = {}
    for k, category in enumerate(categories if type(categories) is list else []):
        if type(category) is not dict or "keypoints" not in category:
            continue
        names, index = category["keypoints"], category.get("id", k)
        if type(names) is not list or any(type(n) is not str for n in names) or \
                len(names) > MAX_KEYPOINTS or type(index) is not int or \
                not 0 <= index < MAX_CLASSES:
            raise DataError(f"keypoints must be a list of at most {MAX_KEYPOINTS} names, "
                            f"of a category with an id from 0 to {MAX_CLASSES - 1}",
                            file=display, where=f"categories[{k}]")
        if names:
            found[index] = names
    return found
