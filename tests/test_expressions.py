"""The filter language: precedence, every operator, every error with its column, limits."""
from __future__ import annotations

import pytest

from cococonv.expressions import MAX_DEPTH, MAX_LENGTH, MAX_TUPLE, ExpressionError
from cococonv.filtering import ANNOTATION_SCOPE, ITEM_SCOPE, AnnotationSubject, ItemSubject
from cococonv.expressions import compile_expression
from cococonv.model import Bbox, Categories, Image, Item, Mask, Polygon


def _subject(ann=None, **item_fields):
    cats = Categories()
    cats.add("car")
    cats.add("bus")
    item = Item(id="a", subset="train", image=Image("x/a.jpg", size=(480, 640)),
                attributes={"weather": "rain"}, **item_fields)
    ann = ann if ann is not None else Bbox(label=0, x=1, y=2, w=40, h=30,
                                           attributes={"occluded": True, "score": 0.5})
    item.annotations.append(ann)
    return AnnotationSubject(item, cats).moveto(ann)


def holds(text, subject=None, scope=ANNOTATION_SCOPE):
    return compile_expression(text, scope)(subject if subject is not None else _subject())


@pytest.mark.parametrize("text, expected", [
    ('label == "car"', True), ('label != "car"', False), ("area == 1200", True),
    ("area < 1200", False), ("area <= 1200", True), ("area > 1199", True),
    ("area >= 1201", False), ("w == 40 and h == 30 and x == 1 and y == 2", True),
    ('label in ("car", "bus")', True), ('label not in ("car",)', False),
    ('label in ()', False), ("area > 32*32", True), ("area == 40*30 + 0", True),
    ("w - h == 10", True), ("w / h > 1.3", True), ("-w == -40", True),
    ("1 + 2 * 3 == 7", True), ("(1 + 2) * 3 == 9", True), ("10 - 2 - 3 == 5", True),
    ("8 / 2 / 2 == 2", True), ("true or false and false", True),
    ("(true or false) and false", False), ("not false and false", False),
    ("not (false and false)", True), ("not not true", True),
    ("attr.occluded == true", True), ('attr["occluded"]', True), ("attr.score > 0.4", True),
    ("attr.missing == null", True), ("attr.missing > 1", False), ("not attr.missing", True),
    ("attr.score == true", False), ('attr.occluded == "true"', False),
    ("is_crowd == false", True), ('kind == "bbox"', True), ('kind in ("mask", "polygon")', False),
    ('subset == "train" and image == "x/a.jpg"', True),
    ("image_width == 640 and image_height == 480", True), ("annotations == 1", True),
    ('item == "a"', True), ("group == 0", True), ("1e3 == 1000 and .5 == 0.5", True),
    ("'it\\'s' == \"it's\"", True), ("area / 0 == null", True), ("1 / 0 > 1", False),
])
def test_each_operator_and_precedence(text, expected):
    assert holds(text) is expected


def test_item_scope_reads_item_fields_and_attributes():
    subject = ItemSubject(Item(id="v/1", subset="val", attributes={"weather": "rain"}))
    assert holds('id == "v/1" and subset == "val" and attr.weather == "rain"', subject,
                 ITEM_SCOPE)
    assert holds("image_width == null and annotations == 0", subject, ITEM_SCOPE)


def test_area_of_each_shape():
    assert holds("area == 6", _subject(Polygon(label=1, points=[0, 0, 4, 0, 4, 3])))
    mask = Mask(label=0, rle={"size": [4, 4], "counts": [5, 3, 8]})
    assert holds('area == 3 and kind == "mask" and h == 3', _subject(mask))
    declared = Bbox(label=0, w=2, h=2, declared_area=99.0)
    assert holds("area == 99 and w == 2", _subject(declared))


