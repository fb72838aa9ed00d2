"""Kubernetes Events in the database: a batch upserted by series, then its (cluster, application)
pruned to what retention keeps; the dropped count added up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.ingest import as_utc
from hub.kubeevents.retention import Kept, series_key, to_drop
from hub.rollouts.store import chunked
from hub.store import models
from schemas.v1.kubeevents import KubeEventBatch

Row = models.KubeEventRecord


async def store_batch(
    session: AsyncSession, batch: KubeEventBatch, *, now: datetime, keep: int, max_age: timedelta
) -> int:
    """Store `batch` in the caller's transaction; how many rows retention removed."""
    pair = (Row.cluster_id == batch.cluster, Row.application_id == batch.application)
    by_series = {series_key(event): event for event in batch.events}  # the later of two copies wins
    existing: dict[str, models.KubeEventRecord] = {}
    for part in chunked(sorted(by_series)):
        existing.update((r.series, r) for r in await session.scalars(select(Row).where(*pair, Row.series.in_(part))))
    oldest = now - max_age
    for series, event in by_series.items():
        last_time = as_utc(event.last_time)
        if last_time < oldest:
            continue  # already past retention: storing it would only delete it again
        row = existing.get(series)
        if row is None:
            row = Row(cluster_id=batch.cluster, application_id=batch.application, series=series)
            session.add(row)
        elif as_utc(row.last_time) > last_time:
            continue  # an older copy of a series already stored newer (a replay)
        ref = event.object
        row.api_version, row.kind, row.namespace, row.name = ref.api_version, ref.kind, ref.namespace, ref.name
        owner = event.owner
        row.owner_api_version = owner.api_version if owner is not None else None
        row.owner_kind = owner.kind if owner is not None else None
        row.owner_namespace = owner.namespace if owner is not None else None
        row.owner_name = owner.name if owner is not None else None
        row.type, row.reason, row.message, row.source = event.type, event.reason, event.message, event.source
        row.count = event.count
        row.first_time = as_utc(event.first_time) if event.first_time is not None else None
        row.last_time = last_time
        row.received_at = now
    if batch.dropped:
        drops = await session.get(models.KubeEventDrops, (batch.cluster, batch.application))
        if drops is None:
            drops = models.KubeEventDrops(cluster_id=batch.cluster, application_id=batch.application, dropped=0)
            session.add(drops)
        drops.dropped += batch.dropped
        drops.last_dropped_at = as_utc(batch.time)
    await session.flush()
    kept = [Kept(i, as_utc(t)) for i, t in await session.execute(select(Row.id, Row.last_time).where(*pair))]
    gone = to_drop(kept, keep=keep, now=now, max_age=max_age)
    for ids in chunked(gone):
        await session.execute(delete(Row).where(Row.id.in_(ids)))
    return len(gone)


async def newest(
    session: AsyncSession,
    application: str,
    *,
    cluster: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    limit: int,
) -> list[models.KubeEventRecord]:
    """The newest events of `application` (on `cluster`, of `event_type`, last seen at `since` or
    later), newest first."""
    conditions = [Row.application_id == application]
    if since is not None:
        # A (cluster, application) whose spoke went quiet is pruned by age only at its next batch.
        conditions.append(Row.last_time >= since)
    if cluster is not None:
        conditions.append(Row.cluster_id == cluster)
    if event_type is not None:
        conditions.append(Row.type == event_type)
    statement = select(Row).where(*conditions).order_by(Row.last_time.desc(), Row.id.desc()).limit(limit)
    return list(await session.scalars(statement))


async def dropped(session: AsyncSession, application: str, cluster: str | None = None) -> int:
    conditions = [models.KubeEventDrops.application_id == application]
    if cluster is not None:
        conditions.append(models.KubeEventDrops.cluster_id == cluster)
    return sum(await session.scalars(select(models.KubeEventDrops.dropped).where(*conditions)))
