"""The VOC XML's two serialisations agree: the string writer gives lxml's bytes for every
document it takes, and hands the rest (CR, characters XML cannot hold, odd tags) to lxml."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv_plugins.voc import xml_writer as W

TEXT = st.text(st.sampled_from(["a", " ", "&", "<", ">", "\r", "\n", "\t", "\x01", "\x0b",
                                "é", "\u2028", "\ud800", "\ufffe", "7", "."]), max_size=6)
LEAF = st.tuples(st.sampled_from(["name", "pose", "x.y", "_t", "1bad", "a b"]),
                 st.one_of(TEXT, st.none(), st.integers(-5, 5), st.floats(-10, 10)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LEAF, st.tuples(st.just("object"), st.lists(LEAF, max_size=4))),
                max_size=5))
def test_voc_string_writer_gives_lxml_bytes_or_falls_back(children):
    root = ("annotation", children)
    try:
        text = W._as_text(root)
    except W._Fallback:
        return  # lxml writes it (or refuses it: write_xml's DataError)
    assert text.encode("utf-8") == W._as_tree(root)


def test_voc_string_writer_falls_back_on_a_carriage_return():
    root = ("annotation", [("object", [("name", "cat\r")])])
    try:
        W._as_text(root)
    except W._Fallback:
        pass
    else:
        raise AssertionError("a CR must go through lxml (&#13;)")


@pytest.mark.parametrize(("value", "text"), [
    (True, "true"), (0.1, "0.1"), (3, "3"), ("é", "é"), (None, ""),
    ([1, "a"], '[1,"a"]'), ({"k": [1.5]}, '{"k":[1.5]}')])
def test_attribute_values_are_written_as_text_a_reader_takes(value, text):
    """A null attribute wrote Python's "None" and a list its repr ("[1, 'a']")."""
    from cococonv_plugins.voc.xmlsafe import format_value

    assert format_value(value) == text
