"""Storing status reports and heartbeats, idempotently: a consumer batch in one short transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.drift import store as drift_store
from hub.drift.events import ACTOR as DRIFT_ACTOR
from hub.drift.events import audit_entries
from hub.drift.index import Corrected, DriftRow, drift_rows, transitions
from hub.images.index import IndexRow, index_rows
from hub.images.store import replace_rows
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
from hub.metrics import HubMetrics
from hub.rollouts.store import chunked, status_facts, wake_application, wake_cluster
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import HeartbeatEvent, StatusEvent

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    INGESTED = "ingested"
    STALE = "stale"
    UNKNOWN_CLUSTER = "unknown-cluster"


@dataclass
class _Known:
    """The rows a batch of reports touches, read in two queries rather than two per report."""

    clusters: dict[str, models.Cluster]
    statuses: dict[tuple[str, str], models.Status]


async def _known(session: AsyncSession, events: Sequence[StatusEvent | HeartbeatEvent]) -> _Known:
    names = sorted({event.data.cluster for event in events})
    pairs = sorted({(e.data.cluster, e.data.application) for e in events if isinstance(e, StatusEvent)})
    known = _Known({}, {})
    for part in chunked(names):
        known.clusters.update(
            (c.id, c) for c in await session.scalars(select(models.Cluster).where(models.Cluster.id.in_(part)))
        )
    key = tuple_(models.Status.cluster_id, models.Status.application_id)
    for keys in chunked(pairs):
        # The cluster list lets SQLite search the primary key: a row-value IN alone scans the table.
        clusters = models.Status.cluster_id.in_(sorted({cluster for cluster, _ in keys}))
        known.statuses.update(
            ((s.cluster_id, s.application_id), s)
            for s in await session.scalars(select(models.Status).where(clusters, key.in_(keys)))
        )
    return known


class ReportService:
    def __init__(self, ctx: ServiceContext, metrics: HubMetrics | None = None) -> None:
        self.ctx = ctx
        self.metrics = metrics

    async def ingest(self, event: StatusEvent | HeartbeatEvent) -> Outcome:
        return (await self.ingest_all([event]))[0]

    async def ingest_all(self, events: Sequence[StatusEvent | HeartbeatEvent]) -> list[Outcome]:
        """Store reports in one transaction (a consumer batch: a wave's reports arrive together), then
        wake the rollout runs they concern once. An outcome per event, in order."""
        outcomes: list[Outcome] = []
        applications: set[str] = set()
        reachable: set[str] = set()
        # The image index rows of each (cluster, application) stored, the newest report's if a batch
        # holds several: replaced in this same transaction.
        images: dict[tuple[str, str], list[IndexRow]] = {}
        # Likewise the drift index rows, and the revision each report observed (for its audit events).
        drifts: dict[tuple[str, str], list[DriftRow]] = {}
        revisions: dict[tuple[str, str], int] = {}
        corrections: dict[tuple[str, str], int] = {}
        recorded = False
        async with self.ctx.storing() as session:
            now = self.ctx.clock()
            known = await _known(session, events)
            with session.no_autoflush:
                for event in events:
                    if isinstance(event, StatusEvent):
                        outcome = self._status(session, event, now, known)
                        if outcome is Outcome.INGESTED:
                            applications.add(event.data.application)
                            pair = (event.data.cluster, event.data.application)
                            images[pair] = index_rows(event.data)
                            drifts[pair] = drift_rows(event.data)
                            revisions[pair] = event.data.observed_revision
                    else:
                        outcome, resumed = self._heartbeat(event, now, known)
                        if resumed:
                            reachable.add(event.data.cluster)
                    outcomes.append(outcome)
            await session.flush()
            await replace_rows(session, images)
            before = await drift_store.replace_rows(session, drifts)
            for pair in sorted(drifts):
                happened = transitions(before[pair], drifts[pair])
                added = sum(t.added for t in happened if isinstance(t, Corrected))
                if added:
                    corrections[pair] = added
                for entry in audit_entries(happened):
                    recorded = True
                    await record(
                        session,
                        time=now,
                        actor=DRIFT_ACTOR,
                        action=entry.action,
                        cluster=pair[0],
                        application=pair[1],
                        revision=revisions[pair],
                        reason=entry.reason,
                        details=entry.details,
                    )
            # After the statuses are written: on PostgreSQL an update waits for an evaluation holding
            # the run's row, then wakes the run again, so a report never slips past an evaluation unseen.
            woke = False
            for application in sorted(applications):
                woke |= await wake_application(session, application, now)
            for cluster in sorted(reachable):
                woke |= await wake_cluster(session, cluster, now)
        if woke:
            self.ctx.rollout_signal.set()
        if applications:
            self.ctx.dependencies_signal.set()  # a dependency may have become Ready
        if recorded:
            self.ctx.audit_signal.set()  # the notifier reads the drift events at once
        if self.metrics is not None:
            for (cluster, application), added in corrections.items():
                self.metrics.drift_corrections.labels(cluster=cluster, application=application).inc(added)
        return outcomes

    def _status(self, session: AsyncSession, event: StatusEvent, received: datetime, known: _Known) -> Outcome:
        report = event.data
        if report.cluster not in known.clusters:
            return Outcome.UNKNOWN_CLUSTER
        row = known.statuses.get((report.cluster, report.application))
        if row is not None and status_is_stale(
            row.observed_generation, row.reported_at, report.observed_generation, report.time
        ):
            return Outcome.STALE
        previous = None
        if row is None:
            row = models.Status(cluster_id=report.cluster, application_id=report.application)
            session.add(row)
            known.statuses[(report.cluster, report.application)] = row
        else:
            previous = status_facts(row)
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
        return Outcome.INGESTED

    def _heartbeat(self, event: HeartbeatEvent, now: datetime, known: _Known) -> tuple[Outcome, bool]:
        """The outcome, and whether the cluster became reachable again as the hub sees it."""
        heartbeat = event.data
        cluster = known.clusters.get(heartbeat.cluster)
        if cluster is None:
            return Outcome.UNKNOWN_CLUSTER, False
        sent = as_utc(heartbeat.time)
        if cluster.heartbeat_at is not None and sent < cluster.heartbeat_at:
            return Outcome.STALE, False
        seen = seen_at(sent, now)
        unreachable_after = timedelta(seconds=self.ctx.settings.unreachable_after_seconds)
        # Reachable again as the hub sees it, after a silence of the cluster's or of the hub's own
        # (a restarted hub catching up): runs that found it unreachable look again.
        resumed = became_reachable(cluster.last_seen, seen, now, unreachable_after)
        cluster.reachable_since = reachable_since(cluster.last_seen, cluster.reachable_since, seen, unreachable_after)
        cluster.heartbeat_at = sent
        cluster.last_seen = seen
        cluster.facts = heartbeat_facts(event)
        cluster.updated_at = now
        return Outcome.INGESTED, resumed
