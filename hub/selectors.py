"""Kubernetes label selectors: parsed from the string syntax (`env in (staging,prod),!legacy`) or the
structured form (`{"matchLabels": ..., "matchExpressions": ...}`), normalized, and matched against labels.

The normalized string is what the hub stores and compares: two spellings of the same selector are the
same selector, so re-sending one does not make a new release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hub.labels import key_problem, value_problem

Operator = Literal["=", "!=", "in", "notin", "exists", "!"]

# Printing order within one key: equality first, absence last, so the normalized string reads naturally.
_OPERATOR_ORDER: dict[str, int] = {"=": 0, "in": 1, "!=": 2, "notin": 3, "exists": 4, "!": 5}
_STRUCTURED_OPERATORS: dict[str, Operator] = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


class SelectorError(ValueError):
    """A selector that cannot be parsed or is not valid; the message says where and why."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                # Kubernetes semantics: a cluster without the label is "not in" any set.
                return not present or value not in self.values
            case "exists":
                return present
            case "!":
                return not present

    def __str__(self) -> str:
        match self.operator:
            case "=" | "!=":
                return f"{self.key}{self.operator}{self.values[0]}"
            case "in" | "notin":
                return f"{self.key} {self.operator} ({','.join(self.values)})"
            case "exists":
                return self.key
            case "!":
                return f"!{self.key}"

    def sort_key(self) -> tuple[str, int, tuple[str, ...]]:
        return (self.key, _OPERATOR_ORDER[self.operator], self.values)


@dataclass(frozen=True)
class Selector:
    """All requirements must hold. No requirements selects every cluster, as in Kubernetes."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def parse_selector(value: str | Mapping[str, Any] | None) -> Selector:
    """A selector from either syntax; None and "" select everything."""
    if value is None:
        return Selector()
    if isinstance(value, str):
        return _normalized(_Parser(value).parse())
    if isinstance(value, Mapping):
        return _normalized(_structured(value))
    raise SelectorError(f"selector must be a string or an object with matchLabels/matchExpressions, got {value!r}")


def _normalized(requirements: list[Requirement]) -> Selector:
    return Selector(tuple(sorted(set(requirements), key=Requirement.sort_key)))


def _requirement(key: str, operator: Operator, values: list[str]) -> Requirement:
    problem = key_problem(key)
    if problem:
        raise SelectorError(f"invalid selector: {problem}")
    for value in values:
        problem = value_problem(key, value)
        if problem:
            raise SelectorError(f"invalid selector: {problem}")
    if operator in ("in", "notin") and not values:
        raise SelectorError(f"invalid selector: '{key} {operator}' needs at least one value")
    if operator in ("=", "!=") and len(values) != 1:
        raise SelectorError(f"invalid selector: '{key}{operator}' takes exactly one value")
    # Sets are sets: order and repeats do not make a different selector.
    ordered = tuple(sorted(set(values))) if operator in ("in", "notin") else tuple(values)
    return Requirement(key, operator, ordered)


def _structured(value: Mapping[str, Any]) -> list[Requirement]:
    unknown = set(value) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise SelectorError(f"invalid selector: unknown field(s) {', '.join(sorted(unknown))}")
    requirements: list[Requirement] = []
    match_labels = value.get("matchLabels") or {}
    if not isinstance(match_labels, Mapping):
        raise SelectorError("invalid selector: matchLabels must be an object of label key to value")
    for key, label_value in match_labels.items():
        if not isinstance(label_value, str):
            raise SelectorError(f"invalid selector: matchLabels.{key} must be a string")
        requirements.append(_requirement(str(key), "=", [label_value]))
    expressions = value.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise SelectorError("invalid selector: matchExpressions must be a list")
    for index, expression in enumerate(expressions):
        where = f"matchExpressions[{index}]"
        if not isinstance(expression, Mapping):
            raise SelectorError(f"invalid selector: {where} must be an object with key, operator and values")
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if not isinstance(key, str):
            raise SelectorError(f"invalid selector: {where}.key must be a string")
        if operator not in _STRUCTURED_OPERATORS:
            raise SelectorError(
                f"invalid selector: {where}.operator must be one of In, NotIn, Exists, DoesNotExist, got {operator!r}"
            )
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SelectorError(f"invalid selector: {where}.values must be a list of strings")
        op = _STRUCTURED_OPERATORS[operator]
        if op in ("exists", "!") and values:
            raise SelectorError(f"invalid selector: {where}: operator {operator} takes no values")
        requirements.append(_requirement(key, op, values))
    return requirements


# Tokens of the string syntax. Identifiers are label keys and values; `in`/`notin` are keywords only
# where an operator is expected, so a label may still be called "in".
_TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|=|!|\(|\)|,)|(?P<ident>[A-Za-z0-9._/-]+)|(?P<bad>\S))")


@dataclass(frozen=True)
class _Token:
    kind: str  # "op", "ident" or "end"
    text: str
    position: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.index = 0

    def _tokenize(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:  # only trailing whitespace is left
                break
            if match.group("bad") is not None:
                raise self._error(f"unexpected character {match.group('bad')!r}", match.start("bad"))
            kind = "op" if match.group("op") is not None else "ident"
            tokens.append(_Token(kind, match.group(kind), match.start(kind)))
            position = match.end()
        tokens.append(_Token("end", "", len(text)))
        return tokens

    def _error(self, problem: str, position: int) -> SelectorError:
        return SelectorError(f"invalid selector {self.text!r}: {problem} at position {position + 1}")

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect_ident(self, what: str) -> str:
        token = self._next()
        if token.kind != "ident":
            raise self._error(f"expected {what}, found {token.text or 'the end'!r}", token.position)
        return token.text

    def parse(self) -> list[Requirement]:
        if self._peek().kind == "end":
            return []
        requirements = [self._requirement()]
        while self._peek().kind != "end":
            token = self._next()
            if token.text != ",":
                raise self._error(f"expected ',' between requirements, found {token.text!r}", token.position)
            requirements.append(self._requirement())
        return requirements

    def _requirement(self) -> Requirement:
        if self._peek().text == "!":
            self._next()
            return _requirement(self._expect_ident("a label key after '!'"), "!", [])
        key = self._expect_ident("a label key")
        token = self._peek()
        if token.kind == "end" or token.text == ",":
            return _requirement(key, "exists", [])
        self._next()
        if token.text in ("=", "=="):
            return _requirement(key, "=", [self._value()])
        if token.text == "!=":
            return _requirement(key, "!=", [self._value()])
        if token.kind == "ident" and token.text in ("in", "notin"):
            operator: Operator = "in" if token.text == "in" else "notin"
            return _requirement(key, operator, self._values())
        raise self._error(
            f"expected an operator (=, ==, !=, in, notin) after {key!r}, found {token.text!r}", token.position
        )

    def _value(self) -> str:
        # `key=` with nothing after it selects the empty value, as in Kubernetes.
        token = self._peek()
        if token.kind == "ident":
            self._next()
            return token.text
        return ""

    def _values(self) -> list[str]:
        token = self._next()
        if token.text != "(":
            raise self._error(
                f"expected '(' to open the set of values, found {token.text or 'the end'!r}", token.position
            )
        values = [self._expect_ident("a value")]
        while True:
            token = self._next()
            if token.text == ")":
                return values
            if token.text != ",":
                raise self._error(
                    f"expected ',' or ')' in the set of values, found {token.text or 'the end'!r}", token.position
                )
            values.append(self._expect_ident("a value"))
