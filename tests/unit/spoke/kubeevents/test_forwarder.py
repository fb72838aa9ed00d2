"""The forwarder's two halves without a cluster: offer (select, dedup, limit) and flush (batches on the
events topic, as the hub decodes them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from schemas.v1.envelope import decode_kube_events
from schemas.v1.topics import EVENTS_TOPIC, events_key
from spoke.kube import Kube
from spoke.kubeevents.forwarder import KubeEventsForwarder, Result
from spoke.settings import SpokeSettings
from tests.unit.spoke.kubeevents.test_select import application_of, core_event


class Counts:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {"forwarded": 0, "dropped": 0}

    def counted(self, result: Result, count: int) -> None:
        self.counts[result] += count

    def batch_sent(self) -> None:
        self.counts["batches"] = self.counts.get("batches", 0) + 1


async def test_offer_then_flush_sends_one_decodable_batch_per_application() -> None:
    sent: list[tuple[str, bytes, bytes]] = []

    async def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, value))

    counts = Counts()
    settings = SpokeSettings(cluster_id="c1", events_per_second=1.0, events_burst=2)
    forwarder = KubeEventsForwarder(
        "c1",
        cast(Kube, None),  # the loops are not run here
        settings,
        application_of,
        send,
        counts,
        clock=lambda: 100.0,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert forwarder.offer(core_event(count=1))
    assert not forwarder.offer(core_event(count=1))  # the same occurrence again (a relist)
    assert not forwarder.offer(core_event("Normal", count=7))  # Normal: not configured
    assert forwarder.offer(core_event(count=2))
    assert not forwarder.offer(core_event(count=3))  # over the burst
    assert not forwarder.offer(
        core_event(count=9), not_before=datetime(2027, 1, 1, tzinfo=UTC)
    )  # history from before the spoke watched

    assert await forwarder.flush() == 2
    assert counts.counts == {"forwarded": 2, "dropped": 1, "batches": 1}
    [(topic, key, value)] = sent
    assert topic == EVENTS_TOPIC and key == events_key("c1")
    event = decode_kube_events(value)
    assert event.source == "spoke/c1" and event.data.application == "shop" and event.data.dropped == 1
    assert [e.count for e in event.data.events] == [1, 2]
    assert await forwarder.flush() == 0 and len(sent) == 1


async def test_a_batch_that_cannot_be_sent_is_said_as_dropped_next_time() -> None:
    attempts: list[bytes] = []

    async def send(topic: str, key: bytes, value: bytes) -> Any:
        attempts.append(value)
        if len(attempts) == 1:
            raise ConnectionError("broker away")

    counts = Counts()
    forwarder = KubeEventsForwarder(
        "c1", cast(Kube, None), SpokeSettings(cluster_id="c1"), application_of, send, counts, clock=lambda: 1.0
    )
    forwarder.offer(core_event(count=1))
    assert await forwarder.flush() == 0
    forwarder.offer(core_event(count=2))
    assert await forwarder.flush() == 1
    assert decode_kube_events(attempts[-1]).data.dropped == 1
    assert counts.counts == {"forwarded": 1, "dropped": 1, "batches": 1}
