"""The nodes of the filter language (cococonv.expressions): each checks its operands'
static types and returns a closure computing its value.

Runtime values are None (null: absent, or not a number/string/bool), bool, float or str.
A comparison of values of different types is false (``!=`` true), ordering compares
numbers with numbers and strings with strings, arithmetic on anything but two numbers
(or division by zero) gives null, and a condition holds only when it is exactly true.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .text import printable

if TYPE_CHECKING:
    from .expressions import _Parser

#: Static types: what a field or literal holds; "any" is an attribute, known only per object.
NUMBER, STRING, BOOL, NULL, ANY = "number", "string", "bool", "null", "any"


@dataclass(slots=True)
class Token:
    kind: str  # number, string, name, op, end
    text: str
    value: Any
    column: int


@dataclass(slots=True)
class Node:
    """A compiled piece: its static type, the function computing it, where it started, and
    the constant it stands for when it is a literal (for the vocabulary check)."""

    type: str
    run: Callable[[Any], Any]
    column: int
    depth: int = 1
    field: str = ""
    literal: Any = None
    is_literal: bool = False
    #: For ``and``/``or``: the operator and its operands, so a long chain stays flat.
    op: str = ""
    parts: list[Callable[[Any], Any]] | None = None


def plain(value: Any) -> Any:
    """A value read from a dataset, as the language sees it: numbers as floats; lists,
    dicts and other types as null."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return None


def literal(value: Any, kind: str, column: int) -> Node:
    return Node(kind, lambda _s: value, column, literal=value, is_literal=True)


def attribute(parser: "_Parser", token: Token) -> Node:
    """``attr.NAME`` or ``attr["NAME"]``: the subject's attribute, null when absent."""
    following = parser.take()
    if following.kind == "op" and following.text == ".":
        key = parser.take()
        if key.kind != "name":
            parser.fail("expected an attribute name after 'attr.'", key)
        name = key.text
    elif following.kind == "op" and following.text == "[":
        key = parser.take()
        if key.kind != "string":
            parser.fail("expected a quoted attribute name after 'attr['", key)
        name = key.value
        parser.expect("]", "after the attribute name")
    else:
        parser.fail("'attr' needs an attribute name: attr.NAME or attr[\"NAME\"]", following)
        raise AssertionError
    return Node(ANY, parser.scope.attribute(name), token.column, field="attr")


def _check(parser: "_Parser", node: Node, allowed: tuple[str, ...], what: str,
           token: Token) -> None:
    if node.type not in allowed + (ANY,):
        parser.fail(f"'{token.text}' needs {what}, not a {node.type}", node.column)


def negate(parser: "_Parser", token: Token, operand: Node) -> Node:
    _check(parser, operand, (NUMBER,), "a number", token)
    run = operand.run

    def value(subject: Any) -> Any:
        got = run(subject)
        return -got if isinstance(got, float) else None
    return Node(NUMBER, value, token.column, operand.depth + 1)


def logical_not(parser: "_Parser", token: Token, operand: Node) -> Node:
    _check(parser, operand, (BOOL,), "a condition", token)
    run = operand.run
    return Node(BOOL, lambda s: run(s) is not True, token.column, operand.depth + 1)


def logical(parser: "_Parser", token: Token, left: Node, right: Node) -> Node:
    """``and``/``or``, short-circuit; a chain of one operator stays one flat node."""
    _check(parser, left, (BOOL,), "conditions on both sides", token)
    _check(parser, right, (BOOL,), "conditions on both sides", token)
    op = token.text
    parts = list(left.parts) if left.op == op and left.parts else [left.run]
    depth = left.depth if left.op == op else left.depth + 1
    parts.append(right.run)
    if op == "and":
        def run(subject: Any) -> bool:
            for part in parts:  # a loop, not all(): 2x faster per object
                if part(subject) is not True:
                    return False
            return True
    else:
        def run(subject: Any) -> bool:
            for part in parts:
                if part(subject) is True:
                    return True
            return False
    return Node(BOOL, run, left.column, max(depth, right.depth + 1), op=op, parts=parts)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else math.nan}


def arithmetic(parser: "_Parser", token: Token, left: Node, right: Node) -> Node:
    _check(parser, left, (NUMBER,), "numbers", token)
    _check(parser, right, (NUMBER,), "numbers", token)
    apply = _ARITHMETIC[token.text]
    a, b = left.run, right.run

    def run(subject: Any) -> Any:
        x, y = a(subject), b(subject)
        if not (isinstance(x, float) and isinstance(y, float)):
            return None
        result = apply(x, y)
        return None if math.isnan(result) else result
    return Node(NUMBER, run, left.column, max(left.depth, right.depth) + 1)


def _same_kind(x: Any, y: Any) -> bool:
    return type(x) is type(y)


def _equal(x: Any, y: Any) -> bool:
    return _same_kind(x, y) and x == y


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _types_meet(parser: "_Parser", left: Node, right: Node, token: Token) -> None:
    """Refuse at parse time a comparison that is false for every subject."""
    known = {left.type, right.type} - {ANY, NULL}
    if len(known) > 1:
        parser.fail(f"'{token.text}' compares a {left.type} with a {right.type}, which is "
                    f"never true", right.column)
    _in_vocabulary(parser, left, right)
    _in_vocabulary(parser, right, left)


def _in_vocabulary(parser: "_Parser", named: Node, value: Node) -> None:
    """A string compared with a field of fixed values (``kind``) must be one of them;
    any string compared with a field is remembered (``Expression.mentions``)."""
    if named.field and value.is_literal and isinstance(value.literal, str):
        parser.mentions.setdefault(named.field, set()).add(value.literal)
    allowed = parser.scope.vocabulary.get(named.field)
    if allowed and value.is_literal and value.literal not in allowed:
        parser.fail(f"{named.field} is never {printable(repr(value.literal))[:60]} "
                    f"(it is one of: {', '.join(allowed)})", value.column)


def compare(parser: "_Parser", token: Token, left: Node, right: Node) -> Node:
    _types_meet(parser, left, right, token)
    a, b = left.run, right.run
    op = token.text
    if op in ("==", "!="):
        want = op == "=="

        def run(subject: Any) -> bool:
            return _equal(a(subject), b(subject)) is want
    else:
        if NULL in (left.type, right.type) or BOOL in (left.type, right.type):
            parser.fail(f"'{op}' orders numbers or strings, not a "
                        f"{left.type if left.type in (NULL, BOOL) else right.type}",
                        token.column)
        order = _ORDER[op]

        def run(subject: Any) -> bool:
            x, y = a(subject), b(subject)
            if x is None or isinstance(x, bool) or not _same_kind(x, y):
                return False
            return order(x, y)
    return Node(BOOL, run, left.column, max(left.depth, right.depth) + 1)


def membership(parser: "_Parser", token: Token, left: Node, members: list[Node], *,
               negated: bool) -> Node:
    """``x in (a, b)``: a set lookup when every member is a literal."""
    for member in members:
        _types_meet(parser, left, member, token)
    a = left.run
    depth = max([left.depth] + [m.depth for m in members]) + 1
    if all(m.is_literal for m in members):
        constants = {(type(m.literal), m.literal) for m in members}

        def run(subject: Any) -> bool:
            value = a(subject)
            return ((type(value), value) in constants) is not negated
    else:
        runs = [m.run for m in members]

        def run(subject: Any) -> bool:
            value = a(subject)
            return any(_equal(value, r(subject)) for r in runs) is not negated
    return Node(BOOL, run, left.column, depth)
