"""ImageSets list lines: ids with spaces, flags and object indices read from the line's end."""
from __future__ import annotations

import pytest

from cococonv_plugins.voc.lists import plain_id, split_action, split_flag


@pytest.mark.parametrize("line, folder, expected", [
    ("2008_000008", "Main", "2008_000008"),
    ("IMG 0001", "Main", "IMG 0001"),
    ("IMG 0001", "Segmentation", "IMG 0001"),
    ("2008_000008 1", "Layout", "2008_000008"),
    ("2008_000008\t2", "Action", "2008_000008"),
    ("c d", "Layout", "c d"),
])
def test_plain_list_line_is_one_id(line, folder, expected):
    assert plain_id(line, folder) == expected


def test_flag_lines_keep_spaces_in_the_id():
    assert split_flag("2008_000008 -1") == ("2008_000008", -1)
    assert split_flag("c d  1") == ("c d", 1)
    assert split_flag("c d") is None
    assert split_flag("c") is None


def test_action_lines_read_index_and_flag_from_the_end():
    assert split_action("2010_006088 1 -1") == ("2010_006088", 1, -1)
    assert split_action("c d 2 1") == ("c d", 2, 1)
    assert split_action("c d 1") == ("c d", None, 1)
    assert split_action("2010_006088 0") == ("2010_006088", None, 0)
    assert split_action("x y") is None
