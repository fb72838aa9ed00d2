"""Loading applications' current releases, shared by the cluster and application services."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.placements import Change, Release
from hub.selectors import parse_selector
from hub.store import models


async def live_releases(session: AsyncSession) -> dict[str, Release]:
    """Every application not deleted, at the release a cluster that joins it gets: its stable one (the
    newest rolled out to every cluster; with a strategy, the newest run that succeeded), with its current
    selector parsed. An application whose first rollout has not finished yet has none to give."""
    rows = await session.scalars(select(models.Application).where(models.Application.deleted_at.is_(None)))
    # Stored selectors are normalized strings the hub wrote itself, so they parse.
    return {
        a.id: Release(a.id, a.stable_revision, parse_selector(a.selector))
        for a in rows
        if a.stable_revision is not None
    }


async def releases_of(session: AsyncSession, changes: Iterable[Change]) -> dict[tuple[str, int], models.Release]:
    """The release each bundle change sends, by (application, revision)."""
    keys = sorted({(c.application, c.revision) for c in changes if c.kind == "bundle"})
    if not keys:
        return {}
    rows = await session.scalars(
        select(models.Release).where(tuple_(models.Release.application_id, models.Release.revision).in_(keys))
    )
    return {(r.application_id, r.revision): r for r in rows}


async def current_releases(session: AsyncSession) -> list[tuple[models.Application, models.Release]]:
    """Every application not deleted with its current release, by id, in one query: what fix campaigns
    and auto-update look through."""
    rows = await session.execute(
        select(models.Application, models.Release)
        .join(
            models.Release,
            and_(
                models.Release.application_id == models.Application.id,
                models.Release.revision == models.Application.revision,
            ),
        )
        .where(models.Application.deleted_at.is_(None))
        .order_by(models.Application.id)
    )
    return [(app, release) for app, release in rows]
