"""Storing status reports and heartbeats, idempotently: each in its own short transaction."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from hub.ingest import (
    as_utc,
    became_reachable,
    health_since,
    heartbeat_facts,
    last_healthy_revision,
    reachable_since,
    seen_at,
    status_is_stale,
)
from hub.rollouts.store import status_facts, wake_application, wake_cluster
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
        woke = False
        async with self.ctx.sessions() as session, session.begin():
            if await session.get(models.Cluster, report.cluster) is None:
                return Outcome.UNKNOWN_CLUSTER
            row = await session.get(models.Status, (report.cluster, report.application))
            if row is not None and status_is_stale(
                row.observed_generation, row.reported_at, report.observed_generation, report.time
            ):
                return Outcome.STALE
            previous = None
            if row is None:
                row = models.Status(cluster_id=report.cluster, application_id=report.application)
                session.add(row)
            else:
                previous = status_facts(row)
            received = self.ctx.clock()
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
            row.received_at = received
            facts = status_facts(row)
            row.health_since = health_since(previous, row.health_since, facts, received)
            row.last_healthy_revision = last_healthy_revision(facts, row.last_healthy_revision)
            await session.flush()
            # After the status is written: on PostgreSQL this waits for an evaluation holding the run's
            # row, and then wakes the run again, so a report never slips past an evaluation unseen.
            woke = await wake_application(session, report.application, received)
        if woke:
            self.ctx.rollout_signal.set()
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
            seen = seen_at(sent, now)
            unreachable_after = timedelta(seconds=self.ctx.settings.unreachable_after_seconds)
            since = reachable_since(cluster.last_seen, cluster.reachable_since, seen, unreachable_after)
            # Reachable again as the hub sees it, after a silence of the cluster's or of the hub's own
            # (a restarted hub catching up): runs that found it unreachable look again.
            resumed = became_reachable(cluster.last_seen, seen, now, unreachable_after)
            cluster.reachable_since = since
            cluster.heartbeat_at = sent
            cluster.last_seen = seen
            cluster.facts = heartbeat_facts(event)
            cluster.updated_at = now
            woke = resumed and await wake_cluster(session, heartbeat.cluster, now)
        if woke:
            self.ctx.rollout_signal.set()
        return Outcome.INGESTED
