"""The public Python API: detect, load, transform, save, convert, info.

The CLI is a thin layer over these functions; they share its defaults because both read
each plugin's declared options.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from . import engine
from .casenames import refuse_case_pairs, warn_case_pairs
from .chain import apply_chain, check_chain, split_export_options
from .context import Context
from .errors import CococonvError, DataError, OptionError, OutOfMemoryError
from .fileio import atomic_output, output_kind
from .model import Dataset, Source
from .registry import Registry, default_registry
from .report import Report, Written, check_strict
from .inputs import open_tree
from .outputcheck import check_named_files, check_path, check_separate
from .sources import Tree
from .staging import remove_stale_for
from .winnames import warn_windows_members

#: A transform given as a function: ``(dataset, context) -> dataset``.
TransformStep = Callable[[Dataset, Context], Dataset]

#: What an out-of-memory line adds (docs/limits.md has the measurements).
MEMORY_HINT = ("the dataset needs more memory than this machine has (a COCO file takes "
               "about 27 times its size once read; docs/limits.md)")


def _registry(registry: Registry | None) -> Registry:
    return registry if registry is not None else default_registry()


def detect(path: str | Tree, *, registry: Registry | None = None) -> list[tuple[str, int]]:
    """Formats whose importer matches ``path``, best match first, as ``(name, score)``."""
    return _detect(open_tree(path) if isinstance(path, str) else path, _registry(registry))[0]


def _detect(tree: Tree, reg: Registry) -> tuple[list[tuple[str, int]], list[CococonvError]]:
    """The matches, and the errors of importers that could not read the tree to tell."""
    found, errors = [], []
    for name, importer in reg.importers.items():
        try:
            score = importer.detect(tree)
        except CococonvError as err:
            score = 0
            errors.append(err)
        if score > 0:
            found.append((name, score))
    found.sort(key=lambda pair: (-pair[1], pair[0]))
    return found, errors


def load(path: str | Tree, format: str | None = None, *,
         report: Report | Context | None = None, registry: Registry | None = None,
         stdin: BinaryIO | None = None, jobs: int | None = None, stream: bool = False,
         **options: Any) -> Source:
    """Read a dataset from a folder, a .zip or tar archive, a single file or ``-`` (stdin).

    ``format`` is an importer name (``coco``, ``coco_instances``, ``voc``, ``cvat`` ...); when
    omitted the best detected format is used. Options are the importer's (see
    ``cococonv formats NAME``); an unknown option raises OptionError. ``jobs`` is the
    number of worker processes for per-item work (None: one per usable CPU); the result
    is the same for every value.

    An importer may read item by item: a Source whose items are produced as they are
    walked (``segment_anything``, COCO's ``--streaming``). With ``stream`` such a Source
    is returned as it is, to be walked (each walk reads the files again) and never
    indexed; without, its items are read here into a Dataset, so bad records are
    reported before this returns.
    """
    reg = _registry(registry)
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    report = ctx.report
    tree = open_tree(path, stdin=stdin) if isinstance(path, str) else path
    if format is None:
        matches, errors = _detect(tree, reg)
        if not matches and errors:
            raise errors[0]  # why the input could not be read (a broken member, bad JSON)
        if not matches:
            # The data is at fault (exit 1), not the command line: a mistyped -if NAME is
            # the registry's UnknownFormatError (exit 2).
            raise DataError("no known dataset format found here; pass the format with -if "
                            "(see `cococonv formats`)", file=tree.name)
        format = matches[0][0]
        report.info(f"detected format: {format}")
    importer_cls = reg.importer(format)
    resolved = importer_cls.resolve_options(options)
    try:
        source = importer_cls().load(tree, ctx, **resolved)
        if stream or isinstance(source, Dataset):
            return source
        report.info("the stream is read into memory: this command needs the whole dataset")
        return in_memory(source)
    except MemoryError:
        engine.stop_all()
    except BaseException:
        # an importer that failed while consuming ctx.map leaves its generator (and the pool
        # behind it) alive in the traceback: its workers go now, not at collection time
        engine.stop_all()
        raise
    # leaving the handler freed the half-read dataset before the message is made
    raise OutOfMemoryError(f"memory ran out reading it; {MEMORY_HINT}", file=tree.name)


def in_memory(source: Source) -> Dataset:
    """``source`` as a Dataset (itself when it is one; else every item read now)."""
    if isinstance(source, Dataset):
        return source
    return Dataset(source.categories, source, source.meta)


def transform(dataset: Dataset, name: str, *, report: Report | Context | None = None,
              registry: Registry | None = None, **options: Any) -> Dataset:
    """Apply one named transform plugin and return the resulting dataset."""
    reg = _registry(registry)
    ctx = Context.of(report, jobs=1, namespaces=reg.namespaces)
    return apply_chain(dataset, [(name, options)], ctx, reg)


def save(dataset: Source, format: str, path: str, *, overwrite: bool = False,
         report: Report | Context | None = None, registry: Registry | None = None,
         stdout: BinaryIO | None = None, jobs: int | None = None, strict: bool = False,
         **options: Any) -> Report:
    """Write ``dataset`` with exporter ``format`` to a folder, a ``.zip`` or tar archive, a
    single file or ``-``.

    Output goes to a temporary sibling first and is moved into place only when complete; a
    non-empty target is refused unless ``overwrite``. ``jobs`` is the number of worker
    processes (None: one per usable CPU); the bytes written are the same for every value.
    ``segmentation_mode`` and ``crop_covered`` work for every format: where the exporter
    has no such option, their transform runs first (``cococonv.chain``), on a Dataset.
    ``strict``: raise LossError, writing nothing, when the run lost a value or skipped a
    record. Returns the report of what was lost; its ``written`` says what was written.
    """
    reg = _registry(registry)
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    report = ctx.report
    check_path(path, "output")
    exporter_cls = reg.exporter(format)
    exporter_cls.check_target(path)
    options, implied = split_export_options(exporter_cls, options)
    resolved = exporter_cls.resolve_options(options)
    check_chain(implied, reg)
    if not isinstance(dataset, Dataset) and not exporter_cls.streams:
        report.info(f"the stream is read into memory: exporter {format} needs every item")
        dataset = report.dataset = Dataset(dataset.categories, dataset, dataset.meta)
    if implied:
        dataset = report.dataset = apply_chain(in_memory(dataset), implied, ctx, reg)
    if output_kind(path) == "dir":
        refuse_case_pairs(dataset, path)
    try:
        with atomic_output(path, overwrite=overwrite, stdout=stdout) as work:
            exporter_cls().save(dataset, work, ctx, **resolved)
            if output_kind(path) in ("zip", "tar"):
                warn_windows_members(work, report)
                warn_case_pairs(work, report)
            if strict:
                check_strict(report)
            written = Written.of(dataset, work, path)
        report.written = written
        return report
    except MemoryError:
        pass
    finally:
        ctx.close()
    raise OutOfMemoryError(f"memory ran out writing it; {MEMORY_HINT}", file=path)


def convert(source: str, target: str, *, output_format: str, input_format: str | None = None,
            input_options: Mapping[str, Any] | None = None,
            output_options: Mapping[str, Any] | None = None,
            transforms: Iterable[tuple[str, Mapping[str, Any]] | TransformStep] = (),
            overwrite: bool = False, report: Report | None = None,
            registry: Registry | None = None, stdin: BinaryIO | None = None,
            stdout: BinaryIO | None = None, jobs: int | None = None,
            strict: bool = False) -> Report:
    """Import, transform and export in one call; returns the run's report (``strict``: as
    for :func:`save`).

    ``transforms`` are ``(name, options)`` pairs of transform plugins, in order, or
    functions ``(dataset, context) -> dataset`` (``cococonv filter`` passes one to keep
    its counts).

    ``jobs`` is the number of worker processes for per-item work, reading and writing
    (None: one per usable CPU); the output is the same for every value.
    """
    reg = _registry(registry)
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    report = ctx.report
    check_separate(source, target)
    exporter_cls = reg.exporter(output_format)
    exporter_cls.check_target(target)  # fail on the command line before reading
    transforms = list(transforms)
    check_export_options(exporter_cls, output_options or {}, transforms, reg)
    remove_stale_for(target)
    tree = open_tree(source, stdin=stdin)
    dataset = load(tree, input_format, report=ctx, registry=reg, stream=True,
                   **dict(input_options or {}))
    check_separate(source, target, reads=tree.read_folders())
    if transforms:  # transforms take a Dataset; without them a Source streams through
        dataset = in_memory(dataset)
    check_named_files(source, target, dataset, overwrite=overwrite)
    dataset = apply_chain(dataset, transforms, ctx, reg)
    report.dataset = dataset
    return save(dataset, output_format, target, overwrite=overwrite, report=ctx,
                registry=reg, stdout=stdout, strict=strict, **dict(output_options or {}))


def check_export_options(exporter_cls: Any, options: Mapping[str, Any],
                         transforms: Iterable[tuple[str, Mapping[str, Any]]],
                         registry: Registry) -> None:
    """Refuse a bad exporter option, transform or transform option before reading."""
    own, implied = split_export_options(exporter_cls, options)
    exporter_cls.resolve_options(own)
    check_chain([*transforms, *implied], registry)


def info(dataset: Dataset) -> dict[str, Any]:
    """Counts of items, annotations by kind, and labels, per subset."""
    subsets: dict[str, dict[str, Any]] = {}
    for item in dataset:
        entry = subsets.setdefault(item.subset, {"items": 0, "annotations": {}})
        entry["items"] += 1
        for ann in item.annotations:
            entry["annotations"][ann.kind] = entry["annotations"].get(ann.kind, 0) + 1
    return {
        "items": len(dataset),
        "subsets": subsets,
        "labels": [label.name for label in dataset.categories.labels],
        "keypoint_schemas": len(dataset.categories.keypoints),
    }


def merge(datasets: Iterable[Source], *, report: Report | None = None,
          names: Iterable[str] | None = None, mode: str = "union",
          on_conflict: str = "union", tolerance: float | None = None) -> Dataset:
    """Combine datasets into a new one (docs/commands/merge.md; inputs are not modified).

    Labels are unified by name; items matched by (subset, image file name); image,
    annotation and category ids kept where they do not clash and reassigned where they
    do, each reassignment counted in ``report`` (``cococonv.merging.Merger`` gives the
    list). ``mode``: ``union`` (every item), ``intersect`` (items of every input),
    ``exact`` (DataError unless every input holds the same items). ``on_conflict``:
    ``fail``, ``first``, ``last`` or ``union`` for an item inputs give different sizes
    or annotations. Repeated annotations (geometry within ``tolerance`` pixels) are kept
    once. ``datasets`` is consumed one at a time: a generator that loads them merges many
    inputs in the memory of the result plus one input.
    """
    from .merging import DEFAULT_TOLERANCE, merge_datasets
    return merge_datasets(datasets, report, names=names, mode=mode, on_conflict=on_conflict,
                          tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance)[0]


def import_source(root: str, path: str, format: str | None = None, *,
                  report: Report | None = None, registry: Registry | None = None,
                  jobs: int | None = None, **options: Any) -> tuple[str, Dataset]:
    """Check a dataset by loading it once, then remember it as a source of a project.

    Returns the format (detected when not given) and the loaded dataset.
    """
    from .project import add_source, open_project

    project = open_project(root)
    reg = _registry(registry)
    if format is None:
        matches = detect(path, registry=reg)
        if not matches:
            raise DataError("no known dataset format found here; pass -f", file=path)
        format = matches[0][0]
    dataset = load(path, format, report=report, registry=reg, jobs=jobs, **options)
    add_source(project, path, format, options)
    return format, dataset


def load_project(root: str, *, report: Report | Context | None = None,
                 registry: Registry | None = None, jobs: int | None = None,
                 on_conflict: str = "union", target: str | None = None,
                 overwrite: bool = False) -> Dataset:
    """Load every source of a project folder and merge them as ``merge`` does
    (``on_conflict`` the same); what ``stats``, ``validate`` and ``diff`` read for ``-p``.

    ``target``: the output a run will write, checked to be apart from every source (and
    from the files a source names, unless ``overwrite``) as each is read.
    """
    from .project import open_project

    reg = _registry(registry)
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    project = open_project(root)
    if not project.sources:
        raise DataError("the project has no sources yet (use `cococonv import`)", file=root)
    datasets = []
    for source in project.sources:
        if target is not None:
            check_separate(source.path, target)
        try:
            tree = open_tree(source.path)
            datasets.append(load(tree, source.format, report=ctx, registry=reg,
                                 **source.options))
        except CococonvError as err:
            raise err.located(file=source.path)
        if target is not None:
            check_separate(source.path, target, reads=tree.read_folders())
            check_named_files(source.path, target, datasets[-1], overwrite=overwrite)
    if len(datasets) == 1:
        return datasets[0]
    return merge(datasets, report=ctx.report, on_conflict=on_conflict,
                 names=[source.path for source in project.sources])


def export_project(root: str, format: str, target: str, *, overwrite: bool = False,
                   report: Report | None = None, registry: Registry | None = None,
                   stdout: BinaryIO | None = None, jobs: int | None = None,
                   transforms: Iterable[tuple[str, Mapping[str, Any]]] = (),
                   on_conflict: str = "union", strict: bool = False,
                   **options: Any) -> Report:
    """Load every source of a project folder, merge them as ``merge`` does (``on_conflict``
    the same), apply ``transforms`` (name, options) in order, and save the result
    (``strict``: as for :func:`save`)."""
    reg = _registry(registry)
    ctx = Context.of(report, jobs=jobs, namespaces=reg.namespaces)
    report = ctx.report
    transforms = list(transforms)
    reg.exporter(format).check_target(target)
    check_export_options(reg.exporter(format), options, transforms, reg)
    remove_stale_for(target)
    merged = load_project(root, report=ctx, registry=reg, on_conflict=on_conflict,
                          target=target, overwrite=overwrite)
    report.dataset = apply_chain(merged, transforms, ctx, reg)
    return save(report.dataset, format, target, overwrite=overwrite, report=ctx,
                registry=reg, stdout=stdout, strict=strict, **options)


__all__ = ["detect", "load", "transform", "save", "convert", "info", "merge",
           "import_source", "load_project", "export_project", "check_separate", "check_path"]
