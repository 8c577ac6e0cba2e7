"""YOLO label lines: every kind, and the one-line errors for bad ones."""
from __future__ import annotations

import pytest

from cococonv.errors import DataError
from cococonv_plugins.yolo.lines import parse_file, parse_line


def one(text, names=None, kpt_shape=None):
    return parse_line(text, 3, "labels/a.txt", names, kpt_shape)


def test_detect_line():
    line = one("2 0.5 0.5 0.2 0.4")
    assert (line.cls, line.kind, line.values, line.score) == (2, "box", [0.5, 0.5, 0.2, 0.4],
                                                              None)


def test_detect_line_with_confidence():
    line = one("0 0.5 0.5 0.2 0.4 0.87")
    assert line.kind == "box" and line.score == 0.87


def test_segment_line_and_its_confidence():
    line = one("1 0.1 0.1 0.4 0.1 0.4 0.5")
    assert line.kind == "polygon" and len(line.values) == 6 and line.score is None
    scored = one("1 0.1 0.1 0.4 0.1 0.4 0.5 0.25")
    assert scored.kind == "polygon" and scored.score == 0.25 and len(scored.values) == 6


def test_obb_line_is_a_4_point_polygon():
    line = one("4 0.55 0.09 0.35 0.6 0.24 0.5 0.44 -0.0098")
    assert line.kind == "polygon" and len(line.values) == 8


@pytest.mark.parametrize("dims", [2, 3])
def test_pose_line(dims):
    kpts = " 0.1 0.2" + (" 2" if dims == 3 else "")
    line = one("0 0.5 0.5 0.2 0.4" + kpts * 3, kpt_shape=(3, dims))
    assert line.kind == "pose" and line.values == [0.5, 0.5, 0.2, 0.4]
    assert len(line.keypoints) == 3 * dims
    scored = one("0 0.5 0.5 0.2 0.4" + kpts * 3 + " 0.9", kpt_shape=(3, dims))
    assert scored.score == 0.9


def test_class_written_as_float_and_tabs():
    line = one("3.0\t0.5 0.5\t0.2 0.4")
    assert line.cls == 3


def test_blank_line_is_nothing():
    assert one("   ") is None


def test_file_with_crlf_blank_lines_and_no_final_newline():
    data = b"0 0.5 0.5 0.2 0.2\r\n\r\n1 0.1 0.1 0.4 0.1 0.4 0.5\r\n   \r\n2 0.3 0.3 0.1 0.1"
    lines, errors = parse_file(data, "a.txt", 3, None)
    assert errors == [] and [line.cls for line in lines] == [0, 1, 2]
    assert [line.number for line in lines] == [1, 3, 5]


@pytest.mark.parametrize("text, names, kpt_shape, message", [
    ("0 0.5 0.5 0.2", None, None, "4 values, a box needs 5"),
    ("0 0.5 0.5 0.2 0.2 0.1 0.3", 9, (17, 3), "a pose line needs 56"),
    ("7 0.5 0.5 0.2 0.2", 3, None, "class index 7 is past the 3 class names"),
    ("-1 0.5 0.5 0.2 0.2", None, None, "not a class index"),
    ("1000000000 0.5 0.5 0.2 0.2", None, None, "more than the 100000 classes"),
    ("0 0.5 abc 0.2 0.2", None, None, "'abc' is not a number"),
    ("0 0.5 nan 0.2 0.2", None, None, "not a finite number"),
    ("0 0.5 40.0 0.2 0.2", None, None, "coordinate 40.0 is far outside the image"),
    ("0 0.5 0.5 -0.2 0.2", None, None, "negative width or height"),
    ("0 0.5 0.5 0.2 0.2 1.5", None, None, "confidence 1.5 is not between 0 and 1"),
    ("0 0.5 0.5 0.2 0.2 0.1 0.1 7", None, (1, 3), "visibility 7.0"),
])
def test_bad_lines_name_file_and_line(text, names, kpt_shape, message):
    with pytest.raises(DataError) as caught:
        one(text, names, kpt_shape)
    shown = str(caught.value)
    assert shown.startswith("labels/a.txt: line 3: ") and message in shown, shown


def test_a_file_collects_every_bad_line():
    lines, errors = parse_file(b"0 0.5 0.5 0.2 0.2\n0 1\n0 x 0 0 0\n", "a.txt", None, None)
    assert len(lines) == 1
    assert [e.where for e in errors] == ["line 2", "line 3"]


def test_non_utf8_names_the_line():
    _, errors = parse_file(b"0 0.5 0.5 0.2 0.2\n\xff\xfe\n", "a.txt", None, None)
    assert str(errors[0]) == "a.txt: line 2: not UTF-8 text"
