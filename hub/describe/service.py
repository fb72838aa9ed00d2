"""One application on one cluster: the stored status with its objects and their newest events."""

from __future__ import annotations

from datetime import timedelta

from hub.describe.views import DescribeOut, describe_view
from hub.errors import Invalid, NotFound
from hub.kubeevents import store as events_store
from hub.services.context import ServiceContext
from hub.store import models
from schemas.v1 import is_dns_label

# The events read for one page: enough for a few per object of a large application.
EVENTS_READ = 500


class DescribeService:
    def __init__(self, ctx: ServiceContext, events_max_age: timedelta) -> None:
        self.ctx = ctx
        self.events_max_age = events_max_age

    async def describe(self, application: str, cluster: str) -> DescribeOut:
        if not is_dns_label(cluster):
            raise Invalid(f"cluster {cluster[:80]!r} is not a valid cluster id (a DNS-1123 label)")
        async with self.ctx.reading() as session:
            app = await session.get(models.Application, application)
            if app is None or app.deleted_at is not None:
                raise NotFound(f"application {application} does not exist")
            if await session.get(models.Cluster, cluster) is None:
                raise NotFound(f"cluster {cluster} is not registered")
            placement = await session.get(models.Placement, (cluster, application))
            status = await session.get(models.Status, (cluster, application))
            if placement is None and status is None:
                raise NotFound(f"application {application} was never sent to cluster {cluster}")
            since = self.ctx.clock() - self.events_max_age
            events = await events_store.newest(session, application, cluster=cluster, since=since, limit=EVENTS_READ)
            dropped = await events_store.dropped(session, application, cluster)
            return describe_view(app, cluster, placement, status, events, dropped)
