"""Base classes for importer, exporter and transform plugins, and their declared options."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import OptionError

if TYPE_CHECKING:
    from .context import Context
    from .model import Dataset, Source
    from .sources import Tree


@dataclass(frozen=True, slots=True)
class Option:
    """One plugin option, declared once: the CLI, the API and the docs all read it.

    ``type`` is ``bool``, ``int``, ``str``, ``float`` or ``list`` (comma-separated on the CLI).
    ``check``, when given, vets a value further and raises OptionError, so a bad one
    (``--image-ext ../x``) fails with the command line, before anything is read.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    short: str | None = None
    check: Callable[[Any], None] | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def coerce(self, value: Any, plugin: str) -> Any:
        """Turn a CLI string or API value into this option's type, or raise OptionError."""
        try:
            value = _coerce(self.type, value)
        except (TypeError, ValueError):
            raise OptionError(f"option {self.flag} of {plugin}: {value!r} is not a valid "
                              f"{self.type.__name__}") from None
        if self.choices is not None:
            value = self._choose(value, plugin)
        if self.check is not None and value is not None:
            self.check(value)
        return value


    def _choose(self, value: Any, plugin: str) -> Any:
        """The declared spelling of each chosen value, matched in any case (``MASK`` is
        ``mask``, as format names are); OptionError for one that is not a choice."""
        by_fold = {choice.casefold(): choice for choice in self.choices or ()}
        chosen = []
        for one in value if isinstance(value, list) else [value]:
            found = by_fold.get(one.casefold()) if isinstance(one, str) else None
            if found is None:
                raise OptionError(f"option {self.flag} of {plugin}: {one!r} is not one of "
                                  f"{', '.join(self.choices or ())}")
            chosen.append(found)
        return chosen if isinstance(value, list) else chosen[0]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(kind: type, value: Any) -> Any:
    if value is None:
        return None
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(value)
    if kind is list:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        raise ValueError(value)
    if kind is int and isinstance(value, bool):
        raise ValueError(value)
    return kind(value)


