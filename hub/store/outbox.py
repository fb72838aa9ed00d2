"""Outbox queries of the relay: unsent records in id order, and marking them sent or set aside."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.store import models


async def unsent(session: AsyncSession, limit: int, max_bytes: int | None = None) -> Sequence[models.OutboxRecord]:
    """The oldest unsent records: at most `limit`, and no more than `max_bytes` of values (but at least
    one record, however big): a hundred bundles of several MB each are not loaded at once."""
    outbox = models.OutboxRecord
    waiting = (outbox.sent_at.is_(None), outbox.failed_at.is_(None))
    if max_bytes is None:
        rows = await session.scalars(select(outbox).where(*waiting).order_by(outbox.id).limit(limit))
        return rows.all()
    sizes = await session.execute(
        select(outbox.id, func.coalesce(func.length(outbox.value), 0)).where(*waiting).order_by(outbox.id).limit(limit)
    )
    ids: list[int] = []
    total = 0
    for record_id, size in sizes:
        if ids and total + size > max_bytes:
            break
        ids.append(record_id)
        total += size
    if not ids:
        return []
    rows = await session.scalars(select(outbox).where(outbox.id.in_(ids)).order_by(outbox.id))
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
