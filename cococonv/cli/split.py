"""`cococonv split`: new subsets by ratios, seeded, optionally stratified or grouped."""
from __future__ import annotations

from typing import Any

import click

from ..splitting import SplitResult, check_grouping, parse_ratios, split_dataset
from .group import cli
from .rewrite import COMMAND, in_out_options, run, split_io


@cli.command("split", **COMMAND)
@in_out_options
@click.option("--ratios", default="train=0.8,val=0.1,test=0.1", show_default=True,
              metavar="NAME=F,...", help="Subsets and their shares (summing to 1).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the shuffle: the same seed gives the same split.")
@click.option("--stratify", type=click.Choice(["none", "label"]), default="none",
              show_default=True, help="Keep each label's share of annotations in every subset.")
@click.option("--group-by", default="item", show_default=True, metavar="HOW",
              help="What stays together: item, folder, sequence (frames named "
                   "clip_0001.jpg...), or attr.NAME (an item attribute).")
@click.option("--subsets", default="", metavar="A,B",
              help="Split only the items of these subsets; the others keep theirs "
                   "(default: all, merged first).")
@click.pass_context
def split_command(ctx: click.Context, ratios: str, seed: int, stratify: str, group_by: str,
                  subsets: str, **values: Any) -> None:
    """Split a dataset into subsets by ratios and print each subset's labels.

    \b
    Example:
      cococonv split -i coco_dir -o out -f coco --ratios train=0.8,val=0.2 --seed 1 \\
          --stratify label --group-by folder
    """
    io, plugin_values = split_io(values)
    shares = parse_ratios(_entries(ratios))  # refused before anything is read
    check_grouping(group_by)
    parts = _entries(subsets)

    def step(dataset: Any, report: Any) -> SplitResult:
        return split_dataset(dataset, ratios=shares, seed=seed, stratify=stratify,
                             group_by=group_by, subsets=parts, report=report)

    run(ctx, io, plugin_values, step)


def _entries(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
