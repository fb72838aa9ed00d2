"""The release: held bundles whose dependencies became Ready go to the outbox.

`release_ready` does it in the caller's write transaction (the dispatcher's, or a PUT that changed an
application's dependencies). `DependencyDispatcher` runs it when report ingest signals that statuses
were stored, and on a periodic poll (reports stored by another hub replica, and fresh "waiting for"
texts). Safe with several replicas: the decision is re-made inside `writing()` (the placements lock), and
a released record is deleted in the same transaction that queues it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.log import record
from hub.dependencies.gate import waiting_for
from hub.dependencies.hold import forget_states
from hub.dependencies.store import dependency_states, held_records, waits_of, waits_text
from hub.errors import retrying
from hub.services.context import ServiceContext
from hub.store import models

log = logging.getLogger(__name__)

ACTOR = "system:dependencies"
DISPATCHED = "application.dispatched-after-dependencies"


@dataclass(frozen=True)
class Decision:
    """What to do with one held record: release it (waits == []), or update what it waits for."""

    cluster: str
    application: str
    waits: list[str]
    changed: bool  # differs from what the row says


async def _decide(session: AsyncSession, rows: list[models.HeldRecord]) -> list[Decision]:
    apps = {r.application_id: await session.get(models.Application, r.application_id) for r in rows}
    deps = {name: list(app.depends_on or []) if app is not None else [] for name, app in apps.items()}
    states, _live = await dependency_states(
        session, {r.cluster_id for r in rows}, {d for ds in deps.values() for d in ds}
    )
    decisions = []
    for row in rows:
        waits = waiting_for(deps[row.application_id], states.get(row.cluster_id, {}))
        decisions.append(Decision(row.cluster_id, row.application_id, waits, waits != waits_of(row)))
    return decisions


async def pending_decisions(session: AsyncSession) -> list[Decision]:
    """What the dispatcher would change (releases and new waiting texts): read-only."""
    return [d for d in await _decide(session, await held_records(session)) if d.changed]


async def release_ready(
    session: AsyncSession, now: datetime, applications: Collection[str] | None = None
) -> list[Decision]:
    """In the caller's write transaction: move every held record (of `applications` if given) whose
    dependencies are all Ready to the outbox, with an audit event each; refresh what the others wait
    for. The records released."""
    forget_states(session)  # held records change here: what a hold in this transaction read is stale
    rows = await held_records(session, applications)
    by_key = {(r.cluster_id, r.application_id): r for r in rows}
    # The revision each held bundle carries is its placement's (placed when it was held).
    placements = {
        (p.cluster_id, p.application_id): p
        for p in await session.scalars(
            select(models.Placement).where(
                models.Placement.application_id.in_(sorted({r.application_id for r in rows}))
            )
        )
    }
    released = []
    for decision in await _decide(session, rows):
        row = by_key[(decision.cluster, decision.application)]
        if decision.waits:
            if decision.changed:
                row.waiting_for = waits_text(decision.waits)
            continue
        released.append(decision)
        waited = waits_of(row)
        session.add(models.OutboxRecord(topic=row.topic, key=row.key, value=row.value, created_at=now))
        placement = placements.get((row.cluster_id, row.application_id))
        await record(
            session,
            time=now,
            actor=ACTOR,
            action=DISPATCHED,
            application=row.application_id,
            cluster=row.cluster_id,
            revision=placement.revision if placement is not None else None,
            details={
                "generation": row.generation,
                "waited_for": waited,
                "held_since": row.created_at.isoformat(),
                "held_seconds": round((now - row.created_at).total_seconds(), 3),
            },
        )
        await session.delete(row)
    return released


class DependencyDispatcher:
    def __init__(self, ctx: ServiceContext, signal: asyncio.Event, poll_interval: float) -> None:
        self._ctx = ctx
        self._signal = signal
        self._poll_interval = poll_interval

    async def run(self) -> None:
        while True:
            # Cleared before looking: a wake-up from now on is not missed.
            self._signal.clear()
            try:
                async for attempt in retrying("dispatching after dependencies", give_up_after=None):
                    with attempt:
                        await self.dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dependency dispatcher: unexpected failure; trying again at the next poll")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), timeout=self._poll_interval)

    async def dispatch(self) -> int:
        """Release what may go now; how many records were released. Reads first: the write lock is taken
        only when something changes (most wake-ups find nothing held)."""
        async with self._ctx.reading() as session:
            if not await pending_decisions(session):
                return 0
        async with self._ctx.writing() as session:
            released = await release_ready(session, self._ctx.clock())
        for decision in released:
            log.info("dispatched %s to %s: its dependencies are Ready", decision.application, decision.cluster)
        return len(released)
