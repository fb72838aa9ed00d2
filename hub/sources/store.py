"""Charts and per-cluster renderings in the hub's database."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.charts.archive import ChartArchive, load_archive, pack
from hub.store import models


async def save_chart(session: AsyncSession, chart: ChartArchive, now: datetime) -> None:
    """Keep `chart` (once per content digest)."""
    if await session.get(models.ChartArchiveRow, chart.digest) is None:
        session.add(
            models.ChartArchiveRow(
                digest=chart.digest, name=chart.name, version=chart.version, archive=pack(chart), created_at=now
            )
        )


@lru_cache(maxsize=64)
def _unpacked(digest: str, archive: bytes) -> ChartArchive:
    # Charts are immutable by digest: unpack each once per process.
    return load_archive(archive, f"stored chart {digest}")


async def load_chart(session: AsyncSession, digest: str) -> ChartArchive:
    row = await session.get(models.ChartArchiveRow, digest)
    if row is None:
        raise LookupError(f"chart {digest} is not stored")
    return _unpacked(row.digest, bytes(row.archive))


async def renderings(
    session: AsyncSession, application: str, revision: int, clusters: Iterable[str]
) -> dict[str, models.ReleaseRendering]:
    wanted = list(clusters)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(models.ReleaseRendering).where(
            models.ReleaseRendering.application_id == application,
            models.ReleaseRendering.revision == revision,
            models.ReleaseRendering.cluster_id.in_(wanted),
        )
    )
    return {r.cluster_id: r for r in rows}


def keep_rendering(
    session: AsyncSession,
    known: Mapping[str, models.ReleaseRendering],
    application: str,
    revision: int,
    cluster: str,
    facts_digest: str,
    manifests: list[dict[str, Any]],
    digest: str,
    now: datetime,
) -> None:
    row = known.get(cluster)
    if row is None:
        session.add(
            models.ReleaseRendering(
                application_id=application,
                revision=revision,
                cluster_id=cluster,
                facts_digest=facts_digest,
                manifests=manifests,
                digest=digest,
                created_at=now,
            )
        )
    else:
        row.facts_digest, row.manifests, row.digest, row.created_at = facts_digest, manifests, digest, now


async def release_objects(session: AsyncSession, release: models.Release) -> list[dict[str, Any]]:
    """Every object of `release` on any cluster, each distinct one once: what image campaigns and
    auto-update look through. For a chart or template release, its renderings kept so far (one per cluster
    it was rendered for)."""
    if release.source is None:
        return list(release.manifests)
    rows = await session.scalars(
        select(models.ReleaseRendering)
        .where(
            models.ReleaseRendering.application_id == release.application_id,
            models.ReleaseRendering.revision == release.revision,
        )
        .order_by(models.ReleaseRendering.cluster_id)
    )
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        for obj in row.manifests:
            seen.setdefault(json.dumps(obj, sort_keys=True), obj)
    return list(seen.values())
