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


def test_a_layout_list_line_naming_an_annotation_whole_is_that_id(tmp_path):
    """F47: an id ending in a number (``x 1``) listed in ImageSets/Layout is that item, not a
    phantom ``x`` with object index 1; a real index after another id is still dropped."""
    import cococonv
    from tests.builders import voc_xml, write_voc

    person = ("<object><name>person</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax>"
              "<ymax>9</ymax></bndbox><part><name>head</name><bndbox><xmin>2</xmin>"
              "<ymin>2</ymin><xmax>4</xmax><ymax>4</ymax></bndbox></part></object>")
    root = write_voc(tmp_path / "voc", {"x 1": voc_xml(person), "y": voc_xml(person)},
                     lists={"Layout/train.txt": "x 1\ny 1\n"})
    dataset = cococonv.load(str(root), "voc_layout")
    assert sorted(item.id for item in dataset) == ["x 1", "y"]
