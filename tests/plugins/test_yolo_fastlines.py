"""The compiled label parser (``_fasttext.labels``) gives the shapes the Python parser
gives, value for value, or declines (None) so the Python parser names the error: it never
accepts a file the Python parser refuses, and it takes the usual files itself."""
from __future__ import annotations

import struct
from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cococonv.context import Context
from cococonv.raster import speedups
from cococonv_plugins.yolo.lines import parse_file
from cococonv_plugins.yolo.names import MAX_CLASSES
from cococonv_plugins.yolo.objects import annotations, row_annotations

fast = speedups.fasttext()
pytestmark = pytest.mark.skipif(fast is None, reason="cococonv.raster._fasttext is not built")


def _both(data: bytes, names: int | None, width: int = 640, height: int = 480):
    """(compiled shapes or None, Python shapes, Python errors) of one label file."""
    lines, errors = parse_file(data, "a.txt", names, None)
    python = annotations(lines, (height, width), None, Context(), set(), [0] * len(lines))
    parsed = fast.labels(data, -1 if names is None else names, MAX_CLASSES, width, height)
    if parsed is None:
        return None, python, errors
    rows, coords = parsed
    return row_annotations(rows, coords, set(), [0] * len(rows)), python, errors


def _same(a: list, b: list) -> bool:
    """Equal shapes, floats compared by their bits (-0.0 is not 0.0 here)."""
    def bits(shape):
        return type(shape), repr({f.name: getattr(shape, f.name) for f in fields(shape)})
    return [bits(s) for s in a] == [bits(s) for s in b]


NUMBERS = ["0.5", ".5", "5e-1", "5E-1", "+0.5", "0.50000", "1.", "0", "-0", "-0.0", "1",
           "0.9403593750", "0.12345678901234567890123", "1234567890123456789e-19",
           "0.000000000000000000000001", "1e-30", "9007199254740993e-16", "0.1e0"]


def test_usual_files_take_the_compiled_path_with_the_same_shapes():
    data = (b"0 0.5 0.5 0.2 0.4\r\n\n3 0.1 0.2 0.3 0.4 0.5 0.6 0.9\n"
            b"\t2 0.25 0.25 0.5 0.5 0.75\n1 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9")
    compiled, python, errors = _both(data, 4)
    assert compiled is not None and not errors
    assert _same(compiled, python) and len(compiled) == 4
    assert compiled[1].attributes == {"score": 0.9} and compiled[2].attributes == \
        {"score": 0.75}
    assert _both(b"", 4)[0] == [] and _both(b"\n\r\n  \n", None)[0] == []


@pytest.mark.parametrize("token", NUMBERS)
def test_numbers_read_as_float_reads_them(token):
    data = f"0 {token} 0.5 0.25 {token}\n".encode()
    compiled, python, errors = _both(data, None, 1, 1)
    assert compiled is not None and not errors and _same(compiled, python)


@pytest.mark.parametrize("data", [
    b"0 0.5 0.5 0.2\n",                 # 4 values
    b"3 0.5 0.5 0.2 0.2\n",             # class past the names
    b"1.5 0.5 0.5 0.2 0.2\n",           # not an index
    b"-1 0.5 0.5 0.2 0.2\n",
    b"0 0.5 0.5 -0.2 0.2\n",            # negative width
    b"0 2.5 0.5 0.2 0.2\n",             # far outside the image
    b"0 0.5 0.5 0.2 0.2 1.5\n",         # confidence above 1
    b"0 0.5 0.5 0.2 0.2 x\n",
    b"0 nan 0.5 0.2 0.2\n", b"0 inf 0.5 0.2 0.2\n", b"0 1e400 0.5 0.2 0.2\n",
    b"0 1_0 0.5 0.2 0.2\n",             # float() takes it: the Python parser decides
    b"\xef\xbb\xbf0 0.5 0.5 0.2 0.2\n",  # a BOM
    b"0 0.5 0.5 0.2 0.2\x0b\n",         # a vertical tab (a line break to Python)
    b"0 0.5\xc2\xa00.5 0.2 0.2\n",      # a no-break space
    b"0 0.5 0.5 0.2 0.2\n\xff\n",
    b"0 . 0.5 0.2 0.2\n", b"0 e5 0.5 0.2 0.2\n", b"0 5e 0.5 0.2 0.2\n",
    b"0 0.5.5 0.5 0.2 0.2\n", b"0 -+5 0.5 0.2 0.2\n", b"0 0.5- 0.5 0.2 0.2\n",
])
def test_anything_unusual_is_left_to_the_python_parser(data):
    compiled, _python, _errors = _both(data, 1)
    assert compiled is None


def test_a_long_line_is_left_to_the_python_parser():
    values = " ".join(["0.5"] * 200_001)
    assert fast.labels(f"0 {values}\n".encode(), -1, MAX_CLASSES, 10, 10) is None
    values = " ".join(["0.5"] * 199_999)  # 200,001 tokens with the class and a confidence
    rows, coords = fast.labels(f"0 {values} 0.25\n".encode(), -1, MAX_CLASSES, 10, 10)
    assert rows == [(0, True, None, 200_000)] and len(coords) == 8 * 200_000
    rows, _ = fast.labels(f"0 {values}\n".encode(), -1, MAX_CLASSES, 10, 10)
    assert rows == [(0, True, 0.5, 199_998)]
    assert fast.labels(f"{MAX_CLASSES} 0.5 0.5 0.1 0.1".encode(), -1, MAX_CLASSES, 1, 1) \
        is None


def test_coordinates_come_packed_in_pixels():
    rows, coords = fast.labels(b"2 0.5 0.25 0.5 0.5", 3, MAX_CLASSES, 640, 480)
    assert rows == [(2, False, None, 4)]
    assert struct.unpack("4d", coords) == ((0.5 - 0.25) * 640, (0.25 - 0.25) * 480,
                                           0.5 * 640, 0.5 * 480)


tokens = st.one_of(
    st.sampled_from(NUMBERS + ["2", "-0.6", "1.6", "x", "", "1e5", "0.5e-400", "+", "."]),
    st.floats(-0.6, 1.6).map(repr),
    st.floats(-0.6, 1.6).map(lambda v: f"{v:.10f}"),
    st.integers(0, 3).map(str),
    st.decimals(-1, 2, places=25).map(str))
lines = st.lists(tokens, min_size=0, max_size=12).map(" ".join)
ends = st.sampled_from(["\n", "\r\n", "\r", " \n", "\t\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3).map(str), lines, ends), max_size=6),
       st.sampled_from([None, 2, 4]), st.integers(1, 5000), st.integers(1, 5000))
def test_any_file_gives_the_python_shapes_or_is_declined(rows, names, width, height):
    data = "".join(f"{cls} {line}{end}" for cls, line, end in rows).encode()
    compiled, python, errors = _both(data, names, width, height)
    if compiled is not None:
        assert not errors and _same(compiled, python)
    assert compiled is not None or errors or any(
        not t.replace(".", "").replace("-", "").isdigit() for t in data.decode().split())
