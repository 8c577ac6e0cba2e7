"""Finding a YOLO dataset in a tree: its class names, keypoint shape and splits.

Sources, in order: cococonv's ``yolo_meta.json`` (written beside ``data.yaml``), a
dataset YAML (``data.yaml`` or any YAML with ``names`` or ``train``), darknet's
``obj.data`` / ``*.names`` / ``classes.txt`` and ``train.txt`` lists, and last the
folders themselves (``images/<split>/``, ``<split>/images/``, ``labels/<split>/``,
``obj_<split>_data/``, images with ``.txt`` files beside them).
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from cococonv.errors import DataError
from cococonv.sources import Tree

from . import paths as P
from .names import names_from_file, names_from_yaml, shape_from_yaml
from .notes import NOTES_NAME, keypoints_of_notes
from .sidecar import META_NAME, Meta, read_meta
from .yamlfile import load_yaml

SPLIT_KEYS = ("train", "val", "test", "minival")
NAMES_FILES = ("obj.names", "classes.txt", "classes.names", "coco.names", "_darknet.labels")
LIST_NAMES = {"train.txt": "train", "val.txt": "val", "valid.txt": "valid",
              "test.txt": "test"}
#: Text files that are never label files.
NOT_LABELS = frozenset({*NAMES_FILES, *LIST_NAMES, "README.txt", "readme.txt",
                        "labels.txt", "LICENSE.txt", "notes.txt"})
_ALIASES = {"val": ("val", "valid", "validation"), "valid": ("valid", "val", "validation"),
            "test": ("test", "testing"), "train": ("train", "training")}


@dataclass(slots=True)
class Entry:
    """One item: its id, image and label file (either may be missing)."""

    id: str
    image: str | None
    label: str | None


@dataclass(slots=True)
class Layout:
    names: list[str] | None = None
    kpt_shape: tuple[int, int] | None = None
    flip_idx: list[int] | None = None
    splits: dict[str, list[Entry]] = field(default_factory=dict)
    meta: Meta | None = None
    keypoint_names: dict[int, list[str]] = field(default_factory=dict)  # Label Studio's
    described_by: str = ""  # the YAML, obj.data or names file found, for detect's score
    warnings: list[str] = field(default_factory=list)  # paths named but not in the input


def find_layout(tree: Tree, yaml_rel: str | None = None) -> Layout:
    """The dataset the tree holds (described by ``yaml_rel`` when the user named that
    YAML); DataError for a broken YAML, names or list file."""
    index = P.Index(tree.files())
    layout = Layout()
    meta_rel = _shallowest(f for f in index.files if posixpath.basename(f) == META_NAME)
    if meta_rel is not None:
        layout.meta = read_meta(tree.read_bytes(meta_rel), tree.display(meta_rel))
    if yaml_rel is None:
        yaml_rel = _dataset_yaml(index, tree)
    used: set[str] = set()
    if yaml_rel is not None:
        _read_yaml(tree, index, yaml_rel, layout, used)
    else:
        _read_darknet(tree, index, layout, used)
    if layout.meta is not None and layout.meta.names:
        layout.names = layout.meta.names
    scanned = _scan(index)
    if not layout.splits:
        layout.splits = scanned
    else:
        _add_unread(layout, scanned, used)
    return layout


def _shallowest(found: Any) -> str | None:
    found = sorted(found, key=lambda rel: (rel.count("/"), rel))
    return found[0] if found else None


def _dataset_yaml(index: P.Index, tree: Tree) -> str | None:
    yamls = [f for f in index.files if f.lower().endswith((".yaml", ".yml"))
             and f.count("/") <= 2]
    preferred = [f for f in yamls if posixpath.basename(f).lower() in ("data.yaml",
                                                                       "data.yml")]
    for rel in sorted(preferred, key=lambda r: r.count("/")) + \
            sorted(yamls, key=lambda r: (r.count("/"), r)):
        data = tree.read_bytes(rel)
        if rel in preferred or b"names" in data or b"train" in data:
            doc = load_yaml(data, tree.display(rel)) if rel in preferred else _try(data)
            if doc is not None and ("names" in doc or "train" in doc):
                return rel
    return None


def _try(data: bytes) -> dict | None:
    try:
        return load_yaml(data, "")
    except DataError:
        return None


def _read_yaml(tree: Tree, index: P.Index, rel: str, layout: Layout, used: set[str]) -> None:
    display = tree.display(rel)
    doc = load_yaml(tree.read_bytes(rel), display)
    layout.described_by = rel
    if "names" in doc:
        layout.names = names_from_yaml(doc["names"], doc.get("nc"), display)
    layout.kpt_shape, layout.flip_idx = shape_from_yaml(doc, display)
    folder = P.parent(rel)
    bases = [folder]
    declared = doc.get("path")
    if isinstance(declared, str) and declared.strip():
        inside = index.resolve(declared, [folder])
        if inside is not None and inside in index.folders:
            bases.insert(0, inside)
    keys = list(SPLIT_KEYS)
    if layout.meta is not None:
        keys = list(dict.fromkeys([*layout.meta.subsets, *keys]))
    for key in keys:
        value = doc.get(key)
        if value is None or value == "":
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise DataError(f"{key}: must be a path or a list of paths", file=display)
        taken: list[str] = []
        entries = _split_entries(tree, index, values, bases, used, layout.warnings, taken)
        if entries is None:
            layout.warnings.append(f"{display}: {key}: {values[0][:200]!r} is not in the "
                                   f"input")
        else:
            name = layout.meta.subsets.get(key, key) if layout.meta else key
            layout.splits.setdefault(name, []).extend(entries)
        if taken:
            # Ultralytics' VOC.yaml names images/test2007 as val and as test: an item has
            # one subset here, the first split that names it.
            layout.warnings.append(f"{display}: {key}: {len(taken)} image(s) an earlier "
                                   f"split names too are read in that split only")


def _split_entries(tree: Tree, index: P.Index, values: list[str], bases: list[str],
                   used: set[str], warnings: list[str],
                   taken: list[str]) -> list[Entry] | None:
    """The items one split names (folders, image lists, images); None when none of its
    paths is in the tree."""
    entries: list[Entry] = []
    found = False
    for value in values:
        rel = index.resolve(value, bases)
        if rel is None:
            labels = P.labels_folder(value.strip().replace("\\", "/").strip("/"))
            labels = index.resolve(labels, bases) if labels else None
            if labels is not None and labels in index.folders:
                found = True  # the images are not there: their label files still are
                entries += _label_entries(index, labels, set(), used)
            continue
        found = True
        if rel in index.folders:
            entries += _folder_entries(index, rel, used, taken)
        elif P.is_image(rel):
            entries += _image_entries(index, [rel], used, taken=taken)
        else:
            entries += _list_entries(tree, index, rel, bases, used, warnings, taken)
    return entries if found else None


def _folder_entries(index: P.Index, folder: str, used: set[str],
                    taken: list[str] | None = None) -> list[Entry]:
    images = [f for f in index.under(folder) if P.is_image(f)]
    entries = _image_entries(index, images, used, root=folder, taken=taken)
    labels = P.labels_folder(folder)
    if labels is not None:
        entries += _label_entries(index, labels, {e.label for e in entries}, used)
    return entries


def _label_entries(index: P.Index, labels: str, seen: set, used: set[str]) -> list[Entry]:
    """Items of the label files under ``labels`` whose image is not in the input."""
    entries = []
    for rel in index.under(labels):
        if rel.endswith(".txt") and rel not in seen and rel not in used and \
                posixpath.basename(rel) not in NOT_LABELS:
            used.add(rel)
            entries.append(Entry(P.item_id(rel, labels), None, rel))
    return entries


def _image_entries(index: P.Index, images: list[str], used: set[str],
                   root: str | None = None, taken: list[str] | None = None) -> list[Entry]:
    """Items of these images, less those already read (listed in ``taken``)."""
    root = P.common_folder(images) if root is None else root
    entries = []
    for image in images:
        if image in used:
            if taken is not None:
                taken.append(image)
            continue
        used.add(image)
        label = P.label_of(image)
        if label not in index.file_set:
            beside = posixpath.splitext(image)[0] + ".txt"
            label = beside if beside in index.file_set else None
        if label is not None:
            used.add(label)
        entries.append(Entry(P.item_id(image, root), image, label))
    return entries


#: The most lines an image list may have (bounds the memory a list decides).
MAX_LIST_LINES = 10_000_000


def _list_entries(tree: Tree, index: P.Index, rel: str, bases: list[str],
                  used: set[str], warnings: list[str],
                  taken: list[str] | None = None) -> list[Entry]:
    display = tree.display(rel)
    try:
        text = tree.read_bytes(rel).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text (an image list holds one path a line)",
                        file=display) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()
             and not line.lstrip().startswith("#")]
    if len(lines) > MAX_LIST_LINES:
        raise DataError(f"{len(lines)} lines, more than {MAX_LIST_LINES}", file=display)
    images = []
    list_bases = [P.parent(rel), *bases, ""]
    missing: list[str] = []
    for line in lines:
        found = index.resolve(line, list_bases)
        if found is None or found not in index.file_set:
            missing.append(line)
            continue
        images.append(found)
    entries = _image_entries(index, images, used, taken=taken)
    if missing:
        labels = _labels_of_missing(index, missing, list_bases, used)
        read = f"; their {len(labels)} label files are read without them" if labels else ""
        warnings.append(f"{display}: {len(missing)} listed images are not in the "
                        f"input{read}")
        entries += labels
    return entries


def _labels_of_missing(index: P.Index, lines: list[str], bases: list[str],
                       used: set[str]) -> list[Entry]:
    """Items of the label files of listed images that are not in the input (CVAT's YOLO
    1.1 export without images: train.txt names data/obj_train_data/x.jpg, and only
    obj_train_data/x.txt is there)."""
    entries = []
    for line in lines:
        stem = posixpath.splitext(line.strip().replace("\\", "/"))[0]
        for candidate in dict.fromkeys((P.label_of(stem + ".jpg"), stem + ".txt")):
            found = index.resolve(candidate, bases)
            if found is not None and found in index.file_set and found not in used:
                used.add(found)
                entries.append(Entry(P.item_id(found, P.parent(found)), None, found))
                break
    return entries


def _read_darknet(tree: Tree, index: P.Index, layout: Layout, used: set[str]) -> None:
    data_rel = _shallowest(f for f in index.files if f.endswith(".data")
                           and f.count("/") <= 1)
    config: dict[str, str] = {}
    if data_rel is not None:
        config = _darknet_config(tree, data_rel)
        if not config:
            data_rel = None
    names_rel = None
    bases = [P.parent(data_rel)] if data_rel else [""]
    if "names" in config:
        names_rel = index.resolve(config["names"], bases)
    if names_rel is None:
        names_rel = _shallowest(f for f in index.files
                                if posixpath.basename(f) in NAMES_FILES and f.count("/") <= 1)
    if names_rel is not None:
        layout.names = names_from_file(tree.read_bytes(names_rel), tree.display(names_rel))
        layout.described_by = data_rel or names_rel
        notes = posixpath.join(P.parent(names_rel), NOTES_NAME)
        if notes in index.file_set:
            layout.keypoint_names = keypoints_of_notes(tree.read_bytes(notes),
                                                       tree.display(notes))
            if layout.keypoint_names:
                count = max(len(names) for names in layout.keypoint_names.values())
                layout.kpt_shape = (count, 3)
    lists = {key: config[key] for key in ("train", "valid", "test") if key in config}
    if not lists:
        lists = {name: rel for rel in index.files if rel.count("/") == 0
                 for base, name in LIST_NAMES.items() if rel == base}
    for name, value in lists.items():
        rel = index.resolve(value, bases + [""])
        if rel is not None and rel in index.file_set:
            layout.splits.setdefault(name, []).extend(
                _list_entries(tree, index, rel, bases, used, layout.warnings))


def _darknet_config(tree: Tree, rel: str) -> dict[str, str]:
    """``key = value`` lines of obj.data; {} when the file is not such a file."""
    data = tree.read_bytes(rel)
    if len(data) > 64 * 1024:
        return {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}
    config = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            config[key.strip()] = value.strip()
    return config if {"train", "names", "classes"} & set(config) else {}


def _scan(index: P.Index) -> dict[str, list[Entry]]:
    """Splits from the folders alone: each image with its label file, then label files
    whose image is not there (a bare ``labels/`` folder)."""
    splits: dict[str, list[Entry]] = {}
    used: set[str] = set()
    roots: dict[str, tuple[str, str]] = {}
    for rel in index.files:
        if P.is_image(rel):
            name, root = _split_of(rel, "images")
            roots.setdefault(root, (name, root))
    for root, (name, _) in roots.items():
        images = [f for f in index.under(root) if P.is_image(f)
                  and _split_of(f, "images")[1] == root]
        splits.setdefault(name, []).extend(_image_entries(index, images, used, root=root))
    for rel in index.files:
        if rel.endswith(".txt") and rel not in used and \
                posixpath.basename(rel) not in NOT_LABELS and "labels" in rel.split("/")[:-1]:
            name, root = _split_of(rel, "labels")
            splits.setdefault(name, []).append(Entry(P.item_id(rel, root), None, rel))
    return splits


def _split_of(rel: str, folder: str) -> tuple[str, str]:
    """(split name, root folder the ids are relative to) of a file, from its path."""
    parts = rel.split("/")[:-1]
    if folder in parts:
        k = len(parts) - 1 - parts[::-1].index(folder)
        if k + 1 < len(parts):
            return parts[k + 1], "/".join(parts[:k + 2])
        if k > 0:
            return parts[k - 1], "/".join(parts[:k + 1])
        return "default", "/".join(parts[:k + 1])
    last = parts[-1] if parts else ""
    if last.startswith("obj_") and last.endswith("_data") and len(last) > 9:
        return last[4:-5], "/".join(parts)
    return "default", "/".join(parts)


def _add_unread(layout: Layout, scanned: dict[str, list[Entry]], used: set[str]) -> None:
    """A YAML split whose path is not in the tree (Roboflow's ``../valid/images`` beside
    a ``val/`` folder) takes the scanned split of the same name or an alias of it."""
    for key in SPLIT_KEYS:
        if key in layout.splits:
            continue
        for alias in _ALIASES.get(key, (key,)):
            entries = [e for e in scanned.get(alias, []) if e.image not in used
                       and e.label not in used]
            if entries:
                layout.splits[key] = entries
                break