class Plugin:
    """What every plugin declares: a unique explicit ``name``, a docstring, its options.

    ``namespace`` names the key under which the plugin keeps its private fields in a
    model object's ``extra`` (``extra["cvat"]``); other exporters skip that key and report
    it lost. Core learns the set from the registry, so a third-party format's extras are
    recognised as soon as its plugin is installed. Transforms keep no extras: they leave it
    empty.

    ``source_fields`` names the keys of that namespace that hold values the source gave
    (SA-1B's ``predicted_iou``), as opposed to what the plugin keeps only to write its
    format back the same way; ``"keys.*"`` means every key of the dict under ``keys`` (a
    record's unknown keys). Every other exporter reports each of them lost, by name.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    namespace: ClassVar[str] = ""
    source_fields: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[Option, ...]] = ()

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    @classmethod
    def resolve_options(cls, given: dict[str, Any]) -> dict[str, Any]:
        """Check option names and types and fill defaults; unknown names are an OptionError."""
        known = {opt.name: opt for opt in cls.options}
        unknown = [name for name in given if name not in known]
        if unknown:
            valid = ", ".join(sorted(known)) or "none"
            raise OptionError(f"{cls.kind} {cls.name} has no option {unknown[0]!r} "
                              f"(valid: {valid})")
        resolved = {}
        for name, opt in known.items():
            if name in given and given[name] is not None:
                resolved[name] = opt.coerce(given[name], cls.name)
            else:
                resolved[name] = opt.default
        return resolved


class Importer(Plugin):
    """Reads a source tree into a Dataset (a Source held in memory)."""

    kind: ClassVar[str] = "importer"

    @classmethod
    def detect(cls, tree: "Tree") -> int:
        """How well this format matches the tree: 0 not at all, higher is more specific."""
        return 0

    def load(self, tree: "Tree", ctx: "Context", **options: Any) -> "Dataset":
        raise NotImplementedError


class Exporter(Plugin):
    """Writes a Dataset into an (empty, temporary) output folder.

    Every exporter can target a folder, a ``.zip`` or a tar archive (``.tar``, ``.tar.gz``
    ...). One that lists suffixes in ``single_file_suffixes`` may also target one file with
    such a suffix, or stdout: the folder it wrote must then hold exactly that one file,
    which is moved into place.
    """

    kind: ClassVar[str] = "exporter"
    single_file_suffixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def check_target(cls, target: str) -> None:
        """Refuse, before anything is read, a single-file target this exporter cannot write
        (``-f voc -o x.json``; ``-f coco -o x.xml`` would put JSON in an .xml file)."""
        from .fileio import output_kind

        kind = output_kind(target)
        suffix = os.path.splitext(target)[1].lower()
        if kind in ("dir", "zip", "tar") or (kind == "file" and
                                             suffix in cls.single_file_suffixes):
            return
        if kind == "stdout" and cls.single_file_suffixes:
            return
        can = ["a folder", "an archive (.zip, .tar[.gz])"] + \
            [f"a single {s} file" for s in cls.single_file_suffixes]
        wrote = ", ".join(can[:-1]) + " or " + can[-1]
        asked = "to stdout (-o - needs a single-file format)" if kind == "stdout" else suffix
        raise OptionError(f"{cls.name} writes {wrote}, not {asked}", file=target)

    #: The module-level function ``(plan, item) -> piece`` of the per-item phase
    #: (picklable by name, so the engine can run it in worker processes).
    item_function: ClassVar[Callable[[Any, Any], Any] | None] = None
    #: Why the format cannot hold a label's parent (COCO's supercategory), for the report;
    #: empty for a format that keeps it.
    supercategory_loss: ClassVar[str] = ""
    #: True when one item's work is often cheaper than shipping its result back from a
    #: worker (COCO's records only need copying): the plan then counts in its
    #: ``heavy_items`` the items that need masks, pixels or files, and ``save`` forks
    #: workers only when enough do (``engine.worth_a_pool``). False: always on ``--jobs``.
    light_items: ClassVar[bool] = False
    #: True when ``plan`` and the per-item phase take a stream (a Source that is no
    #: Dataset, walked again for each pass) without holding its items; False: ``api.save``
    #: reads a stream into a Dataset first.
    streams: ClassVar[bool] = False

    def save(self, source: "Source", out_dir: str, ctx: "Context", **options: Any) -> None:
        """Write ``source`` in three phases: ``plan`` here, ``item_function`` per item on
        the run's engine (in item order, in workers with ``--jobs``: ``workers``), ``finish``
        here; then count the supercategories the format dropped (its last report line)."""
        plan = self.plan(source, out_dir, ctx, **options)
        function = type(self).item_function
        if function is None:
            raise NotImplementedError(f"exporter {self.name} has no item_function")
        results = ctx.map(function, plan, self.plan_items(plan, source),
                          jobs=self.workers(plan, ctx))
        self.finish(plan, results, ctx)
        if self.supercategory_loss:
            ctx.report.lost("label supercategories", self.supercategory_loss,
                            source.categories.supercategories())

    def plan(self, source: "Source", out_dir: str, ctx: "Context", **options: Any) -> Any:
        """What the per-item phase needs, decided in the parent: categories, id maps,
        the file layout. Returned as one object the workers inherit."""
        raise NotImplementedError

    def workers(self, plan: Any, ctx: "Context") -> int:
        """The processes the per-item phase runs on: the run's ``--jobs``, or one for
        ``light_items`` when too few items are heavy to pay for forking."""
        from .engine import worth_a_pool

        if self.light_items and not worth_a_pool(ctx.jobs, getattr(plan, "heavy_items", None)):
            return 1
        return ctx.jobs

    def plan_items(self, plan: Any, source: "Source") -> Any:
        """What the per-item phase walks: the source's items unless the plan says else."""
        items = getattr(plan, "items", None)
        return source if items is None else items

    def finish(self, plan: Any, results: Any, ctx: "Context") -> None:
        """Consume the per-item results (in item order) and write the aggregate files."""
        raise NotImplementedError


class Transform(Plugin):
    """A function from dataset to dataset."""

    kind: ClassVar[str] = "transform"

    def apply(self, dataset: "Dataset", ctx: "Context", **options: Any) -> "Dataset":
        raise NotImplementedError