ERRORS = [
    ('label == "car" and', 19, "expected a value after 'and'"),
    ("lable == 1", 1, "unknown name 'lable' (did you mean 'label'?"),
    ("label > 3", 9, "compares a string with a number"),
    ("area < 1 < 2", 10, "comparisons do not chain"),
    ('kind == "box"', 9, "kind is never 'box'"),
    ("(area > 1", 10, "expected ')' to close the '(' of column 1"),
    ("area = 3", 6, "unexpected character '=' (use == to compare)"),
    ("area > 1 && true", 10, "unexpected character '&' (use 'and')"),
    ('label == "car', 10, 'the string opened here is not closed with "'),
    ('label == "c\\q"', 12, "unknown escape \\q"),
    ("area", 1, "the expression is a number, not a condition"),
    ("", 1, "the expression is empty"),
    ("attr.", 6, "expected an attribute name after 'attr.'"),
    ("attr[3]", 6, "expected a quoted attribute name"),
    ("attr == 1", 6, "'attr' needs an attribute name"),
    ("not in (1)", 5, "expected a value, found the keyword 'in'"),
    ("area in 3", 9, "expected '(' and a list of values after 'in'"),
    ("area in (1 2)", 12, "expected ',' or ')' in the list opened at column 9"),
    ("area not 3", 6, "unexpected 'not' after a complete expression"),
    ("true false", 6, "unexpected 'false' after a complete expression"),
    ('-label == 1', 2, "'-' needs a number, not a string"),
    ("area + true > 1", 8, "'+' needs numbers, not a bool"),
    ("area and true", 1, "'and' needs conditions on both sides, not a number"),
    ("not area", 5, "'not' needs a condition, not a number"),
    ("is_crowd < true", 10, "'<' orders numbers or strings, not a bool"),
    ("area > )", 8, "expected a value, found ')'"),
]


@pytest.mark.parametrize("text, column, message", ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_every_error_names_its_column(text, column, message):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, ANNOTATION_SCOPE)
    error = caught.value
    assert str(error).startswith(f"--annotations: column {column}: ")
    assert message in str(error)
    assert error.column == column and error.exit_code == 2
    shown, caret = error.caret().split("\n")
    assert caret.index("^") - 2 == column - 1 and shown == "  " + text


def test_unknown_name_in_items_scope_lists_its_names():
    with pytest.raises(ExpressionError, match=r"--items: column 1: unknown name 'label'"):
        compile_expression('label == "car"', ITEM_SCOPE)


def test_limits_of_length_depth_and_lists():
    with pytest.raises(ExpressionError, match="above the limit of 4000"):
        compile_expression("area > 1 or " * (MAX_LENGTH // 10) + "true", ANNOTATION_SCOPE)
    with pytest.raises(ExpressionError, match="nests deeper than 64"):
        compile_expression("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1),
                           ANNOTATION_SCOPE)
    with pytest.raises(ExpressionError, match="nests deeper than 64"):
        compile_expression("+".join(["1"] * (MAX_DEPTH + 2)) + " > 0", ANNOTATION_SCOPE)
    with pytest.raises(ExpressionError, match="nests deeper than 64"):
        compile_expression("not " * (MAX_DEPTH + 1) + "true", ANNOTATION_SCOPE)
    with pytest.raises(ExpressionError, match="more than 1000 values"):
        compile_expression("area in (" + ",".join(["1"] * (MAX_TUPLE + 1)) + ")",
                           ANNOTATION_SCOPE)
    # A long flat chain of one operator is one level deep.
    chain = " or ".join(f"area == {n}" for n in range(200))
    assert compile_expression(chain, ANNOTATION_SCOPE)(_subject()) is False


def test_caret_escapes_controls_and_windows_long_text():
    error = pytest.raises(ExpressionError, compile_expression, "\tarea =", ANNOTATION_SCOPE).value
    shown, caret = error.caret().split("\n")
    assert shown == "  \\tarea =" and caret.index("^") == len("  \\tarea ")
    long = "area > 1 and " * 20 + "area >"
    error = pytest.raises(ExpressionError, compile_expression, long, ANNOTATION_SCOPE).value
    shown, caret = error.caret().split("\n")
    assert shown.startswith("  ...") and len(shown) < 90 and caret.endswith("^")


TOKENS = ['label', 'area', 'kind', 'attr', '.', '[', ']', '"car"', "'x", '3', '1.5', '(', ')',
          ',', 'and', 'or', 'not', 'in', '==', '!=', '<', '>=', '+', '-', '*', '/', 'true',
          'null', '=', '&', '\\', 'w', 'is_crowd', ' ']


def test_any_token_soup_parses_or_fails_with_a_column():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(TOKENS), max_size=25))
    def check(parts):
        text = " ".join(parts)
        try:
            expression = compile_expression(text, ANNOTATION_SCOPE)
        except ExpressionError as error:
            assert 1 <= error.column <= len(text) + 1
            assert "^" in error.caret()
            return
        assert expression(_subject()) in (True, False)
    check()
