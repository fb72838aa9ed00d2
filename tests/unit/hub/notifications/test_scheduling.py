"""Which due deliveries start: within the free slots, and never more than the per-receiver limit, so a
receiver that hangs cannot take every slot."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.notifications.scheduling import Due, pick


def test_one_slow_receiver_does_not_take_every_slot() -> None:
    due = [Due(i, 1) for i in range(1, 6)] + [Due(10, 2), Due(11, 3)]
    chosen = pick(due, {1: 1}, free=4, per_receiver=2)
    assert chosen == [Due(1, 1), Due(10, 2), Due(11, 3)]


@given(
    st.lists(st.tuples(st.integers(1, 1000), st.integers(1, 5)), unique_by=lambda t: t[0], max_size=40),
    st.dictionaries(st.integers(1, 5), st.integers(0, 3)),
    st.integers(0, 10),
    st.integers(1, 3),
)
def test_limits_hold(items: list[tuple[int, int]], in_flight: dict[int, int], free: int, per_receiver: int) -> None:
    due = [Due(d, s) for d, s in items]
    chosen = pick(due, in_flight, free, per_receiver)
    assert len(chosen) <= free
    for subscription in {c.subscription for c in chosen}:
        started = sum(1 for c in chosen if c.subscription == subscription)
        assert in_flight.get(subscription, 0) + started <= max(per_receiver, in_flight.get(subscription, 0))
    assert [d for d in due if d in chosen] == chosen  # oldest first
