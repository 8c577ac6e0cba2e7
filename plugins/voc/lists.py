"""ImageSets list lines: one item id per line, which may hold spaces (``IMG 0001``).

VOC's devkit splits these lines on whitespace, but Datumaro (CVAT's importer), torchvision
and mmdetection take the whole line of a plain list as the id; cococonv reads and writes
them their way, so an id with spaces survives a round trip. What follows the id is
recognised from the end of the line: a class flag (``<id> 1|-1|0``), an action line's
object index and flag (``<id> [<object>] 1|-1|0``), and in Layout and Action plain lists
the object index VOC 2012 puts after the id (``2008_000008 1``). Ids that cannot be written
on such a line (a newline or tab, spaces at either end) are refused by the exporter
(``naming.py``).
"""
from __future__ import annotations

FLAGS = ("1", "-1", "0")
# Plain lists whose lines may carry an object index after the id.
_INDEXED = ("Layout", "Action")


def plain_id(line: str, folder: str) -> str:
    """The item id of a stripped plain-list line of ImageSets/``folder``."""
    if folder in _INDEXED:
        parts = line.rsplit(None, 1)
        if len(parts) == 2 and parts[1].isdigit():
            return parts[0]
    return line


def split_flag(line: str) -> tuple[str, int] | None:
    """``(id, flag)`` of a class flag line, None when it does not end with a flag."""
    parts = line.rsplit(None, 1)
    if len(parts) != 2 or parts[1] not in FLAGS:
        return None
    return parts[0], int(parts[1])


def split_action(line: str) -> tuple[str, int | None, int] | None:
    """``(id, object index or None, flag)`` of an action flag line, or None."""
    parts = line.rsplit(None, 2)
    if len(parts) < 2 or parts[-1] not in FLAGS:
        return None
    flag = int(parts[-1])
    if len(parts) == 3 and parts[1].isdigit():
        return parts[0], int(parts[1]), flag
    return line.rsplit(None, 1)[0], None, flag
