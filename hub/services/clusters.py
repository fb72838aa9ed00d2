"""Registering, relabelling and deregistering clusters, and reading them back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import CLUSTER_DEREGISTERED, CLUSTER_REGISTERED, CLUSTER_RELABELLED, record
from hub.clusterstates import cluster_state
from hub.drift.policy import loaded
from hub.errors import Conflict, Invalid, NotFound
from hub.labels import LabelError, validate_labels
from hub.placements import Change, plan_cluster_labels, plan_refresh, plan_removals
from hub.rollouts.store import wake_cluster
from hub.selectors import SelectorError, parse_selector
from hub.services.context import ServiceContext, no_objects, to_placement, write_changes
from hub.services.releases import live_releases, releases_of
from hub.sources.facts import ClusterFacts
from hub.sources.service import SourceService, stale_placements
from hub.store import models
from hub.views import (
    ClusterApplication,
    ClusterDeregistered,
    ClusterOut,
    Facts,
    RemovedFromCluster,
    deployment_fields,
    worth_showing,
)
from schemas.v1 import is_dns_label
from schemas.v1.drift import DriftPolicy
from schemas.v1.topics import desired_topic_spec, requests_topic_spec

log = logging.getLogger(__name__)


def _check_id(cluster_id: str) -> None:
    if not is_dns_label(cluster_id):
        raise Invalid(
            f"invalid cluster id {cluster_id!r}: must be a DNS-1123 label (at most 63 lowercase letters, digits "
            "and '-', starting and ending with a letter or digit)"
        )


def _labels(labels: dict[str, str]) -> dict[str, str]:
    try:
        return validate_labels(labels)
    except LabelError as error:
        raise Invalid(f"invalid labels: {error}") from error


def _applications(changes: Sequence[Change]) -> dict[str, list[str]]:
    """For the audit log: which applications a cluster change installed or removed there."""
    return {
        "installed": sorted(c.application for c in changes if c.kind == "bundle"),
        "removed": sorted(c.application for c in changes if c.kind != "bundle"),
    }


class ClusterService:
    def __init__(self, ctx: ServiceContext, sources: SourceService | None = None) -> None:
        self.ctx = ctx
        self.sources = sources if sources is not None else SourceService(None, clock=ctx.clock)

    async def register(self, cluster_id: str, labels: dict[str, str], *, actor: str) -> ClusterOut:
        _check_id(cluster_id)
        labels = _labels(labels)
        async with self.ctx.writing() as session:
            if await session.get(models.Cluster, cluster_id) is not None:
                raise Conflict(f"cluster {cluster_id} is already registered")
            now = self.ctx.clock()
            session.add(models.Cluster(id=cluster_id, labels=labels, facts={}, created_at=now, updated_at=now))
            changes = await self._replan(session, cluster_id, labels)
            await record(
                session,
                time=now,
                actor=actor,
                action=CLUSTER_REGISTERED,
                cluster=cluster_id,
                details={"labels": labels, "applications": _applications(changes)},
            )
        await self._create_topic(cluster_id)
        return await self.get(cluster_id)

    async def _create_topic(self, cluster_id: str) -> None:
        try:
            specs = [
                desired_topic_spec(cluster_id, self.ctx.settings.max_message_bytes),
                requests_topic_spec(cluster_id, self.ctx.settings.max_message_bytes),
            ]
            await self.ctx.topics.ensure(specs, give_up_after=5.0)
        except Exception:
            # Registered all the same: the relay creates the desired topic before it first publishes
            # there, a live diff the request topic before its first request.
            log.warning("cluster %s: could not create its topics yet", cluster_id, exc_info=True)

    async def _replan(self, session: AsyncSession, cluster_id: str, labels: dict[str, str]) -> list[Change]:
        releases = await live_releases(session)
        rows = await session.scalars(select(models.Placement).where(models.Placement.cluster_id == cluster_id))
        placements = {r.application_id: to_placement(r) for r in rows}
        changes = plan_cluster_labels(cluster_id, labels, releases, placements)
        cluster = await session.get(models.Cluster, cluster_id)
        facts = ClusterFacts(cluster_id, labels, (cluster.facts or {}).get("kubernetes_version") if cluster else None)
        # Charts and templates rendered with the old labels, on a cluster that keeps them: rendered again.
        kept = [p for a, p in placements.items() if a not in {c.application for c in changes}]
        changes += plan_refresh(await stale_placements(session, facts, kept))
        objects: dict[str, list[dict[str, Any]]] = {}
        drift: dict[str, DriftPolicy] = {}
        for (application, _), release in (await releases_of(session, changes)).items():
            got = await self.sources.objects_for(session, release, [cluster_id], {cluster_id: facts})
            objects[application], drift[application] = got[cluster_id], loaded(release.drift)
        await write_changes(self.ctx, session, changes, lambda app, _cluster: objects[app], lambda app: drift[app])
        # A run with this cluster in its plan judges its membership again (left the selector: skipped).
        await wake_cluster(session, cluster_id, self.ctx.clock())
        return changes

    async def set_labels(self, cluster_id: str, labels: dict[str, str], *, actor: str) -> ClusterOut:
        labels = _labels(labels)
        async with self.ctx.writing() as session:
            cluster = await session.get(models.Cluster, cluster_id)
            if cluster is None:
                raise NotFound(f"cluster {cluster_id} is not registered")
            old = dict(cluster.labels)
            cluster.labels = labels
            cluster.updated_at = self.ctx.clock()
            changes = await self._replan(session, cluster_id, labels)
            if old != labels:  # the same labels again change nothing, so there is nothing to record
                await record(
                    session,
                    time=cluster.updated_at,
                    actor=actor,
                    action=CLUSTER_RELABELLED,
                    cluster=cluster_id,
                    details={"old": old, "new": labels, "applications": _applications(changes)},
                )
        return await self.get(cluster_id)

    async def deregister(self, cluster_id: str, *, actor: str) -> ClusterDeregistered:
        async with self.ctx.writing() as session:
            cluster = await session.get(models.Cluster, cluster_id)
            if cluster is None:
                raise NotFound(f"cluster {cluster_id} is not registered")
            rows = await session.scalars(select(models.Placement).where(models.Placement.cluster_id == cluster_id))
            changes = plan_removals({r.application_id: to_placement(r) for r in rows}, "deregistered")
            await write_changes(self.ctx, session, changes, no_objects)
            # Placements stay (with their generations); reports and the cluster itself go.
            await session.execute(delete(models.Status).where(models.Status.cluster_id == cluster_id))
            await session.delete(cluster)
            await wake_cluster(session, cluster_id, self.ctx.clock())
            await record(
                session,
                time=self.ctx.clock(),
                actor=actor,
                action=CLUSTER_DEREGISTERED,
                cluster=cluster_id,
                details={"labels": dict(cluster.labels), "applications": _applications(changes)},
            )
        return ClusterDeregistered(
            id=cluster_id,
            removed=[
                RemovedFromCluster(application=c.application, revision=c.revision, generation=c.generation)
                for c in changes
            ],
        )

    async def get(self, cluster_id: str) -> ClusterOut:
        async with self.ctx.reading() as session:
            cluster = await session.get(models.Cluster, cluster_id)
            if cluster is None:
                raise NotFound(f"cluster {cluster_id} is not registered")
            return (await self._views(session, [cluster]))[0]

    async def find(self, selector: str | None) -> list[ClusterOut]:
        try:
            parsed = parse_selector(selector)
        except SelectorError as error:
            raise Invalid(str(error)) from error
        async with self.ctx.reading() as session:
            clusters = await session.scalars(select(models.Cluster).order_by(models.Cluster.id))
            return await self._views(session, [c for c in clusters if parsed.matches(c.labels)])

    async def _views(self, session: AsyncSession, clusters: Sequence[models.Cluster]) -> list[ClusterOut]:
        ids = [c.id for c in clusters]
        placements = {
            (p.cluster_id, p.application_id): p
            for p in await session.scalars(select(models.Placement).where(models.Placement.cluster_id.in_(ids)))
        }
        statuses = {
            (s.cluster_id, s.application_id): s
            for s in await session.scalars(select(models.Status).where(models.Status.cluster_id.in_(ids)))
        }
        now = self.ctx.clock()
        unreachable_after = timedelta(seconds=self.ctx.settings.unreachable_after_seconds)
        views: list[ClusterOut] = []
        for cluster in clusters:
            keys = sorted({k for k in (*placements, *statuses) if k[0] == cluster.id}, key=lambda k: k[1])
            applications = [
                ClusterApplication(application=key[1], **deployment_fields(placements.get(key), statuses.get(key)))
                for key in keys
                if worth_showing(placements.get(key), statuses.get(key))
            ]
            views.append(
                ClusterOut(
                    id=cluster.id,
                    labels=cluster.labels,
                    state=cluster_state(cluster.last_seen, now, unreachable_after),
                    last_seen=cluster.last_seen,
                    facts=Facts.model_validate(cluster.facts),
                    created_at=cluster.created_at,
                    applications=applications,
                )
            )
        return views
