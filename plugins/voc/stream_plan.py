"""A stream's VOC plan, made without holding its items (docs/big-datasets.md).

The first walk records each item's names (stream_ids.py) and surveys it (plan_survey.py),
then the names are checked as naming.py checks a Dataset's. Only when that drops an item
(a bad record under --on-error skip|warn) is the survey made again, over a walk without
it, so that what the plan decides is what the kept items say. The plan's ``items`` is the
next walk: each kept item mapped, its objects gathered and numbered as it comes, shared by
the engine and ``finish`` (``TwinWalk``). Walks: two, three with a dropped item.
"""
from __future__ import annotations

from collections.abc import Iterator

from cococonv.model import Source
from cococonv.twinwalk import TwinWalk

from .export_plan import ItemUnits, Planner, VocPlan, number_objects
from .parts import gather_units
from .stream_ids import KeptItems, StreamIds


def plan_stream(planner: Planner, source: Source, out_dir: str, *,
                explicit: bool) -> VocPlan:
    """The plan of a stream (any Source that is no Dataset); its ``items`` walk it again."""
    opts = planner.opts
    names = StreamIds(save_images=opts["save_images"], image_ext=opts["image_ext"])
    survey = planner.survey(keep_units=False)
    for item in source:
        names.add(item)
        survey.add(item)
    mapper, dropped = names.check(planner.report)
    count = len(names.ids) - len(dropped)
    del names
    kept = KeptItems(source, mapper, dropped)
    if dropped:
        survey = planner.survey(keep_units=False)
        for item in kept:
            survey.add(item)
    else:  # the survey saw the subsets as the source names them
        survey.subsets = {mapper.subset_names.get(s, s): None for s in survey.subsets}
    plan = planner.plan(out_dir, survey, explicit=explicit)
    plan.items = _Entries(plan, kept, planner.declared_parts, count)
    return plan


class _Entries(TwinWalk[ItemUnits]):
    """The plan's items of a stream: one walk shared by the engine and ``finish``, with
    the number of items for the progress bar."""

    def __init__(self, plan: VocPlan, kept: KeptItems, declared: dict[str, set[str]],
                 count: int):
        super().__init__(lambda: _walk(plan, kept, declared))
        self.count = count

    def __len__(self) -> int:
        return self.count


def _walk(plan: VocPlan, kept: KeptItems, declared: dict[str, set[str]]
          ) -> Iterator[ItemUnits]:
    names = plan.names
    for item in kept:
        units = gather_units(item.annotations, names, declared)
        yield ItemUnits(item, units, number_objects(plan, item, units))
