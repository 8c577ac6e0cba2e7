"""The filter language: a tokenizer and a Pratt parser that compile an expression to a
predicate, with no ``eval``.

Why a parser of our own: expressions come from command lines and scripts that pass on what
a user typed, so they must not reach Python's evaluator, and a mistake should be named at
its column (``column 14: expected a value after 'and'``). Names are resolved and types
checked at parse time against a :class:`Scope` (``cococonv.filtering`` declares the item
and annotation scopes), so ``lable == "car"`` or ``label > 3`` fail before any data is
read. docs/commands/filter.md gives the grammar.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import OptionError
from .exprnodes import ANY, BOOL, NULL, NUMBER, STRING, Node as _Node, Token as _Token
from . import exprnodes as nodes
from .text import printable

#: The longest expression accepted, in characters.
MAX_LENGTH = 4000
#: The deepest nesting: parentheses, ``not``, unary minus and operator chains all count.
MAX_DEPTH = 64
#: The most values one ``in (...)`` tuple may list.
MAX_TUPLE = 1000

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>["'])
  | (?P<op>==|!=|<=|>=|[<>()\[\],.+\-*/])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
_HINTS = {"=": "use == to compare", "&": "use 'and'", "|": "use 'or'", "!": "use 'not' or !="}

class ExpressionError(OptionError):
    """An expression that cannot be parsed: ``what`` (the option), the 1-based ``column``
    and the text, so a command can show the caret line under it (:meth:`caret`)."""

    def __init__(self, message: str, *, what: str, text: str, column: int):
        super().__init__(f"{what}: column {column}: {message}")
        self.text = text
        self.column = column

    def caret(self, width: int = 70) -> str:
        """Two lines: the expression (a window of it around the column when long) and a
        ``^`` under the column; controls are escaped as they would be printed."""
        start = max(0, self.column - 1 - width // 2)
        shown = self.text[start:start + width]
        before = printable(self.text[start:self.column - 1])
        lead = "  ..." if start else "  "
        return f"{lead}{printable(shown)}\n{' ' * (len(lead) + len(before))}^"


@dataclass(frozen=True, slots=True)
class Field:
    """A name an expression may use: its static type and how to read it from a subject."""

    type: str
    read: Callable[[Any], Any]
    help: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """The names of one kind of expression (``--items`` or ``--annotations``), plus how
    ``attr.NAME`` reads an attribute and which strings a field may equal (``kind``)."""

    what: str
    fields: dict[str, Field]
    attribute: Callable[[str], Callable[[Any], Any]]
    vocabulary: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Expression:
    """A compiled expression: call it (or its ``test``) on a subject for True/False.

    ``mentions`` maps a field to the string literals it was compared with
    (``label == "car"`` gives ``{"label": {"car"}}``), so a caller can say when one names
    nothing in the data.
    """

    __slots__ = ("test", "mentions", "text")

    def __init__(self, test: Callable[[Any], bool], mentions: dict[str, set[str]], text: str):
        self.test = test
        self.mentions = mentions
        self.text = text

    def __call__(self, subject: Any) -> bool:
        return self.test(subject)


def compile_expression(text: str, scope: Scope) -> Expression:
    """The predicate of ``text`` in ``scope``: ``subject -> bool``; ExpressionError (an
    OptionError, exit 2) at the column of the first mistake."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long, above the "
                              f"limit of {MAX_LENGTH}", what=scope.what, text=text,
                              column=MAX_LENGTH + 1)
    parser = _Parser(text, scope)
    if parser.peek().kind == "end":
        parser.fail("the expression is empty", parser.peek())
    node = parser.expression(0, 0)
    end = parser.peek()
    if end.kind != "end":
        parser.fail(f"unexpected {_describe(end)} after a complete expression", end)
    if node.type not in (BOOL, ANY):
        parser.fail(f"the expression is a {node.type}, not a condition (e.g. area > 100)",
                    node.column)
    run = node.run
    return Expression(lambda subject: run(subject) is True, parser.mentions, text)


