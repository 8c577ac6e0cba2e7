"""ImageSets list lines: one item id per line, which may hold spaces (``IMG 0001``).

VOC's devkit splits these lines on whitespace, but Datumaro (CVAT's importer), torchvision
and mmdetection take the whole line of a plain list as the id; cococonv reads and writes
them their way, so an id with spaces survives a round trip. What follows the id is
recognised from the end of the line: a class flag (``<id> 1|-1|0``), an action line's
object index and flag (``<id> [<object>] 1|-1|0``), and in Layout and Action plain lists
the object index VOC 2012 puts after the id (``2008_000008 1``). Ids that cannot be written
on such a line (a newline or tab, spaces at either end) are refused by the exporter
(``naming.py``).

Telling lists apart: in Main and Action, ``<name>_<subset>.txt`` is a class (or action) list
when ``<name>`` is a known class (the label map's, else VOC's) or ``<subset>`` has a list of
its own, *and* its lines are flag lines; a file whose lines are plain ids (``hard_val.txt``
beside ``val.txt``) is a subset list, as is one of an unknown name with any line that is not
a flag line. A known class's list with a bad line among flag lines is an error naming it.
Datumaro reads a list with ``_`` in its name only as a class list of its label map.
"""
from __future__ import annotations

from cococonv.errors import DataError

FLAGS = ("1", "-1", "0")
# Folders holding ``<name>_<subset>.txt`` flag lists beside subset lists; every list in
# Segmentation and Layout is a subset list, whatever its name.
FLAG_FOLDERS = ("Main", "Action")
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


class ListFiles:
    """Which (list kind, name, subset) each ``ImageSets`` file of an export was written for.

    A subset list is ``<subset>.txt`` and a class or action list ``<name>_<subset>.txt``, so
    two owners can meet in one file name (label ``x_train`` for subset ``train`` and label
    ``x`` for subset ``train_train``); the later one would overwrite the earlier silently.
    Subset names are written without ``_`` (``naming.py``), which keeps such meetings out of
    well-formed data; this check is what makes any that remain (two labels of one name) an
    error naming both owners instead of a lost file.
    """

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    def claim(self, rel: str, owner: str) -> None:
        """Record that ``rel`` holds ``owner`` (``"the subset list of 'train'"``)."""
        other = self.owners.get(rel)
        if other is not None and other != owner:
            raise DataError(f"{rel} would be both {other} and {owner}; one would be lost "
                            f"(rename the label or the subset)")
        self.owners[rel] = owner
