"""COCO categories to model labels, across every file of one run.

A label is one (id, name) pair: the same pair in two task files is one label, the same name
under two ids is two (warned). ``category_id`` values are resolved against the file being read,
with the fallbacks real exports need (a name where the id belongs, results without categories).
"""
from __future__ import annotations

from typing import Any

from cococonv.model import Categories, KeypointSchema, LabelCategory

from .records import ID_TYPES, FileScope, describe_ids, type_name


class LabelTable:
    """The run's labels, and the category map of the file being read."""

    def __init__(self, scope: FileScope, categories: Categories):
        self.scope = scope
        self.categories = categories
        self.by_key: dict[tuple[Any, str], int] = {}
        self.by_name: dict[str, int] = {}
        self.largest_id: tuple[int, str, str] | None = None  # (id, file, where) for limits
        self.cat_map: dict[Any, int] = {}  # this file's category id -> label index
        self.category_extra: dict[int, dict] = {}
        self.invent_categories = False  # this file declares none: results may invent them
        self._names_of: dict | None = None  # the cat_map declared_name indexed last
        self._by_name: dict[str, list[int]] = {}
        self._named_warned: set[str] = set()

    def read_categories(self, categories: list, task: str) -> dict[Any, int]:
        """Read one file's ``categories``; it becomes the map ``category_id`` resolves in."""
        scope = self.scope
        cat_map: dict[Any, int] = {}
        self.category_extra = {}
        for ci, cat in enumerate(categories):
            if type(cat) is not dict:
                raise scope.error(f"must be an object, got {type_name(cat)}", f"categories[{ci}]")
            cid = cat.get("id")
            if type(cid) not in (int, str):
                raise scope.error(f"must be an integer, got {type_name(cid)}",
                                  f"categories[{ci}].id")
            name = cat.get("name")
            if type(name) is not str:
                if name is None or isinstance(name, (dict, list)):
                    raise scope.error(f"must be a string, got {type_name(name)}",
                                      f"categories[{ci}].name")
                name = str(name)
            if cid in cat_map:
                raise scope.error(f"{cid!r} is used twice", f"categories[{ci}].id")
            if type(cid) is int and (self.largest_id is None or cid > self.largest_id[0]):
                self.largest_id = (cid, scope.display, f"categories[{ci}].id")
            rest = {k: v for k, v in cat.items()
                    if k not in ("id", "name", "supercategory", "keypoints", "skeleton")}
            parent = cat.get("supercategory")
            if "supercategory" in cat and not isinstance(parent, str):
                rest["supercategory"] = parent  # e.g. labelme writes null; kept as given
            index = self._label_for(cid, name, parent, rest, ci)
            self.category_extra[index] = rest
            if "keypoints" in cat or "skeleton" in cat:
                self._read_schema(cat, index, ci)
            cat_map[cid] = index
        self.cat_map = cat_map
        self.invent_categories = not cat_map
        return cat_map

    def _label_for(self, cid: Any, name: str, parent: Any, rest: dict, ci: int) -> int:
        index = self.by_key.get((cid, name))
        if index is None:
            if name in self.by_name:
                self.scope.report.warn(
                    f"{self.scope.display}: categories[{ci}]: label {name!r} also has "
                    f"id {self.categories.labels[self.by_name[name]].id!r}"
                    f" in another file; kept as two labels")
            index = len(self.categories.labels)
            self.categories.labels.append(LabelCategory(
                name, parent if isinstance(parent, str) else "", cid, [], dict(rest)))
            self.by_key[(cid, name)] = index
            self.by_name.setdefault(name, index)
        else:
            label_extra = self.categories.labels[index].extra
            for key, value in rest.items():
                label_extra.setdefault(key, value)
        return index

    def _read_schema(self, cat: dict, index: int, ci: int) -> None:
        error = self.scope.error
        names = cat.get("keypoints") or []
        skeleton = cat.get("skeleton") or []
        if not isinstance(names, list) or not all(type(n) is str for n in names):
            raise error("must be a list of point names", f"categories[{ci}].keypoints")
        if not isinstance(skeleton, list):
            raise error("must be a list of [a, b] point pairs", f"categories[{ci}].skeleton")
        for k, edge in enumerate(skeleton):
            if type(edge) is not list or len(edge) != 2 or \
                    not all(type(v) is int and v >= 0 for v in edge):
                raise error(f"expected a pair of point numbers, got {edge!r}",
                            f"categories[{ci}].skeleton[{k}]")
        if index not in self.categories.keypoints or names:
            self.categories.keypoints[index] = KeypointSchema(list(names), skeleton)

    def _label_by_id(self, cid: Any) -> int | None:
        found = [index for (key_id, _name), index in self.by_key.items() if key_id == cid]
        return found[0] if len(found) == 1 else None

    def label_of(self, ann: dict, i: int, required: bool = True,
                 where: str | None = None, zero_unlabelled: bool = False) -> int | None:
        """The label of a record's ``category_id`` (popped), None when it has none."""
        if "category_id" not in ann:
            return None
        scope = self.scope
        cid = ann.pop("category_id")
        if type(cid) not in ID_TYPES:
            if cid is None and not required:
                return None
            raise scope.error(f"must be an integer, got {type_name(cid)}",
                              where or f"annotations[{i}].category_id")
        index = self.cat_map.get(cid)
        if index is not None:
            return index
        if isinstance(cid, str) and cid and not self.cat_map:
            # RedBrick-style exports put the label name in category_id and no categories.
            index = self.by_name.get(cid)
            if index is None:
                index = len(self.categories.labels)
                self.categories.labels.append(LabelCategory(cid))
                self.by_name[cid] = index
                scope.report.warn(f"{scope.display}: annotations[{i}].category_id: {cid!r} is "
                                  f"not a category id; read as the label name")
            return index
        if isinstance(cid, str) and cid:
            index = self._declared_name(cid, i)
            if index is not None:
                return index
        if scope.results and self.invent_categories and type(cid) in (int, str):
            return self._invented(ann, cid)
        if not required:
            return None
        if zero_unlabelled and cid == 0 and type(cid) is int:
            # Datumaro writes category_id 0 for an object without a label (0 is no category
            # here): unlabelled, and written back as 0.
            ann["category_id"] = 0
            return None
        known = describe_ids(list(self.cat_map))
        raise scope.error(f"{cid!r} is not a category ({known})",
                          where or f"annotations[{i}].category_id")

    def _invented(self, ann: dict, cid: Any) -> int:
        """A results list names no categories: each id becomes a label (one per id across
        files), named by its ground truth when one was read, else by category_name."""
        name = ann.get("category_name")
        index = self._label_by_id(cid)
        if index is None:
            name = name if type(name) is str and name else str(cid)
            index = self.by_key.get((cid, name))
        if index is None:
            index = len(self.categories.labels)
            self.categories.labels.append(LabelCategory(name, "", cid))
            self.by_key[(cid, name)] = index
            self.by_name.setdefault(name, index)
        self.cat_map[cid] = index
        return index

    def _declared_name(self, name: str, i: int) -> int | None:
        """The one category of this file named ``name``: some exports write the name where
        the id belongs, next to a categories list that declares both (warned once a name)."""
        if self._names_of is not self.cat_map:
            self._names_of = self.cat_map
            self._by_name = {}
            for index in dict.fromkeys(self.cat_map.values()):
                self._by_name.setdefault(self.categories.labels[index].name, []).append(index)
            self._named_warned = set()
        found = self._by_name.get(name)
        if found is None:
            return None
        scope = self.scope
        if len(found) > 1:
            ids = ", ".join(repr(self.categories.labels[k].id) for k in found)
            raise scope.error(f"{name!r} is not a category id, and it names {len(found)} "
                              f"categories (ids {ids}): use the id",
                              f"annotations[{i}].category_id")
        if name not in self._named_warned:
            self._named_warned.add(name)
            scope.report.warn(f"{scope.display}: annotations[{i}].category_id: {name!r} is a "
                              f"category name, not an id; read as category "
                              f"{self.categories.labels[found[0]].id!r}")
        return found[0]
