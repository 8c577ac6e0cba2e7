"""Transform chains: the ``-t`` list of a run, and the export options every format accepts
because a transform does their work (``--segmentation-mode``, ``--crop-covered``).

An exporter that declares one of these options itself (COCO) does the work in its own
records; for every other exporter the option is taken off its options and the matching
transform runs just before the export (``split_export_options``), so the flag means the
same for every target.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import export_options
from .plugin import Option, Plugin

if TYPE_CHECKING:
    from .context import Context
    from .model import Dataset
    from .registry import Registry

#: (the option, the transform that does its work), in the order the transforms run:
#: cropping first, so the segmentation mode also applies to the cropped masks.
EXPORT_TRANSFORMS: tuple[tuple[Option, str], ...] = (
    (export_options.crop_covered(), "crop_covered"),
    (export_options.segmentation_mode(), "segmentation_mode"),
)

Chain = list[tuple[str, dict[str, Any]]]


def implied_options(exporter: type[Plugin]) -> tuple[Option, ...]:
    """The options of EXPORT_TRANSFORMS the exporter does not declare itself."""
    own = {opt.name for opt in exporter.options}
    return tuple(opt for opt, _ in EXPORT_TRANSFORMS if opt.name not in own)


def split_export_options(exporter: type[Plugin], options: Mapping[str, Any]
                         ) -> tuple[dict[str, Any], Chain]:
    """The exporter's own options, and the transforms that do the work of the others
    (OptionError for a value that is not valid)."""
    own = {opt.name for opt in exporter.options}
    remaining = dict(options)
    chain: Chain = []
    for opt, transform in EXPORT_TRANSFORMS:
        if opt.name in own or opt.name not in remaining:
            continue
        value = opt.coerce(remaining.pop(opt.name), exporter.name)
        if value is None or value == opt.default:
            continue
        chain.append((transform, {} if opt.type is bool else {opt.name: value}))
    return remaining, chain


def apply_chain(dataset: "Dataset", chain: Iterable[tuple[str, Mapping[str, Any]]],
                ctx: "Context", registry: "Registry") -> "Dataset":
    """Each named transform in order, with its options checked and defaults filled."""
    for name, options in chain:
        transform_cls = registry.transform(name)
        resolved = transform_cls.resolve_options(dict(options))
        dataset = transform_cls().apply(dataset, ctx, **resolved)
    return dataset


def check_chain(chain: Iterable[tuple[str, Mapping[str, Any]]], registry: "Registry") -> None:
    """Refuse an unknown transform or option before anything is read."""
    for name, options in chain:
        registry.transform(name).resolve_options(dict(options))
