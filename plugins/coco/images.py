"""COCO ``images`` records to items, matched by file name across the task files of a run.

An image listed by instances and by captions is one item; the image file is looked up inside
the input only, so an absolute or climbing ``file_name`` cannot make us read elsewhere.
"""
from __future__ import annotations

import os
import posixpath
from typing import Any

from cococonv.errors import DataError
from cococonv.model import MAX_IMAGE_SIDE, Dataset, Image, Item
from cococonv.paths import is_hidden, is_plain, lookup_relpath
from cococonv.sources import FileTree, Tree

from .records import ID_TYPES, FileScope, describe_ids, type_name

MAX_DIMENSION = MAX_IMAGE_SIDE


def item_id_of(file_name: str) -> str:
    """The item id of an image file name: the path without its extension."""
    stem, _ext = posixpath.splitext(file_name.replace("\\", "/"))
    return stem or file_name


class ImageTable:
    """The run's items by file and by image id, and the image map of the file being read."""

    def __init__(self, scope: FileScope, dataset: Dataset):
        self.scope = scope
        self.dataset = dataset
        self.image_dirs: dict[str, list[str]] = {}
        self.items_by_file: dict[tuple[str, str], Item] = {}
        self.images_by_id: dict[Any, list[Item]] = {}
        # this file's image id -> (item, height, width), and -> its position in images
        self.image_map: dict[Any, tuple[Item, int | None, int | None]] = {}
        self.image_index: dict[Any, int] = {}
        self._hinted = False

    def read_images(self, images: list, subset: str) -> None:
        """Read one file's ``images``; they become the ids ``image_id`` resolves in."""
        self.image_map = {}
        self.image_index = {}
        by_name: dict[str, tuple[int, Any]] = {}
        for ii, img in enumerate(images):
            try:
                self.read_image(img, ii, subset, by_name)
            except DataError as err:
                self.scope.report.bad_record(err)

    def read_image(self, img: Any, ii: int, subset: str,
                   by_name: dict[str, tuple[int, Any]]) -> None:
        """Read ``images[ii]`` (popping the keys it uses) into its item; ``by_name``
        holds the file's names read so far (two images of one file are refused). Raises
        DataError naming the record; the streaming reader calls it a batch at a time."""
        scope = self.scope
        if type(img) is not dict:
            raise scope.error(f"must be an object, got {type_name(img)}", f"images[{ii}]")
        iid = img.pop("id", None)
        if type(iid) not in (int, str):
            raise scope.error(f"must be an integer or string, got {type_name(iid)}",
                              f"images[{ii}].id")
        if iid in self.image_map:
            raise scope.error(f"{iid!r} is used twice (first at images["
                              f"{self.image_index[iid]}])", f"images[{ii}].id")
        fname = img.pop("file_name", None)
        if fname is None:
            fname = ""
        elif type(fname) is not str:
            raise scope.error(f"must be a string, got {type_name(fname)}",
                              f"images[{ii}].file_name")
        width = self._dimension(img, "width", ii)
        height = self._dimension(img, "height", ii)
        if (width is None) != (height is None):
            # A lone dimension is no size; keep it as the source had it.
            img["width" if height is None else "height"] = width or height
        if fname:
            if fname in by_name:
                first, other_id = by_name[fname]
                raise scope.error(f"{fname!r} is also the file of images[{first}] (ids "
                                  f"{other_id!r} and {iid!r}); two images cannot share "
                                  f"a file", f"images[{ii}].file_name")
            by_name[fname] = (ii, iid)
        item = self.items_by_file.get((subset, fname)) if fname else None
        if item is None:
            item_id = item_id_of(fname) if fname else str(iid)
            if self.dataset.get(subset, item_id) is not None:
                # a.jpg and a.png in one subset: the second keeps its extension.
                item_id = fname or f"{item_id}#{iid}"
            size = (height, width) if height is not None and width is not None else None
            image = Image(fname or item_id, size)
            self._attach_image(image, subset)
            item = Item(item_id, subset, image, [], {}, {"coco_image": img}, image_id=iid)
            self.dataset.add(item)
            if fname:
                self.items_by_file[(subset, fname)] = item
        elif item.image_id != iid:
            scope.report.warn(f"{scope.display}: images[{ii}]: {fname!r} has id {iid!r} "
                              f"here and {item.image_id!r} in an earlier "
                              f"file; the first id is kept")
        self.image_index[iid] = ii
        self.images_by_id.setdefault(iid, []).append(item)
        self.image_map[iid] = (item, height, width)

    def _dimension(self, img: dict, key: str, ii: int) -> int | None:
        value = img.pop(key, None)
        if value is None:
            return None
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is int and 0 < value <= MAX_DIMENSION:
            return value
        if value == 0 and type(value) is int:
            # Datumaro writes 0 for a size it does not know: no size, kept as written.
            img[key] = 0
            return None
        raise self.scope.error(f"must be a positive integer up to {MAX_DIMENSION}, got "
                               f"{value!r}", f"images[{ii}].{key}")

    def _image_folders(self, subset: str) -> list[str]:
        dirs = self.image_dirs.get(subset)
        if dirs is None:
            tree = self.scope.tree
            if isinstance(tree, FileTree):
                dirs = []
            else:
                dirs = [d for d in (f"images/{subset}", "images", subset)
                        if not is_hidden(d.split("/")) and tree.is_dir(d)]
                dirs.append("")
            self.image_dirs[subset] = dirs
        return dirs

    def _attach_image(self, image: Image, subset: str) -> None:
        """Point the image at its file when the input has it; a missing image is fine.

        Only the input root is searched (a single file's: its folder, nothing above it);
        an absolute or escaping ``file_name`` is looked up by its tail.
        """
        tree: Tree = self.scope.tree
        name = lookup_relpath(image.name)
        if name is None:
            return
        if isinstance(tree, FileTree):
            candidates = (name, f"images/{subset}/{name}", f"images/{name}", f"{subset}/{name}")
            for base, rel in tree.image_lookups(candidates):
                if base.bind_if_present(image, rel):
                    return
            if not self._hinted:
                self._hinted = True
                self._hint_dataset_folder(tree, subset)
            return
        for folder in self._image_folders(subset):
            rel = f"{folder}/{name}" if folder else name
            if tree.bind_if_present(image, rel):
                return

    def _hint_dataset_folder(self, tree: FileTree, subset: str) -> None:
        """Say once how to read the images of ``ds/annotations/x.json``'s dataset: a single
        file's images are looked up beside it only (red-team F40), so those in ``ds/images``
        are read when the folder is the input (``-i ds --relpath annotations/x.json``)."""
        folder = tree.dataset_folder()
        if folder is None or not any(
                is_plain(d) and os.path.isdir(os.path.join(folder, d)) for d in ("images", subset)):
            return
        self.scope.report.warn(
            f"{tree.display(tree.filename)}: images are looked up only in the annotation "
            f"file's own folder, not in {folder}; to read the dataset's images give its "
            f"folder: -i {folder} --relpath annotations/{tree.filename}")

    def item_of(self, ann: dict, i: int) -> tuple[Item, int | None, int | None]:
        """The item of a record's ``image_id`` (popped), with the image's height and width."""
        scope = self.scope
        iid = ann.pop("image_id", None)
        if iid is not None and type(iid) not in ID_TYPES:
            raise scope.error(f"must be an integer or string, got {type_name(iid)}",
                              f"annotations[{i}].image_id")
        found = self.image_map.get(iid)
        if found is not None:
            return found
        if scope.results and type(iid) in (int, str):
            return self._result_item(iid)
        if iid is None:
            raise scope.error("missing key 'image_id'", f"annotations[{i}]")
        raise scope.error(f"{iid!r} is not an image ({describe_ids(list(self.image_map))})",
                          f"annotations[{i}].image_id")

    def _result_item(self, iid: Any) -> tuple[Item, int | None, int | None]:
        """A results list names images of a ground-truth file read before it, if any."""
        subset = self.scope.subset
        known = self.images_by_id.get(iid)
        source = known[0] if known and len(known) == 1 else None
        item_id = source.id if source is not None else str(iid)
        item = self.dataset.get(subset, item_id)
        if item is None:
            image = source.image if source is not None else None
            item = self.dataset.add(Item(item_id, subset, image, [], {},
                                         dict(source.extra) if source else {}, image_id=iid))
        size = item.image.size if item.image is not None else None
        found = (item, size[0], size[1]) if size else (item, None, None)
        self.image_map[iid] = found
        return found
