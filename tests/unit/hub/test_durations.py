"""Durations as strategies and the command line write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("1.5h", 5400),
        ("250ms", 0.25),
        ("90", 90),
        (45, 45),
        (0.5, 0.5),
        ("0s", 0),
        (" 1m 30s ", 90),
        ("PT0S", 0),
        ("PT1H30M", 5400),
        ("P1DT1S", 86_401),
    ],
)
def test_accepted_forms(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


# Objects and lists too: whatever JSON a client sends in a strategy reaches the parser.
@pytest.mark.parametrize("text", ["", "abc", "5 minutes", "1y", "-5s", "m5", "5mm", True, {}, [], None])
def test_refused_forms_say_what_is_accepted(text: object) -> None:
    with pytest.raises(DurationError, match="30s, 5m"):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["99999999999999999999d", 1e308, float("inf"), float("nan")])
def test_absurd_lengths_are_refused(text: str | float) -> None:
    with pytest.raises(DurationError, match="longer than"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["PT", "P1X"])
def test_a_bad_iso_duration_is_named_as_such(text: str) -> None:
    with pytest.raises(DurationError, match="ISO 8601"):
        parse_duration(text)


def test_negative_numbers_are_refused() -> None:
    with pytest.raises(DurationError, match="negative"):
        parse_duration(-1)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45, "45s"), (5400, "1h30m"), (90_061, "1d1h1m1s"), (0.25, "250ms")]
)
def test_printed_back_in_the_same_form(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_what_people_read_is_rounded_up_to_whole_seconds() -> None:
    assert format_duration(timedelta(seconds=11.2), whole_seconds=True) == "12s"
    assert format_duration(timedelta(seconds=59.001), whole_seconds=True) == "1m"
    assert format_duration(timedelta(0), whole_seconds=True) == "0s"
