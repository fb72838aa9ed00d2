"""The collector's reads: only the columns the gauges need, aggregated in SQL where the rows are many
(images, finished runs), in the caller's one read transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub.observability.gauges import ActiveRun, ClusterRow, HealthCount, ImageRow, Rows
from hub.rollouts.store import chunked
from hub.store import models


async def _clusters(session: AsyncSession) -> list[ClusterRow]:
    found = await session.execute(select(models.Cluster.id, models.Cluster.last_seen))
    return [ClusterRow(cluster, last_seen) for cluster, last_seen in found]


async def _health_counts(session: AsyncSession, side: InstrumentedAttribute[str]) -> list[HealthCount]:
    """Placed pairs by `side` (placement.cluster_id or .application_id) and health, counted in SQL: at
    fleet size the pairs are many (1,000 clusters x 20 applications), their counts few."""
    placement, status = models.Placement, models.Status
    found = await session.execute(
        select(side, status.health, func.count())
        .select_from(placement)
        .join(models.Cluster, models.Cluster.id == placement.cluster_id)
        .outerjoin(
            status,
            and_(status.cluster_id == placement.cluster_id, status.application_id == placement.application_id),
        )
        # Reported removed, or removal sent (inactive): not placed, as the fleet views count it.
        .where(placement.active.is_(True), or_(status.removed.is_(None), status.removed.is_(False)))
        .group_by(side, status.health)
    )
    return [HealthCount(key, health, count) for key, health, count in found]


async def _images(session: AsyncSession) -> list[ImageRow]:
    entry = models.ImageIndexEntry
    version = func.coalesce(entry.tag, entry.digest)
    found = await session.execute(
        select(entry.repository, version, func.count(func.distinct(entry.cluster_id))).group_by(
            entry.repository, version
        )
    )
    return [ImageRow(repository, version_, clusters) for repository, version_, clusters in found]


async def _runs(session: AsyncSession) -> tuple[dict[str, int], list[ActiveRun]]:
    run = models.RolloutRun
    states = {
        state: count for state, count in await session.execute(select(run.state, func.count()).group_by(run.state))
    }
    active = (
        await session.execute(
            select(run.application_id, run.strategy_name, run.strategy_version, run.state, run.wave).where(
                run.active.is_(True)
            )
        )
    ).all()
    # At most one active run per application: the specs to name their waves are few.
    versions = sorted({(row.strategy_name, row.strategy_version) for row in active})
    specs: dict[tuple[str, int], dict[str, Any]] = {}
    for part in chunked(versions):
        stored = models.StrategyVersion
        found = await session.execute(
            select(stored.name, stored.version, stored.spec).where(tuple_(stored.name, stored.version).in_(part))
        )
        specs.update(((name, number), spec) for name, number, spec in found)
    return states, [
        ActiveRun(
            row.application_id,
            row.strategy_name,
            row.state,
            row.wave,
            specs.get((row.strategy_name, row.strategy_version)),
        )
        for row in active
    ]


async def _outbox(session: AsyncSession) -> tuple[int, datetime | None]:
    outbox = models.OutboxRecord
    found = await session.execute(
        select(func.count(), func.min(outbox.created_at)).where(outbox.sent_at.is_(None), outbox.failed_at.is_(None))
    )
    count, oldest = found.one()
    return int(count or 0), oldest


async def read_rows(session: AsyncSession) -> Rows:
    run_states, active_runs = await _runs(session)
    pending, oldest = await _outbox(session)
    return Rows(
        clusters=await _clusters(session),
        cluster_health=await _health_counts(session, models.Placement.cluster_id),
        application_health=await _health_counts(session, models.Placement.application_id),
        images=await _images(session),
        run_states=run_states,
        active_runs=active_runs,
        outbox_pending=pending,
        outbox_oldest=oldest,
    )
