"""What an attempt's outcome means: delivered, retried after a capped exponential backoff, or failed
(at once for a refusal, after the last attempt for a failure worth retrying)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.notifications.retries import (
    DeliveryStatus,
    Outcome,
    Policy,
    backoff,
    judge,
    retry_after_seconds,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POLICY = Policy(max_attempts=5, initial=2.0, cap=60.0)


@pytest.mark.parametrize("code", [200, 201, 202, 204])
def test_2xx_is_delivered(code: int) -> None:
    verdict = judge(1, Outcome(status_code=code), NOW, POLICY)
    assert (verdict.status, verdict.next_attempt_at, verdict.error) == (DeliveryStatus.DELIVERED, None, None)


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome(status_code=500, error="boom"),
        Outcome(status_code=503),
        Outcome(status_code=429),
        Outcome(status_code=408),
        Outcome(error="ConnectError: connection refused"),
        Outcome(error="no answer within 10s"),
    ],
)
def test_server_errors_and_no_answer_are_retried_with_backoff(outcome: Outcome) -> None:
    first = judge(1, outcome, NOW, POLICY)
    assert first.status is DeliveryStatus.PENDING and first.retried
    assert first.next_attempt_at == NOW + timedelta(seconds=2)
    third = judge(3, outcome, NOW, POLICY)
    assert third.next_attempt_at == NOW + timedelta(seconds=8)
    assert first.error and (
        str(outcome.status_code) in first.error if outcome.status_code else first.error == outcome.error
    )
    last = judge(5, outcome, NOW, POLICY)
    assert last.status is DeliveryStatus.FAILED and last.next_attempt_at is None
    assert last.error is not None and last.error.endswith("(gave up after 5 attempt(s))")


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 301, 302])
def test_a_refusal_fails_at_once(code: int) -> None:
    verdict = judge(1, Outcome(status_code=code, error="nope"), NOW, POLICY)
    assert verdict.status is DeliveryStatus.FAILED
    assert verdict.error is not None and verdict.error.startswith(f"the receiver answered {code}")
    if 300 <= code < 400:
        assert "do not follow redirects" in verdict.error


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    assert judge(1, Outcome(status_code=429, retry_after=30), NOW, POLICY).next_attempt_at == NOW + timedelta(
        seconds=30
    )
    assert judge(1, Outcome(status_code=503, retry_after=3600), NOW, POLICY).next_attempt_at == NOW + timedelta(
        seconds=60
    )
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Sun, 22 Nov 2026 12:01:00 GMT", NOW) == 60
    assert retry_after_seconds("whenever", NOW) is None
    assert retry_after_seconds(None, NOW) is None


@given(
    attempt=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
    initial=st.floats(min_value=0.01, max_value=100),
    cap=st.floats(min_value=0.01, max_value=10_000),
)
def test_backoff_grows_but_never_beyond_the_cap(attempt: int, jitter: float, initial: float, cap: float) -> None:
    policy = Policy(10, initial, cap)
    wait = backoff(attempt, policy, jitter)
    assert 0 < wait <= cap
    assert wait >= min(cap, initial * 2 ** min(attempt - 1, 62))
    assert backoff(attempt + 1, policy, 0) >= backoff(attempt, policy, 0)


@given(outcomes=st.lists(st.sampled_from([500, 502, 429, None]), min_size=1, max_size=30))
def test_a_delivery_that_keeps_failing_stops_at_max_attempts(outcomes: list[int | None]) -> None:
    policy = Policy(max_attempts=4, initial=1, cap=10)
    statuses = []
    for attempt, code in enumerate(outcomes, start=1):
        verdict = judge(attempt, Outcome(status_code=code, error=None if code else "refused"), NOW, policy)
        statuses.append(verdict.status)
        if not verdict.retried:
            break
    assert len(statuses) == min(len(outcomes), 4)
    assert statuses[-1] is (DeliveryStatus.FAILED if len(outcomes) >= 4 else DeliveryStatus.PENDING)
