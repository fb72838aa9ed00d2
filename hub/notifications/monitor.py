"""The cluster monitor: records `cluster.unreachable` and `cluster.reachable` in the audit log when a
cluster's state, derived from its heartbeats on the hub's clock, moves (reachability.py decides), so
the change is traceable (`fleetcast audit --action cluster.`) and notified like every other event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from hub.audit.log import record
from hub.auth.roles import system_actor
from hub.clusterstates import ClusterState
from hub.errors import retrying
from hub.notifications.reachability import Known, Seen, changes
from hub.services.context import ServiceContext
from hub.store import models

log = logging.getLogger(__name__)

ACTOR = system_actor("hub")


class ReachabilityMonitor:
    def __init__(self, ctx: ServiceContext, interval: float, clock: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.interval = interval
        self.clock = clock or ctx.clock
        self.quiet_until: datetime | None = None

    @property
    def unreachable_after(self) -> timedelta:
        return timedelta(seconds=self.ctx.settings.unreachable_after_seconds)

    async def run(self) -> None:
        while True:
            try:
                async for attempt in retrying("watching cluster reachability", give_up_after=None):
                    with attempt:
                        await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cluster monitor: unexpected failure; looking again later")
            await asyncio.sleep(self.interval)

    async def check(self) -> int:
        """Compare and record; how many audit events were recorded."""
        if self.quiet_until is None:
            self.quiet_until = self.clock() + self.unreachable_after
        async with self.ctx.reading() as session:
            seen = {
                c: Seen(last) for c, last in await session.execute(select(models.Cluster.id, models.Cluster.last_seen))
            }
            known = {
                r.cluster_id: Known(ClusterState(r.state), r.since)
                for r in await session.scalars(select(models.ClusterReachability))
            }
        now = self.clock()
        found, forgotten = changes(seen, known, now, self.unreachable_after, self.quiet_until)
        if not found and not forgotten:
            return 0
        recorded = 0
        async with self.ctx.storing() as session:
            if forgotten:
                await session.execute(
                    delete(models.ClusterReachability).where(models.ClusterReachability.cluster_id.in_(forgotten))
                )
            for change in found:
                row = await session.get(models.ClusterReachability, change.cluster)
                if row is None:
                    session.add(
                        models.ClusterReachability(
                            cluster_id=change.cluster, state=str(change.state), since=change.since
                        )
                    )
                else:
                    row.state, row.since = str(change.state), change.since
                if change.action is not None:
                    recorded += 1
                    await record(
                        session,
                        time=now,
                        actor=ACTOR,
                        action=change.action,
                        cluster=change.cluster,
                        details=dict(change.details),
                    )
        if recorded:
            self.ctx.audit_signal.set()
            log.info("cluster monitor: recorded %d reachability change(s)", recorded)
        return recorded
