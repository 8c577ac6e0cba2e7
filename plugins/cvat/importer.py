"""CVAT for images 1.1 importer (also reads CVAT for video 1.1 tracks).

Which files are CVAT is decided here (sniffed); reading them is ``reader.CvatReader``'s job.
"""
from __future__ import annotations

import posixpath

from cococonv.context import Context
from cococonv.errors import DataError
from cococonv.model import Dataset
from cococonv.plugin import Importer
from cococonv.sources import FileTree, Tree

from . import xmlsafe
from .reader import CvatReader


def find_xml_files(tree: Tree) -> list[str]:
    """CVAT XML files at the top of the input (sniffed: root ``<annotations>`` + meta).

    A single file (or stdin) is sniffed whatever its name; in a folder only ``*.xml`` are.
    """
    single = isinstance(tree, FileTree)
    candidates = [tree.filename] if single else [rel for rel in tree.files() if "/" not in rel]
    found = []
    for rel in candidates:
        if not single and not rel.lower().endswith(".xml"):
            continue
        try:
            with tree.open(rel) as fh:
                head = fh.read(xmlsafe.SNIFF_BYTES)
        except DataError:
            continue
        if xmlsafe.looks_like_cvat(head):
            found.append(rel)
    return sorted(found)


class CvatImporter(Importer):
    """CVAT for images 1.1: annotations.xml (task, project or job export), also video tracks.

    Reads every `*.xml` at the top of the input whose root is `<annotations>` (a folder, a
    CVAT export `.zip`, or the XML itself). Images are looked up in `images/<subset>/`,
    `images/` and next to the XML; a missing image is fine.
    """

    name = "cvat"
    namespace = "cvat"
    options = ()

    @classmethod
    def detect(cls, tree: Tree) -> int:
        # The content was sniffed (root <annotations> plus <version>/<meta>): a strong match,
        # above formats that only look at names.
        return 50 if find_xml_files(tree) else 0

    def load(self, tree: Tree, ctx: Context) -> Dataset:
        files = find_xml_files(tree)
        if not files:
            raise DataError("no CVAT annotation file found (expected an .xml file at the top "
                            "of the input whose root is <annotations> with <version>1.1"
                            "</version> or <meta>)", file=tree.name)
        reader = CvatReader(tree, ctx.report)
        several = len(files) > 1
        for rel in files:
            stem = posixpath.splitext(posixpath.basename(rel))[0]
            reader.read(rel, stem if several else "default")
        return reader.finish()
