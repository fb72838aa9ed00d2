"""Audit log filters: checked, each bad one named; the action filter is exact or a dotted prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.audit.query import MAX_LIMIT, ActionFilter, AuditQueryError, action_filter, audit_query, next_before

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_an_action_is_exact_and_a_trailing_dot_makes_it_a_prefix() -> None:
    assert action_filter("release.created") == ActionFilter("release.created", prefix=False)
    assert action_filter("rollout.") == ActionFilter("rollout.", prefix=True)
    assert action_filter("token") == ActionFilter("token", prefix=False)
    assert action_filter(None) is None
    assert action_filter("") is None


@pytest.mark.parametrize("bad", ["Release.created", "rollout.*", "%", ".created", "a..b", "rollout. started"])
def test_a_bad_action_filter_is_named(bad: str) -> None:
    with pytest.raises(AuditQueryError, match=r"^action: "):
        action_filter(bad)


def test_times_are_compared_in_utc_and_a_time_without_a_zone_is_utc() -> None:
    query = audit_query(
        since=datetime(2026, 11, 22, 9, 0), until=datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    )
    assert query.since == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert query.until == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"since": NOW, "until": NOW - timedelta(seconds=1)}, "since"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"before": 0}, "before"),
        ({"action": "x y"}, "action"),
    ],
)
def test_a_bad_filter_is_named(filters: dict[str, object], named: str) -> None:
    with pytest.raises(AuditQueryError, match=rf"^{named}: "):
        audit_query(**filters)


def test_empty_filters_mean_no_filter() -> None:
    query = audit_query(application="", actor="", cluster="", action="")
    assert (query.application, query.actor, query.cluster, query.action) == (None, None, None, None)


def test_the_next_page_starts_below_the_oldest_id_of_a_full_page() -> None:
    assert next_before([9, 8, 7], limit=3) == 7
    assert next_before([9, 8], limit=3) is None
    assert next_before([], limit=3) is None
