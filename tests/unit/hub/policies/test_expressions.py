"""What CEL offers a policy here: each function the compile check allows really evaluates (so the check
never lets through a name the library lacks, among those listed), and what the check refuses."""

from __future__ import annotations

import pytest

from hub.policies.expressions import CompileError, EvaluationError, bindings, compile_expression, evaluate

pytestmark = pytest.mark.unit

OBJECT = {"s": "a-b", "l": [3, 1], "m": {"a": 1}, "t": "2026-01-01T00:00:00Z", "n": 2, "f": 2.5}
TRUE_EXPRESSIONS = [
    "size(object.l) == 2 && object.l.size() == 2",
    "object.s.contains('a') && object.s.startsWith('a') && object.s.endsWith('b') && object.s.matches('^a-')",
    "int('1') == 1 && uint(1) == 1u && double(1) == 1.0 && string(1) == '1' && bytes('a') == b'a'",
    "bool('true') && dyn(1) == 1 && type(1) == int && type('a') == string && type([]) == list",
    "duration('1s') > duration('0s') && timestamp(object.t) > timestamp('2025-01-01T00:00:00Z')",
    "max(object.l) == 3 && min(object.l) == 1",
    "timestamp(object.t).getFullYear() == 2026 && timestamp(object.t).getMonth() == 0",
    "timestamp(object.t).getDate() == 1 && timestamp(object.t).getDayOfMonth() == 0",
    "timestamp(object.t).getDayOfYear() == 0 && timestamp(object.t).getDayOfWeek() >= 0",
    "timestamp(object.t).getHours() + timestamp(object.t).getMinutes() + timestamp(object.t).getSeconds() == 0",
    "timestamp(object.t).getMilliseconds() == 0",
    "has(object.s) && !has(object.nope) && 'a' in object.m && 3 in object.l",
    "object.l.all(x, x > 0) && object.l.exists(x, x == 3) && object.l.exists_one(x, x == 1)",
    "object.l.filter(x, x > 2) == [3] && object.l.map(x, x * 2) == [6, 2]",
    "object.n > 1.5 && object.f > 2",
    "optional.of(1).hasValue() && !optional.none().hasValue() && !optional.ofNonZeroValue(0).hasValue()",
    "optional.of(1).value() == 1 && optional.none().or(optional.of(1)).value() == 1",
    "optional.none().orValue(2) == 2",
    "object.s.split('-').size() == 2 && ['a', 'b'].join('-') == object.s",
    "object.s.lowerAscii() == object.s.upperAscii().lowerAscii() && ' a '.trim() == 'a'",
    "object.s.indexOf('-') == 1 && object.s.lastIndexOf('-') == 1 && object.s.substring(2) == 'b'",
    "object.s.replace('-', '+') == 'a+b' && object.s.charAt(0) == 'a' && object.s.reverse() == 'b-a'",
    "strings.quote('a') == '\"a\"'",
    "object.l.contains(3) && object.l.distinct() == [3, 1] && [[1], [2]].flatten() == [1, 2]",
    "object.l.slice(0, 1) == [3] && object.l.sort() == [1, 3] && object.l.first().value() == 3",
    "object.l.last().value() == 1 && lists.range(2) == [0, 1]",
    "math.greatest([1, 2]) == 2 && math.least([1, 2]) == 1 && math.abs(-1) == 1 && math.sign(-2) == -1",
    "math.ceil(1.2) == 2.0 && math.floor(1.8) == 1.0 && math.round(1.5) == 2.0 && math.trunc(1.5) == 1.0",
    "!math.isNaN(1.0) && !math.isInf(1.0) && math.isFinite(1.0) && math.sqrt(4) == 2.0",
    "math.bitOr(1, 2) == 3 && math.bitAnd(3, 1) == 1 && math.bitXor(3, 1) == 2 && math.bitNot(0) == -1",
    "math.bitShiftLeft(1, 2) == 4 && math.bitShiftRight(4, 2) == 1",
    "sets.contains([1, 2], [1]) && sets.equivalent([1, 2], [2, 1]) && sets.intersects([1], [1, 3])",
    "base64.encode(b'a') == 'YQ==' && base64.decode('YQ==') == b'a'",
    "cluster.name == 'c' && cluster.labels['env'] == 'prod'",
]


@pytest.mark.parametrize("expression", TRUE_EXPRESSIONS)
def test_what_the_compile_check_allows_evaluates(expression: str) -> None:
    context = bindings(OBJECT, {"name": "c", "labels": {"env": "prod"}})
    assert evaluate(compile_expression(expression), context) is True


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("object.s.frobnicate()", "unknown function(s) frobnicate"),
        ("objekt.s == 'a'", "unknown variable(s) objekt"),
        ("object.l.all(x, y > 0)", "unknown variable(s) y"),
        ("object.?s.orValue('') == 'a'", "unsupported syntax '.?'"),
        ("object.s ==", "Syntax error"),
    ],
)
def test_what_the_compile_check_refuses(expression: str, problem: str) -> None:
    with pytest.raises(CompileError) as caught:
        compile_expression(expression)
    assert problem in str(caught.value)


def test_evaluation_errors_say_what() -> None:
    context = bindings(OBJECT, {"name": "c", "labels": {}})
    with pytest.raises(EvaluationError, match=r"no such key: nope \(guard it with has\(\.\.\.\)\)"):
        evaluate(compile_expression("object.nope == 1"), context)
    with pytest.raises(EvaluationError, match="not true or false"):
        evaluate(compile_expression("object.n"), context)
