"""Heartbeat: the cluster's facts as this cluster's spoke."""

from __future__ import annotations

from schemas.v1 import Heartbeat, decode_report
from schemas.v1.topics import HEARTBEAT_TOPIC, heartbeat_key
from spoke.controllers.heartbeat import HeartbeatController
from tests.unit.spoke.controllers.fakes import CLUSTER, NOW, FakeSender, metrics, sample


class Facts:
    async def server_version(self) -> str | None:
        return "v1.31.0"

    async def node_counts(self) -> tuple[int, int]:
        return 3, 2


async def test_a_beat_tells_the_cluster_facts() -> None:
    sender = FakeSender()
    heartbeat = HeartbeatController(
        CLUSTER, Facts(), lambda: 4, sender, metrics(), interval=10.0, clock=lambda: NOW, version="1.2.3"
    )
    await heartbeat.beat()
    topic, key, value = sender.sent[0]
    assert topic == HEARTBEAT_TOPIC and key == heartbeat_key(CLUSTER) and value is not None
    event = decode_report(value)
    assert event.source == f"spoke/{CLUSTER}"
    beat = event.data
    assert isinstance(beat, Heartbeat)
    assert (beat.nodes, beat.ready_nodes, beat.applications, beat.kubernetes_version) == (3, 2, 4, "v1.31.0")
    assert sample(heartbeat.metrics, "fleetcast_spoke_reports_total", type="heartbeat") == 1
