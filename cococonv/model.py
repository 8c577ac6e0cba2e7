"""The common dataset model every importer fills and every exporter reads.

Conventions:
- Pixel coordinates are 0-based floats; boxes are ``x, y, w, h``.
- ``label`` is an index into ``Categories.labels`` (``None`` when unlabelled).
- Polygon, Polyline and Points keep flat coordinate lists ``[x0, y0, x1, y1, ...]``.
- A Mask holds RLE exactly as the source had it (``{"size": [h, w], "counts": list | str}``);
  ``cococonv.masks`` decodes on demand.
- ``attributes`` holds user-facing values (``is_crowd``, ``occluded``, ``score``, custom ones)
  with their types; ``extra`` holds source-format fields the model does not own (unknown
  keys) so a same-format round trip loses nothing.
- What several formats share is a typed field, never an extra, so no exporter reads another
  format's keys: the source's own ids (``Item.image_id``, ``Annotation.id``,
  ``LabelCategory.id``), the box and area the source declared (``Annotation.declared_bbox``,
  ``declared_area``; a transform that changes geometry forgets them with
  ``Annotation.geometry_changed()``), the regions the source marks as ignored
  (``Item.ignore``, VOC's void 255 pixels), a label that only fills a gap in category ids
  (``LabelCategory.placeholder``). Dataset ``meta`` names labels by their
  ``LabelCategory`` object, never by index (``Categories.resolve``), so a transform that
  renames labels keeps the objects and needs to know no format.
- Plugins keep their private extras in a dict under their declared ``Plugin.namespace``
  (``extra["cvat"]``, ``extra["voc"]``); core learns the namespaces from the registry
  (``Context.namespaces``), so no list here names the formats. COCO's own unknown keys sit
  at the top level of ``extra`` because the importer reuses the parsed record as the
  ``extra`` dict, so a name alone cannot tell them apart. The rule: a top-level ``extra``
  key is another format's when its value is a dict and its name is a namespace some plugin
  of the run declares (not the exporter's own); an exporter neither writes nor reads it,
  and reports it lost. Any other key is the source format's own and may be kept (COCO
  writes it back into the record); an exporter of another format does not read it either
  (it may only count it as lost). A plugin used without being registered therefore has its
  extras written as COCO's: register it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable


#: Where ``reindex --keep-source-ids`` keeps an id it renumbered: an attribute of the item
#: or annotation, a top-level ``extra`` key of the label (exporters with a place for it,
#: COCO, write it).
SOURCE_ID = "source_id"

#: The largest image side importers accept: beyond any camera, within pycocotools' range.
MAX_IMAGE_SIDE = 1 << 20


@dataclass(slots=True, kw_only=True)
class Annotation:
    """Fields every annotation kind shares."""

    kind: ClassVar[str] = "annotation"
    id: Any = None
    label: int | None = None
    group: int = 0
    z_order: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: The object's box ``[x, y, w, h]`` and area as the source declared them (COCO's
    #: ``bbox``/``area``), values as given; None when it declared none. Exporters may write
    #: them instead of recomputing while the geometry is the source's.
    declared_bbox: list[float] | None = None
    declared_area: float | None = None

    def geometry_changed(self) -> None:
        """Forget the source's declared box and area once the shape was edited."""
        self.declared_bbox = None
        self.declared_area = None


@dataclass(slots=True, kw_only=True)
class Label(Annotation):
    """An image-level class (COCO labels task, VOC classification, CVAT tag)."""

    kind: ClassVar[str] = "label"


@dataclass(slots=True, kw_only=True)
class Bbox(Annotation):
    """An axis-aligned box; a CVAT rotation lives in ``attributes["rotation"]`` (degrees)."""

    kind: ClassVar[str] = "bbox"
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0

    def bounds(self) -> list[float]:
        return [self.x, self.y, self.w, self.h]


@dataclass(slots=True, kw_only=True)
class Polygon(Annotation):
    """One closed ring; an object made of several rings is several polygons in one group."""

    kind: ClassVar[str] = "polygon"
    points: list[float] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Polyline(Annotation):
    """An open line of points."""

    kind: ClassVar[str] = "polyline"
    points: list[float] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Mask(Annotation):
    """A binary mask as RLE: ``{"size": [h, w], "counts": list[int] | str}``."""

    kind: ClassVar[str] = "mask"
    rle: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Points(Annotation):
    """Keypoints (COCO) or a CVAT points shape/skeleton.

    ``points`` is flat x/y; ``visibility`` has one entry per point (0 absent, 1 occluded,
    2 visible), kept as given even where v=0 carries coordinates.
    """

    kind: ClassVar[str] = "points"
    points: list[float] = field(default_factory=list)
    visibility: list[int] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Ellipse(Annotation):
    """A CVAT ellipse: centre and radii; rotation in ``attributes["rotation"]``."""

    kind: ClassVar[str] = "ellipse"
    cx: float = 0
    cy: float = 0
    rx: float = 0
    ry: float = 0


@dataclass(slots=True, kw_only=True)
class Caption(Annotation):
    """A free-text caption."""

    kind: ClassVar[str] = "caption"
    caption: str = ""


ANNOTATION_KINDS: tuple[type[Annotation], ...] = (
    Label, Bbox, Polygon, Polyline, Mask, Points, Ellipse, Caption)


@dataclass(slots=True)
class LabelCategory:
    """A class: ``parent`` is COCO's supercategory; ``id`` the source's own id.

    ``placeholder`` marks a label that only fills a gap in the source's category ids (COCO
    ``--keep-original-category-ids``): it keeps the indices equal to the ids, and no
    exporter writes it as a class.
    """

    name: str
    parent: str = ""
    id: Any = None
    attributes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    placeholder: bool = False


