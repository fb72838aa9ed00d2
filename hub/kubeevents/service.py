"""Storing forwarded Kubernetes Events, and listing an application's newest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select

from hub.errors import Invalid, NotFound
from hub.kubeevents import store
from hub.kubeevents.views import KubeEventListOut, event_out
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import is_dns_label
from schemas.v1.envelope import KubeEventsEvent

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
EVENT_TYPES = ("Normal", "Warning")


class Outcome(StrEnum):
    INGESTED = "ingested"
    UNKNOWN_CLUSTER = "unknown-cluster"


class KubeEventService:
    def __init__(self, ctx: ServiceContext, *, keep: int, max_age: timedelta) -> None:
        self.ctx = ctx
        self.keep = keep
        self.max_age = max_age

    async def ingest_all(self, events: Sequence[KubeEventsEvent]) -> list[Outcome]:
        """Store a consumer batch in one transaction; events of unregistered clusters are skipped."""
        outcomes: list[Outcome] = []
        async with self.ctx.storing() as session:
            now = self.ctx.clock()
            names = sorted({e.data.cluster for e in events})
            known = set(await session.scalars(select(models.Cluster.id).where(models.Cluster.id.in_(names))))
            for event in events:
                if event.data.cluster not in known:
                    outcomes.append(Outcome.UNKNOWN_CLUSTER)
                    continue
                await store.store_batch(session, event.data, now=now, keep=self.keep, max_age=self.max_age)
                outcomes.append(Outcome.INGESTED)
        return outcomes

    async def list(
        self, application: str, *, cluster: str | None = None, event_type: str | None = None, limit: int | None = None
    ) -> KubeEventListOut:
        if cluster is not None and not is_dns_label(cluster):
            raise Invalid(f"cluster {cluster[:80]!r} is not a valid cluster id (a DNS-1123 label)")
        if event_type is not None and event_type not in EVENT_TYPES:
            raise Invalid(f"event type {event_type[:80]!r} is not one of {', '.join(EVENT_TYPES)}")
        async with self.ctx.reading() as session:
            app = await session.get(models.Application, application)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application} does not exist")
            rows = await store.newest(
                session,
                application,
                cluster=cluster,
                event_type=event_type,
                since=self.ctx.clock() - self.max_age,
                limit=limit or DEFAULT_LIMIT,
            )
            dropped = await store.dropped(session, application, cluster)
        return KubeEventListOut(application=application, items=[event_out(r) for r in rows], dropped=dropped)
