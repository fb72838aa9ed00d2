"""Outbox queries of the relay: unsent records in id order, and marking them sent or set aside."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.store import models


async def unsent(session: AsyncSession, limit: int) -> Sequence[models.OutboxRecord]:
    rows = await session.scalars(
        select(models.OutboxRecord)
        .where(models.OutboxRecord.sent_at.is_(None), models.OutboxRecord.failed_at.is_(None))
        .order_by(models.OutboxRecord.id)
        .limit(limit)
    )
    return rows.all()


async def mark_sent(session: AsyncSession, ids: Sequence[int], when: datetime) -> None:
    if ids:
        await session.execute(update(models.OutboxRecord).where(models.OutboxRecord.id.in_(ids)).values(sent_at=when))


async def mark_failed(session: AsyncSession, record_id: int, when: datetime, error: str) -> None:
    await session.execute(
        update(models.OutboxRecord)
        .where(models.OutboxRecord.id == record_id)
        .values(failed_at=when, error=error[:2000])
    )
