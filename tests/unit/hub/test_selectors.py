from __future__ import annotations

from typing import Any

import pytest

from hub.labels import LabelError, validate_labels
from hub.selectors import SelectorError, parse_selector

PROD_EU = {"env": "prod", "region": "eu", "tier": "web"}
STAGING = {"env": "staging", "legacy": "true"}
BARE: dict[str, str] = {}


@pytest.mark.parametrize(
    ("text", "matching"),
    [
        ("", ["PROD_EU", "STAGING", "BARE"]),
        ("env=prod", ["PROD_EU"]),
        ("env==prod", ["PROD_EU"]),
        ("env!=prod", ["STAGING", "BARE"]),  # absent counts as "not equal", as in Kubernetes
        ("env in (staging, prod)", ["PROD_EU", "STAGING"]),
        ("env notin (prod)", ["STAGING", "BARE"]),
        ("legacy", ["STAGING"]),
        ("!legacy", ["PROD_EU", "BARE"]),
        ("env in (prod),region=eu,!legacy", ["PROD_EU"]),
        ("example.com/team=a", []),
    ],
)
def test_string_selectors_match_like_kubernetes(text: str, matching: list[str]) -> None:
    selector = parse_selector(text)
    labels = {"PROD_EU": PROD_EU, "STAGING": STAGING, "BARE": BARE}
    assert [name for name, value in labels.items() if selector.matches(value)] == matching


def test_structured_selectors() -> None:
    selector = parse_selector(
        {
            "matchLabels": {"tier": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.matches(PROD_EU)
    assert not selector.matches(STAGING)
    assert str(selector) == "env in (prod,staging),!legacy,tier=web"


def test_normalized_string_is_the_same_for_every_spelling() -> None:
    spellings: list[str | dict[str, Any]] = [
        "env in (staging,prod),region=eu",
        " region == eu ,  env in ( prod , staging , prod ) ",
        {
            "matchLabels": {"region": "eu"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}],
        },
    ]
    assert {str(parse_selector(s)) for s in spellings} == {"env in (prod,staging),region=eu"}
    assert str(parse_selector("b, a!=x, !c")) == "a!=x,b,!c"
    assert str(parse_selector(None)) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env in (", "invalid selector 'env in (': expected a value, found 'the end' at position 9"),
        (
            "env in prod",
            "invalid selector 'env in prod': expected '(' to open the set of values, found 'prod' at position 8",
        ),
        ("env >= 3", "invalid selector 'env >= 3': unexpected character '>' at position 5"),
        (
            "env prod",
            "invalid selector 'env prod': expected an operator (=, ==, !=, in, notin) after 'env', "
            "found 'prod' at position 5",
        ),
        ("a=b c", "invalid selector 'a=b c': expected ',' between requirements, found 'c' at position 5"),
        ("env=", None),  # the empty value is valid
    ],
)
def test_string_syntax_errors_say_where(text: str, message: str | None) -> None:
    if message is None:
        assert parse_selector(text).matches({"env": ""})
        return
    with pytest.raises(SelectorError) as caught:
        parse_selector(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "value",
    [
        "-bad=x",
        "env=-x",
        "Example.com/a=b",
        {"matchExpressions": [{"key": "env", "operator": "Within", "values": ["a"]}]},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["a"]}]},
        {"matchLabels": {"env": 3}},
        {"matchLabel": {"env": "prod"}},
    ],
)
def test_invalid_selectors(value: object) -> None:
    with pytest.raises(SelectorError, match="invalid selector"):
        parse_selector(value)  # type: ignore[arg-type]


def test_labels_are_validated_with_every_problem_named() -> None:
    assert validate_labels({"tier": "web", "env": "prod"}) == {"env": "prod", "tier": "web"}
    assert validate_labels({"example.com/team": "a-b_c.d", "empty": ""})["empty"] == ""
    with pytest.raises(LabelError) as caught:
        validate_labels({"bad key": "x", "env": "no/slash"})
    assert "label key 'bad key'" in str(caught.value)
    assert "label env='no/slash'" in str(caught.value)
