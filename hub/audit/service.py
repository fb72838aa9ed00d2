"""Reading the audit log (writing is hub.audit.log.record, inside each change's own transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.audit.query import AuditQuery, next_before
from hub.audit.views import AuditEventOut, AuditPage
from hub.services.context import ServiceContext
from hub.store import models


class AuditService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def find(self, query: AuditQuery) -> AuditPage:
        event = models.AuditEvent
        conditions: list[Any] = []
        for column, value in (
            (event.application, query.application),
            (event.actor, query.actor),
            (event.cluster, query.cluster),
            (event.run_id, query.run_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if query.action is not None:
            action = query.action
            conditions.append(
                event.action.startswith(action.text, autoescape=True) if action.prefix else event.action == action.text
            )
        if query.since is not None:
            conditions.append(event.time >= query.since)
        if query.until is not None:
            conditions.append(event.time <= query.until)
        if query.before is not None:
            conditions.append(event.id < query.before)
        async with self.ctx.reading() as session:
            rows = list(
                await session.scalars(select(event).where(*conditions).order_by(event.id.desc()).limit(query.limit))
            )
        cursor = next_before([r.id for r in rows], query.limit)
        return AuditPage(items=[AuditEventOut.model_validate(r) for r in rows], next_before=cursor)
