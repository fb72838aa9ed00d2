"""Reading and writing templates and chart archives, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.charts.archive import ChartArchive
from hub.sources.store import load_chart, save_chart
from hub.store import models


async def latest(session: AsyncSession, name: str) -> models.TemplateRevision | None:
    """The template's newest revision, deleted or not; None: never published."""
    row: models.TemplateRevision | None = await session.scalar(
        select(models.TemplateRevision)
        .where(models.TemplateRevision.name == name)
        .order_by(models.TemplateRevision.revision.desc())
        .limit(1)
    )
    return row


async def revision(session: AsyncSession, name: str, number: int) -> models.TemplateRevision | None:
    return await session.get(models.TemplateRevision, (name, number))


async def live(session: AsyncSession) -> list[models.TemplateRevision]:
    """The newest revision of every template not deleted, by name."""
    newest = (
        select(models.TemplateRevision.name, func.max(models.TemplateRevision.revision).label("revision"))
        .group_by(models.TemplateRevision.name)
        .subquery()
    )
    rows = await session.scalars(
        select(models.TemplateRevision)
        .join(
            newest,
            (models.TemplateRevision.name == newest.c.name) & (models.TemplateRevision.revision == newest.c.revision),
        )
        .where(models.TemplateRevision.deleted_at.is_(None))
        .order_by(models.TemplateRevision.name)
    )
    return list(rows)


async def keep_chart(session: AsyncSession, archive: ChartArchive, now: datetime) -> None:
    """Store the chart's archive unless a chart with its digest is stored already (flushed: the template
    row that refers to it follows)."""
    await save_chart(session, archive, now)
    await session.flush()


async def chart(session: AsyncSession, digest: str) -> ChartArchive:
    """A stored chart by digest (it is stored: a template refers to it by a foreign key)."""
    return await load_chart(session, digest)


async def applications_using(session: AsyncSession, name: str) -> list[str]:
    """The live applications made from template `name` (sources are JSON: looked through here)."""
    rows = await session.scalars(
        select(models.Application).where(
            models.Application.deleted_at.is_(None), models.Application.source.is_not(None)
        )
    )
    return sorted(a.id for a in rows if (a.source or {}).get("template") == name)
