"""The ``yolo`` importer: Ultralytics (data.yaml), Roboflow and darknet layouts."""
from __future__ import annotations

import math
import posixpath
import re

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import FileTree, Tree

from . import paths as P
from .layout import LIST_NAMES, NAMES_FILES, NOT_LABELS
from .reader import YoloReader, parse_image_size
from .sidecar import META_NAME


def _check_size(value: str) -> None:
    parse_image_size(value)


IMAGE_SIZE = Option(
    "image_size", str, None,
    "WIDTHxHEIGHT of the images for label files whose image is not in the input (a bare "
    "labels/ folder); without it such items are reported, their sizes never guessed.",
    check=_check_size)


class YoloImporter(Importer):
    """YOLO: Ultralytics data.yaml layouts (detect, segment, pose, OBB), Roboflow, darknet.

    Reads data.yaml (or any dataset YAML), images/<split>/ + labels/<split>/ and
    <split>/images/ + <split>/labels/ folders, darknet obj.data, obj.names, classes.txt and
    train.txt lists, or a bare labels/ folder. Normalised coordinates become pixels by the
    image sizes read from the image headers (or --image-size).
    """

    name = "yolo"
    namespace = "yolo"
    options = (IMAGE_SIZE,)

    @classmethod
    def detect(cls, tree: Tree) -> int:
        if isinstance(tree, FileTree):
            try:
                tree = dataset_tree(tree)[0]
            except DataError:
                return 0
        files = [f for f in tree.files() if not f.startswith(".")]
        names = {posixpath.basename(f) for f in files if f.count("/") <= 2}
        if META_NAME in names:
            return 35
        labels = _label_files(files)
        if not labels:
            return 0
        if {"classes.txt", "notes.json"} <= names:
            return 32  # Label Studio's YOLO export: above COCO's guess for its notes.json
        if names & {"data.yaml", "data.yml", "obj.data", "obj.names"}:
            return 30  # even when a label file is broken: load then says where
        return 15 if _looks_like_labels(tree, labels[:3]) else 0

    def load(self, tree: Tree, ctx: Context, *, image_size: str | None = None) -> Dataset:
        tree, yaml_rel = dataset_tree(tree)
        if yaml_rel is None:
            _refuse_no_dataset(tree)
        return YoloReader(tree, ctx, parse_image_size(image_size), yaml_rel).read()


def _refuse_no_dataset(tree: Tree) -> None:
    """DataError for an input with no label file and nothing that describes a YOLO
    dataset (``-if yolo`` on a COCO folder read its images as unlabelled items, exit 0)."""
    files = [f for f in tree.files() if not f.startswith(".")]
    if _label_files(files):
        return
    names = {posixpath.basename(f) for f in files if f.count("/") <= 2}
    if names & {META_NAME, *NAMES_FILES, *LIST_NAMES} or any(n.lower().endswith(DESCRIBING) for n in names):
        return
    raise DataError("no YOLO dataset found (expected labels/*.txt files, a data.yaml, or "
                    "darknet's obj.data, obj.names or classes.txt)", file=tree.name)


#: Single files that describe a YOLO dataset in their folder (Ultralytics' and darknet's).
DESCRIBING = (".yaml", ".yml", ".data", ".names")


def dataset_tree(tree: Tree) -> tuple[Tree, str | None]:
    """The tree to read and the dataset YAML the user named: a single ``data.yaml`` (or
    ``obj.data``, ``obj.names``) given as the input is read as the dataset of its folder,
    as Ultralytics reads it; any other single file holds no YOLO dataset (DataError)."""
    if not isinstance(tree, FileTree):
        return tree, None
    name = tree.filename
    if tree.base is None:
        raise DataError("a YOLO dataset is a folder, and a stream (stdin, a pipe) holds one "
                        "file: give the folder, an archive of it, or the path of its "
                        "data.yaml", file=tree.name)
    if name.lower().endswith(DESCRIBING) or name in NOT_LABELS:
        return tree.base, name if name.lower().endswith((".yaml", ".yml")) else None
    raise DataError("a single file is not a YOLO dataset: give its folder (labels/, "
                    "images/, data.yaml), an archive of it, or its data.yaml",
                    file=tree.name)


def _label_files(files: list[str]) -> list[str]:
    """Text files where YOLO keeps labels: under a ``labels`` folder or darknet's
    ``obj_<split>_data`` (CVAT's YOLO 1.1 export without its images has nothing else), or
    beside an image of the same stem."""
    stems = {posixpath.splitext(f)[0] for f in files if P.is_image(f)}
    found = []
    for rel in files:
        if not rel.endswith(".txt") or posixpath.basename(rel) in NOT_LABELS:
            continue
        folders = rel.split("/")[:-1]
        if "labels" in folders or posixpath.splitext(rel)[0] in stems or \
                any(_DARKNET_FOLDER.fullmatch(f) for f in folders):
            found.append(rel)
    return found


_DARKNET_FOLDER = re.compile(r"obj_\w+_data")


def _looks_like_labels(tree: Tree, labels: list[str]) -> bool:
    """Whether the first lines of a few label files read as YOLO lines: an integral class
    and at least four numbers (empty files count for nothing either way)."""
    seen = False
    for rel in labels:
        try:
            data = tree.read_bytes(rel)
        except DataError:
            return False
        head = data[:4096].decode("utf-8", "replace").splitlines()
        if len(data) > 4096:
            head = head[:-1]  # the last line may be cut
        for text in head[:2]:
            tokens = text.split()
            if not tokens:
                continue
            if len(tokens) < 5 or not _numbers(tokens) or float(tokens[0]) % 1:
                return False
            seen = True
    return seen or all(tree.read_bytes(r).strip() == b"" for r in labels)


def _numbers(tokens: list[str]) -> bool:
    try:
        return all(math.isfinite(float(t)) for t in tokens)
    except ValueError:
        return False
