"""When the monitor records a cluster going unreachable or coming back, on the hub's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.clusterstates import ClusterState
from hub.notifications.reachability import REACHABLE, UNREACHABLE, Known, Seen, changes

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AFTER = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_ready_to_unreachable_and_back_are_recorded() -> None:
    known = {"edge": Known(ClusterState.READY, at(0))}
    found, forgotten = changes({"edge": Seen(at(10))}, known, at(45), AFTER, quiet_until=at(0))
    assert forgotten == []
    [change] = found
    assert (change.cluster, change.state, change.action) == ("edge", ClusterState.UNREACHABLE, UNREACHABLE)
    assert change.details["silent_for"] == "35s" and change.details["unreachable_after"] == "30s"

    known = {"edge": Known(ClusterState.UNREACHABLE, at(45))}
    [back], _ = changes({"edge": Seen(at(160))}, known, at(165), AFTER, quiet_until=at(0))
    assert (back.state, back.action) == (ClusterState.READY, REACHABLE)
    assert back.details["unreachable_for"] == "2m"


def test_no_change_no_record() -> None:
    known = {"edge": Known(ClusterState.READY, at(0))}
    assert changes({"edge": Seen(at(10))}, known, at(20), AFTER, quiet_until=at(0)) == ([], [])


def test_first_sight_and_first_heartbeat_are_stored_quietly() -> None:
    found, _ = changes(
        {"new": Seen(None), "old": Seen(at(-100)), "first": Seen(at(5))},
        {"first": Known(ClusterState.PENDING, at(0))},
        at(10),
        AFTER,
        quiet_until=at(0),
    )
    assert {(c.cluster, c.state, c.action) for c in found} == {
        ("new", ClusterState.PENDING, None),
        ("old", ClusterState.UNREACHABLE, None),  # unreachable before the monitor knew it: not news
        ("first", ClusterState.READY, None),
    }


def test_right_after_a_hub_start_nothing_is_declared_unreachable() -> None:
    known = {"edge": Known(ClusterState.READY, at(0))}
    assert changes({"edge": Seen(at(0))}, known, at(100), AFTER, quiet_until=at(120)) == ([], [])
    [change], _ = changes({"edge": Seen(at(0))}, known, at(121), AFTER, quiet_until=at(120))
    assert change.action == UNREACHABLE


def test_deregistered_clusters_are_forgotten() -> None:
    known = {"gone": Known(ClusterState.READY, at(0))}
    assert changes({}, known, at(1), AFTER, quiet_until=at(0)) == ([], ["gone"])
