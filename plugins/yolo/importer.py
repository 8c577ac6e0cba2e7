"""The ``yolo`` importer: Ultralytics (data.yaml), Roboflow and darknet layouts."""
from __future__ import annotations

import posixpath

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import Dataset
from cococonv.plugin import Importer, Option
from cococonv.sources import Tree

from . import paths as P
from .layout import NOT_LABELS
from .lines import parse_line
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
        files = [f for f in tree.files() if not f.startswith(".")]
        names = {posixpath.basename(f) for f in files if f.count("/") <= 2}
        if META_NAME in names:
            return 35
        labels = _label_files(files)
        if not labels:
            return 0
        if not _looks_like_labels(tree, labels[:3]):
            return 0
        if names & {"data.yaml", "data.yml", "obj.data", "obj.names"}:
            return 30
        return 15

    def load(self, tree: Tree, ctx: Context, *, image_size: str | None = None) -> Dataset:
        return YoloReader(tree, ctx, parse_image_size(image_size)).read()


def _label_files(files: list[str]) -> list[str]:
    """Text files where YOLO keeps labels: under a ``labels`` folder, or beside an image
    of the same stem."""
    stems = {posixpath.splitext(f)[0] for f in files if P.is_image(f)}
    found = []
    for rel in files:
        if not rel.endswith(".txt") or posixpath.basename(rel) in NOT_LABELS:
            continue
        if "labels" in rel.split("/")[:-1] or posixpath.splitext(rel)[0] in stems or \
                P.label_of(rel) != rel:
            found.append(rel)
    return found


def _looks_like_labels(tree: Tree, labels: list[str]) -> bool:
    """Whether the first lines of a few label files read as YOLO lines (empty files count
    for nothing either way)."""
    seen = False
    for rel in labels:
        try:
            head = tree.read_bytes(rel)[:4096].decode("utf-8", "replace").splitlines()
        except DataError:
            return False
        for number, text in enumerate(head[:2], 1):
            try:
                if parse_line(text, number, rel, None, None) is not None:
                    seen = True
            except DataError:
                return False
    return seen or len(labels) > 0 and all(tree.read_bytes(r).strip() == b"" for r in labels)