@dataclass(slots=True)
class KeypointSchema:
    """Keypoint names and skeleton edges (1-based point indices, as COCO writes them)."""

    names: list[str] = field(default_factory=list)
    skeleton: list[list[int]] = field(default_factory=list)


@dataclass(slots=True)
class Categories:
    """Label categories plus per-label keypoint schemas and mask colours.

    A ``LabelCategory`` object is the label's identity: ``Dataset.meta`` points at the
    objects, not at indices, so a transform that renames a label edits its object (or keeps
    it under another index) and what a format said about the label follows it; a label a
    transform drops or merges away is simply gone (``resolve`` gives None).
    """

    labels: list[LabelCategory] = field(default_factory=list)
    keypoints: dict[int, KeypointSchema] = field(default_factory=dict)
    colormap: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def find(self, name: str) -> int | None:
        """Index of the label with this name, or None."""
        for index, label in enumerate(self.labels):
            if label.name == name:
                return index
        return None

    def add(self, name: str, **fields: Any) -> int:
        """Append a label and return its index."""
        self.labels.append(LabelCategory(name, **fields))
        return len(self.labels) - 1

    def supercategories(self) -> int:
        """How many labels name a parent (COCO's supercategory), for formats without one."""
        return sum(1 for label in self.labels if label.parent)

    def name_of(self, label: int | None) -> str | None:
        return None if label is None else self.labels[label].name

    def resolve(self, labels: Iterable[LabelCategory]) -> list[int | None]:
        """The index of each label object, found by identity (two labels may share a name),
        None for one that is no longer among these labels (a transform dropped it, or
        merged it into another). How ``Dataset.meta`` names labels."""
        position = {id(label): index for index, label in enumerate(self.labels)}
        return [position.get(id(label)) for label in labels]


@dataclass(slots=True)
class Image:
    """Where an item's image is and what is known of it, without decoding pixels.

    ``name`` is the relative file name the source used (COCO ``file_name``, may hold
    folders); ``path`` a readable file, or ``loader`` a callable returning bytes (zip).
    """

    name: str
    size: tuple[int, int] | None = None  # (height, width)
    path: str | None = None
    loader: Callable[[], bytes] | None = None

    @property
    def has_data(self) -> bool:
        return self.path is not None or self.loader is not None

    def read_bytes(self) -> bytes:
        if self.loader is not None:
            return self.loader()
        if self.path is None:
            raise FileNotFoundError(self.name)
        with open(self.path, "rb") as fh:
            return fh.read()


@dataclass(slots=True)
class IgnoreRegions:
    """Pixels the source marks as not annotated, to be ignored in evaluation (VOC's void
    index 255): ``semantic`` over the per-class layer, ``instance`` over the per-object
    layer, each an RLE like ``Mask.rle`` or None; the two may differ. A format without
    such a notion reports them lost. They are not objects: a crowd region (``is_crowd``,
    COCO's own way of saying "ignore these pixels") stays an annotation of its label."""

    semantic: dict[str, Any] | None = None
    instance: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return bool(self.semantic) or bool(self.instance)


@dataclass(slots=True)
class Item:
    """One image (or frame) of a subset, with its annotations.

    ``image_id`` is the id the source gave the image (COCO ``images[].id``), None when it
    gave none; ``ignore`` the regions it marks as ignored (None: none).
    """

    id: str
    subset: str = "default"
    image: Image | None = None
    annotations: list[Annotation] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    image_id: int | str | None = None
    ignore: IgnoreRegions | None = None


@runtime_checkable
class Source(Protocol):
    """What every exporter and transform reads: categories and dataset meta up front, then
    the items, in order, as an iterable that can be walked again (each walk yields the same
    items). ``Dataset`` is the in-memory one; a streaming reader produces items one at a
    time from its files instead."""

    categories: Categories
    meta: dict[str, Any]

    def __iter__(self) -> Iterator[Item]: ...


class Dataset:
    """Categories + ordered items, addressable by ``(subset, item id)``.

    ``meta`` holds dataset-level source extras keyed by format (e.g. COCO ``info`` and
    ``licenses`` per task file) so a same-format round trip keeps them. Where it names a
    label it holds the ``LabelCategory`` object, never its index or name alone
    (``Categories.resolve``), so label transforms need to know no format.
    """

    __slots__ = ("categories", "_items", "_index", "meta")

    def __init__(self, categories: Categories | None = None,
                 items: Iterable[Item] = (), meta: dict[str, Any] | None = None):
        self.categories = categories if categories is not None else Categories()
        self._items: list[Item] = []
        self._index: dict[tuple[str, str], Item] = {}
        self.meta: dict[str, Any] = meta if meta is not None else {}
        for item in items:
            self.add(item)

    def add(self, item: Item) -> Item:
        """Append an item; an existing (subset, id) is an error the caller must resolve."""
        key = (item.subset, item.id)
        if key in self._index:
            raise KeyError(key)
        self._index[key] = item
        self._items.append(item)
        return item

    def get(self, subset: str, item_id: str) -> Item | None:
        return self._index.get((subset, item_id))

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def subsets(self) -> list[str]:
        """Subset names in first-seen order."""
        seen: dict[str, None] = {}
        for item in self._items:
            seen.setdefault(item.subset, None)
        return list(seen)

    def items_of(self, subset: str) -> list[Item]:
        return [item for item in self._items if item.subset == subset]

    def replace_items(self, items: Iterable[Item]) -> None:
        """Swap in a new item sequence (used by transforms)."""
        self._items = []
        self._index = {}
        for item in items:
            self.add(item)
