"""replay_tally: the one way a plugin's per-item tallies reach the run's Report."""
from __future__ import annotations

import pytest

from cococonv.report import Report, replay_tally


def test_replay_tally_reads_rows_or_codes_and_keeps_their_order():
    report = Report(quiet=True)
    replay_tally(report, {("lost", "boxes", "no place"): 2,
                          ("approximated", "masks", "merged"): 3,
                          ("lost", "none", "zero counts add nothing"): 0})
    replay_tally(report, {"p": 4, "b": 1},
                 {"p": ("approximated", "polygons", "as RLE"), "b": ("lost", "boxes", "no place")})
    assert dict(report.losses) == {("boxes", "no place"): 3}
    assert list(report.approximations.items()) == [(("masks", "merged"), 3),
                                                    (("polygons", "as RLE"), 4)]


def test_replay_tally_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="'approx'"):
        replay_tally(Report(quiet=True), {("approx", "masks", "merged"): 1})
