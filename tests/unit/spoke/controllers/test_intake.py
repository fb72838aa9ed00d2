"""Intake: bootstrap reads the topic to its end, reconciles everything once, commits, then follows;
unreadable records go to the DLQ and the rest still apply."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from spoke.controllers.intake import Intake
from spoke.desired import DesiredStore
from tests.unit.spoke.controllers.fakes import (
    CLUSTER,
    FakeDeadLetters,
    FakeTopic,
    StopPolling,
    bundle,
    bundle_record,
    metrics,
    record,
    sample,
)


def intake(topic: FakeTopic, reconciled: list[list[str]], letters: FakeDeadLetters | None = None) -> Intake:
    async def reconcile_many(applications: Iterable[str]) -> None:
        reconciled.append(list(applications))

    return Intake(
        CLUSTER,
        DesiredStore(),
        topic,
        letters or FakeDeadLetters(),
        reconcile_many,
        metrics(),
        restart_delay=0.01,
        max_restart_delay=0.1,
    )


async def test_bootstrap_reconciles_everything_once_commits_then_follows() -> None:
    topic = FakeTopic(
        [bundle_record(0, bundle("a")), bundle_record(1, bundle("b")), bundle_record(2, bundle("a", 2))],
        later=[[bundle_record(3, bundle("c"))], [bundle_record(4, bundle("c"))]],  # the second is a duplicate
    )
    reconciled: list[list[str]] = []
    controller = intake(topic, reconciled)
    with pytest.raises(StopPolling):
        await controller.consume()
    assert controller.bootstrapped.is_set()
    assert reconciled == [["a", "b"], ["c"], []]
    assert topic.committed == [3, 4, 5]
    assert controller.store.get("a") == bundle("a", 2)
    assert sample(controller.metrics, "fleetcast_spoke_events_total", type="bundle") == 4
    assert sample(controller.metrics, "fleetcast_spoke_events_total", type="duplicate") == 1
    assert sample(controller.metrics, "fleetcast_spoke_consumer_lag_records") == 0


async def test_a_malformed_record_is_dead_lettered_and_the_rest_applies() -> None:
    letters = FakeDeadLetters()
    topic = FakeTopic([record(0, b"broken", b"{not json"), bundle_record(1, bundle("a"))])
    reconciled: list[list[str]] = []
    controller = intake(topic, reconciled, letters)
    with pytest.raises(StopPolling):
        await controller.consume()
    assert letters.letters == [(0, "malformed-json")]
    assert reconciled == [["a"]]
    assert sample(controller.metrics, "fleetcast_spoke_dlq_total", reason="malformed-json") == 1
    assert sample(controller.metrics, "fleetcast_spoke_events_total", type="malformed") == 1


async def test_a_record_for_another_cluster_is_dead_lettered() -> None:
    letters = FakeDeadLetters()
    topic = FakeTopic([bundle_record(0, bundle("a"), cluster="elsewhere")])
    controller = intake(topic, [], letters)
    with pytest.raises(StopPolling):
        await controller.consume()
    assert letters.letters == [(0, "wrong-cluster")]
    assert controller.store.applications() == []
