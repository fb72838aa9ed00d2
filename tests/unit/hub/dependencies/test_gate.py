"""The dependency gate: a bundle goes only when every dependency is Ready on the cluster as of the newest
message sent there for it; otherwise it says what it waits for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.dependencies.gate import DependencyState, is_ready, may_go, waiting_for

READY = DependencyState(exists=True, generation=3, reported_generation=3, health="Ready")


def test_no_dependencies_never_wait() -> None:
    assert waiting_for([], {}) == []
    assert may_go([], {})


def test_ready_dependencies_let_the_bundle_go() -> None:
    assert may_go(["db", "cache"], {"db": READY, "cache": READY})


def test_each_reason_to_wait_is_named_in_the_order_given() -> None:
    states = {
        "db": DependencyState(exists=True, generation=3, reported_generation=3, health="Progressing"),
        "cache": DependencyState(exists=True),
        "queue": DependencyState(exists=True, generation=2, reported_generation=1, health="Ready"),
        "auth": DependencyState(exists=True, generation=2, held=True, reported_generation=1, health="Ready"),
        "old": DependencyState(exists=True, generation=2, reported_generation=2, health="Ready", removed=True),
        "fresh": DependencyState(exists=True, generation=2),
    }
    assert waiting_for(["db", "cache", "queue", "auth", "ghost", "old", "fresh", "db"], states) == [
        "db (Progressing)",
        "cache (not on this cluster)",
        "queue (not applied yet)",
        "auth (waiting for its own dependencies)",
        "ghost (no such application)",
        "old (removed)",
        "fresh (not applied yet)",
    ]


def test_a_report_of_an_older_generation_is_stale_even_if_ready() -> None:
    assert not is_ready(DependencyState(exists=True, generation=4, reported_generation=3, health="Ready"))
    # A newer one than the hub knows it sent (a re-registered cluster's spoke) counts.
    assert is_ready(DependencyState(exists=True, generation=4, reported_generation=5, health="Ready"))


@given(
    st.builds(
        DependencyState,
        exists=st.booleans(),
        generation=st.none() | st.integers(1, 5),
        held=st.booleans(),
        reported_generation=st.none() | st.integers(0, 6),
        health=st.none() | st.sampled_from(["Ready", "Progressing", "Degraded", "Missing", "Unknown"]),
        removed=st.booleans(),
    )
)
def test_waiting_exactly_when_not_ready(state: DependencyState) -> None:
    assert (waiting_for(["db"], {"db": state}) == []) == is_ready(state)
    assert may_go(["db"], {"db": state}) == is_ready(state)
