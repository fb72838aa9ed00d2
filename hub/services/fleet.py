"""Fleet-wide views (which versions and images run where) and the gauges /metrics reports."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.clusterstates import ClusterState, cluster_state
from hub.errors import Invalid
from hub.fleetviews import ApplicationVersions, Deployment, ImageVersions, images_view, versions_view
from hub.metrics import HubMetrics
from hub.selectors import Selector, SelectorError, parse_selector
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import Health


def _selector(text: str | None) -> Selector:
    try:
        return parse_selector(text)
    except SelectorError as error:
        raise Invalid(str(error)) from error


class FleetService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def _deployments(self, session: AsyncSession) -> list[Deployment]:
        labels = {c.id: c.labels for c in await session.scalars(select(models.Cluster))}
        statuses = {(s.cluster_id, s.application_id): s for s in await session.scalars(select(models.Status))}
        active = {
            (p.cluster_id, p.application_id)
            for p in await session.scalars(select(models.Placement).where(models.Placement.active.is_(True)))
        }
        deployments: list[Deployment] = []
        for key in sorted(set(statuses) | active):
            cluster, application = key
            if cluster not in labels:
                continue
            status = statuses.get(key)
            deployments.append(
                Deployment(
                    cluster=cluster,
                    cluster_labels=labels[cluster],
                    application=application,
                    observed_revision=status.observed_revision if status else None,
                    health=status.health if status else Health.UNKNOWN.value,
                    images=tuple(status.images) if status else (),
                    # Reported removed, or removal sent and the report of it not in yet.
                    removed=(status.removed if status else False) or key not in active,
                )
            )
        return deployments

    async def versions(self, selector: str | None, application: str | None) -> list[ApplicationVersions]:
        parsed = _selector(selector)
        async with self.ctx.reading() as session:
            apps = await session.scalars(select(models.Application).where(models.Application.deleted_at.is_(None)))
            revisions = {a.id: a.revision for a in apps}
            return versions_view(revisions, await self._deployments(session), parsed, application)

    async def images(self, name: str | None, selector: str | None) -> list[ImageVersions]:
        parsed = _selector(selector)
        async with self.ctx.reading() as session:
            return images_view(await self._deployments(session), parsed, name)

    async def refresh_gauges(self, metrics: HubMetrics) -> None:
        """Gauges are computed when scraped, from the store, so every replica reports the same truth."""
        now = self.ctx.clock()
        unreachable_after = timedelta(seconds=self.ctx.settings.unreachable_after_seconds)
        async with self.ctx.reading() as session:
            states = Counter(
                cluster_state(seen, now, unreachable_after)
                for seen in await session.scalars(select(models.Cluster.last_seen))
            )
            health = Counter(d.health for d in await self._deployments(session) if not d.removed)
            pending = await session.scalar(
                select(func.count())
                .select_from(models.OutboxRecord)
                .where(models.OutboxRecord.sent_at.is_(None), models.OutboxRecord.failed_at.is_(None))
            )
        for state in ClusterState:
            metrics.clusters.labels(state=state.value).set(states.get(state, 0))
        for value in {h.value for h in Health} | set(health):
            metrics.applications_health.labels(health=value).set(health.get(value, 0))
        metrics.outbox_pending.set(pending or 0)
