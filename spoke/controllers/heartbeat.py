"""Heartbeat: every `interval`, the cluster's facts (Kubernetes version, nodes, applications installed)
on the heartbeat topic, so the hub can tell a live cluster from a silent one. A failed beat is logged
and the next one comes on time."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from schemas.v1 import Heartbeat, HeartbeatEvent, encode
from schemas.v1.topics import HEARTBEAT_TOPIC, heartbeat_key
from spoke.controllers.reporter import Sender
from spoke.errors import api_message
from spoke.metrics import ClusterMetrics

log = logging.getLogger(__name__)


def agent_version() -> str:
    try:
        return importlib.metadata.version("fleetcast")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class ClusterFacts(Protocol):
    """What the heartbeat tells of the cluster (spoke/kube.py `Kube`)."""

    async def server_version(self) -> str | None: ...

    async def node_counts(self) -> tuple[int, int]: ...


class HeartbeatController:
    def __init__(
        self,
        cluster: str,
        facts: ClusterFacts,
        applications: Callable[[], int],
        sender: Sender,
        metrics: ClusterMetrics,
        *,
        interval: float,
        clock: Callable[[], datetime],
        version: str,
    ) -> None:
        self.cluster = cluster
        self.source = f"spoke/{cluster}"
        self.facts = facts
        self.applications = applications
        self.sender = sender
        self.metrics = metrics
        self.interval = interval
        self.clock = clock
        self.version = version

    async def beat(self) -> None:
        nodes, ready = await self.facts.node_counts()
        heartbeat = Heartbeat(
            cluster=self.cluster,
            agent_version=self.version,
            kubernetes_version=await self.facts.server_version(),
            nodes=nodes,
            ready_nodes=ready,
            applications=self.applications(),
            interval_seconds=self.interval,
            time=self.clock(),
        )
        event = HeartbeatEvent(source=self.source, cluster=self.cluster, data=heartbeat)
        await self.sender.send(HEARTBEAT_TOPIC, heartbeat_key(self.cluster), encode(event))
        self.metrics.reports_total.labels("heartbeat").inc()

    async def run(self) -> None:
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("heartbeat not sent: %s", api_message(error))
            await asyncio.sleep(self.interval)
