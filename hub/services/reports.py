"""Storing status reports and heartbeats, idempotently: each in its own short transaction."""

from __future__ import annotations

import logging
from enum import StrEnum

from hub.ingest import as_utc, heartbeat_facts, seen_at, status_is_stale
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import HeartbeatEvent, StatusEvent

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    INGESTED = "ingested"
    STALE = "stale"
    UNKNOWN_CLUSTER = "unknown-cluster"


class ReportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def ingest(self, event: StatusEvent | HeartbeatEvent) -> Outcome:
        if isinstance(event, StatusEvent):
            return await self._status(event)
        return await self._heartbeat(event)

    async def _status(self, event: StatusEvent) -> Outcome:
        report = event.data
        async with self.ctx.sessions() as session, session.begin():
            if await session.get(models.Cluster, report.cluster) is None:
                return Outcome.UNKNOWN_CLUSTER
            row = await session.get(models.Status, (report.cluster, report.application))
            if row is not None and status_is_stale(
                row.observed_generation, row.reported_at, report.observed_generation, report.time
            ):
                return Outcome.STALE
            if row is None:
                row = models.Status(cluster_id=report.cluster, application_id=report.application)
                session.add(row)
            row.observed_generation = report.observed_generation
            row.observed_revision = report.observed_revision
            row.last_applied_revision = report.last_applied_revision
            row.last_attempted_revision = report.last_attempted_revision
            row.digest = report.digest
            row.removed = report.removed
            row.health = report.health.value
            row.objects = [o.model_dump(mode="json") for o in report.objects]
            row.images = list(report.images)
            row.errors = list(report.errors)
            row.reported_at = as_utc(report.time)
            row.received_at = self.ctx.clock()
        return Outcome.INGESTED

    async def _heartbeat(self, event: HeartbeatEvent) -> Outcome:
        heartbeat = event.data
        async with self.ctx.sessions() as session, session.begin():
            cluster = await session.get(models.Cluster, heartbeat.cluster)
            if cluster is None:
                return Outcome.UNKNOWN_CLUSTER
            sent = as_utc(heartbeat.time)
            if cluster.heartbeat_at is not None and sent < cluster.heartbeat_at:
                return Outcome.STALE
            now = self.ctx.clock()
            cluster.heartbeat_at = sent
            cluster.last_seen = seen_at(sent, now)
            cluster.facts = heartbeat_facts(event)
            cluster.updated_at = now
        return Outcome.INGESTED