def tokenize(text: str, what: str = "expression") -> list[_Token]:
    """The tokens of ``text``, ending with an ``end`` token; ExpressionError at a character
    that starts no token or a string left open."""
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            ch = text[pos]
            hint = _HINTS.get(ch)
            raise ExpressionError(f"unexpected character {printable(repr(ch))}"
                                  + (f" ({hint})" if hint else ""), what=what, text=text,
                                  column=pos + 1)
        kind = match.lastgroup or ""
        if kind == "string":
            value, end = _read_string(text, pos, what)
            tokens.append(_Token("string", text[pos:end], value, pos + 1))
            pos = end
            continue
        if kind == "number":
            tokens.append(_Token("number", match.group(), float(match.group()), pos + 1))
        elif kind != "space":
            tokens.append(_Token(kind, match.group(), match.group(), pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", None, len(text) + 1))
    return tokens


def _read_string(text: str, start: int, what: str) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == quote:
            return "".join(out), pos + 1
        if ch == "\\":
            nxt = text[pos + 1] if pos + 1 < len(text) else ""
            if nxt not in _ESCAPES:
                raise ExpressionError(f"unknown escape \\{printable(nxt)} in a string (known: "
                                      f"\\\" \\' \\\\ \\n \\t)", what=what, text=text,
                                      column=pos + 1)
            out.append(_ESCAPES[nxt])
            pos += 2
            continue
        out.append(ch)
        pos += 1
    raise ExpressionError(f"the string opened here is not closed with {quote}", what=what,
                          text=text, column=start + 1)


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of the expression"
    if token.kind == "string":
        return f"string {printable(token.text[:40])}"
    return f"'{printable(token.text[:40])}'"


# Binding powers, loosest first: or < and < not < comparison < + - < * /.
_INFIX = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
          "not": 4, "+": 5, "-": 5, "*": 6, "/": 6}
_NOT_POWER = 3
_NEG_POWER = 7
_COMPARISON = 4


class _Parser:
    """Pratt parser: ``expression(power)`` reads a prefix, then infix operators that bind
    tighter than ``power``. Each step builds the node's closure and checks its types."""

    def __init__(self, text: str, scope: Scope):
        self.text = text
        self.scope = scope
        self.tokens = tokenize(text, scope.what)
        self.index = 0
        self.mentions: dict[str, set[str]] = {}

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, message: str, at: _Token | int) -> None:
        column = at if isinstance(at, int) else at.column
        raise ExpressionError(message, what=self.scope.what, text=self.text, column=column)

    def expect(self, text: str, after: str) -> _Token:
        token = self.peek()
        if token.kind != "op" or token.text != text:
            self.fail(f"expected '{text}' {after}, found {_describe(token)}", token)
        return self.take()

    def expression(self, power: int, depth: int) -> _Node:
        if depth >= MAX_DEPTH:
            self.fail(f"the expression nests deeper than {MAX_DEPTH} levels", self.peek())
        left = self.prefix(depth)
        while True:
            token = self.peek()
            name = token.text if token.kind in ("op", "name") else ""
            bind = _INFIX.get(name, 0)
            if bind <= power:
                return left
            if name == "not" and not self._is_not_in():
                return left
            self.take()
            left = self.infix(token, left, bind, depth)
            if left.depth > MAX_DEPTH:
                self.fail(f"the expression nests deeper than {MAX_DEPTH} levels", token)

    def _is_not_in(self) -> bool:
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        return following is not None and following.kind == "name" and following.text == "in"

    def prefix(self, depth: int) -> _Node:
        token = self.take()
        if token.kind == "end":
            previous = self.tokens[self.index - 1] if self.index else None
            after = f" after {_describe(previous)}" if previous and previous is not token else ""
            self.fail(f"expected a value{after}", token)
        if token.kind == "number":
            return nodes.literal(token.value, NUMBER, token.column)
        if token.kind == "string":
            return nodes.literal(token.value, STRING, token.column)
        if token.kind == "op" and token.text == "(":
            inner = self.expression(0, depth + 1)
            self.expect(")", "to close the '(' of column " + str(token.column))
            inner.depth += 1
            inner.column = token.column
            inner.is_literal = False
            return inner
        if token.kind == "op" and token.text == "-":
            operand = self.expression(_NEG_POWER, depth + 1)
            return nodes.negate(self, token, operand)
        if token.kind == "name":
            if token.text == "not":
                operand = self.expression(_NOT_POWER - 1, depth + 1)
                return nodes.logical_not(self, token, operand)
            if token.text in ("true", "false"):
                return nodes.literal(token.text == "true", BOOL, token.column)
            if token.text == "null":
                return nodes.literal(None, NULL, token.column)
            if token.text in KEYWORDS:
                self.fail(f"expected a value, found the keyword '{token.text}'", token)
            return self.name(token)
        self.fail(f"expected a value, found {_describe(token)}", token)
        raise AssertionError  # fail always raises

    def name(self, token: _Token) -> _Node:
        if token.text == "attr":
            return nodes.attribute(self, token)
        found = self.scope.fields.get(token.text)
        if found is None:
            names = sorted(self.scope.fields) + ["attr.NAME"]
            close = difflib.get_close_matches(token.text, names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.fail(f"unknown name '{printable(token.text[:40])}' ({hint}names: "
                      f"{', '.join(names)})", token)
        return _Node(found.type, found.read, token.column, field=token.text)

    def infix(self, token: _Token, left: _Node, bind: int, depth: int) -> _Node:
        if token.text in ("and", "or"):
            right = self.operand_after(token, bind, depth)
            return nodes.logical(self, token, left, right)
        if bind == _COMPARISON:
            if token.text in ("in", "not"):
                if token.text == "not":
                    self.take()  # the 'in' of 'not in'
                node = nodes.membership(self, token, left, self.tuple_after(token, depth),
                                        negated=token.text == "not")
            else:
                node = nodes.compare(self, token, left, self.operand_after(token, bind, depth))
            following = self.peek()
            if following.kind in ("op", "name") and _INFIX.get(following.text) == _COMPARISON \
                    and (following.text != "not" or self._is_not_in()):
                self.fail("comparisons do not chain; join them with 'and'", following)
            return node
        return nodes.arithmetic(self, token, left, self.operand_after(token, bind, depth))

    def operand_after(self, token: _Token, bind: int, depth: int) -> _Node:
        if self.peek().kind == "end":
            self.fail(f"expected a value after '{token.text}'", self.peek())
        return self.expression(bind, depth + 1)

    def tuple_after(self, token: _Token, depth: int) -> list[_Node]:
        opening = self.peek()
        if opening.kind != "op" or opening.text != "(":
            self.fail(f"expected '(' and a list of values after '{token.text}', found "
                      f"{_describe(opening)}", opening)
        self.take()
        members: list[_Node] = []
        while not (self.peek().kind == "op" and self.peek().text == ")"):
            if len(members) >= MAX_TUPLE:
                self.fail(f"more than {MAX_TUPLE} values in one list", self.peek())
            members.append(self.expression(_COMPARISON, depth + 1))
            if self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                continue
            if not (self.peek().kind == "op" and self.peek().text == ")"):
                self.fail(f"expected ',' or ')' in the list opened at column "
                          f"{opening.column}, found {_describe(self.peek())}", self.peek())
        self.take()
        return members
