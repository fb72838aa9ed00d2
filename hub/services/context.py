"""What every service shares: sessions, settings, the clock, the relay's wake-up signal, and the one
write path that turns planned changes into placements and outbox records in a single transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.dependencies.hold import send_or_hold
from hub.desired import desired_record, size_problem
from hub.errors import Invalid
from hub.placements import Change, Placement, apply_change
from hub.settings import HubSettings
from hub.store import models
from hub.topics import TopicManager
from schemas.v1.desired import content_digest
from schemas.v1.drift import DriftPolicy


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    sessions: async_sessionmaker[AsyncSession]
    settings: HubSettings
    topics: TopicManager
    clock: Callable[[], datetime] = utc_now
    # Sessions for transactions that only read (on SQLite: never waiting for, or blocking, a writer);
    # None: the same as `sessions`.
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    # Set after every commit that wrote outbox records: the relay publishes at once instead of at its
    # next poll. In-process only; another replica's relay finds the records by polling.
    outbox_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when a run became due (a report, a control action): the rollout driver looks at once.
    rollout_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Set after every commit of `writing()` (each may have added audit events): the notifier reads the
    # audit log at once instead of at its next poll. Others that record audit events set it themselves.
    audit_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Set after report ingest stored statuses (and every commit of `writing()`): the dependency
    # dispatcher looks for held bundles whose dependencies became Ready.
    dependencies_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Generation bumps read then write; one writer at a time in this process, and the `locks` row
    # (FOR UPDATE) serializes writers across replicas on PostgreSQL.
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with (self.read_sessions or self.sessions)() as session, session.begin():
            yield session

    @asynccontextmanager
    async def storing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction that needs no cross-replica lock (reports, token use): serialized with the
        other writers of this process in order (an asyncio lock), not by SQLite polling for its lock."""
        async with self.write_lock, self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        async with self.write_lock, self.sessions() as session:
            async with session.begin():
                await session.execute(
                    select(models.Lock).where(models.Lock.name == models.PLACEMENTS_LOCK).with_for_update()
                )
                yield session
            # Committed: wake the relay, and the rollout driver (a change may have made a run due).
            # (An exception skips this, and the rollback left nothing.)
            self.outbox_signal.set()
            self.rollout_signal.set()
            self.audit_signal.set()
            self.dependencies_signal.set()  # what held bundles wait for may read differently now


def to_placement(row: models.Placement) -> Placement:
    return Placement(row.cluster_id, row.application_id, row.generation, row.active, row.revision)


def no_objects(_application: str, _cluster: str) -> list[dict[str, Any]]:
    """`write_changes`' manifests for changes that are all removals."""
    return []


async def write_changes(
    ctx: ServiceContext,
    session: AsyncSession,
    changes: Iterable[Change],
    manifests: Callable[[str, str], list[dict[str, Any]]],
    drift: Callable[[str], DriftPolicy | None] | None = None,
) -> None:
    """Record each change as the new placement and queue its desired-state record, in `session`'s
    transaction. `manifests(application, cluster)` gives the objects that cluster gets of the application's
    release (the same list for every cluster unless it is rendered per cluster), `drift(application)` its
    drift policy (None: the default)."""
    now = ctx.clock()
    # Nothing flushed on the way: each get() below would otherwise flush everything added before it.
    # The caller's transaction flushes (or commits) once.
    # One digest per list of objects, however many clusters get that same list.
    digests: dict[int, tuple[list[dict[str, Any]], str]] = {}

    def digest(objects: list[dict[str, Any]]) -> str:
        known = digests.get(id(objects))
        if known is None or known[0] is not objects:
            known = digests[id(objects)] = (objects, content_digest(objects))
        return known[1]

    with session.no_autoflush:
        for change in changes:
            policy = drift(change.application) if drift is not None and change.kind == "bundle" else None
            await _write_change(ctx, session, change, manifests, digest, now, policy)


async def _write_change(
    ctx: ServiceContext,
    session: AsyncSession,
    change: Change,
    manifests: Callable[[str, str], list[dict[str, Any]]],
    digest: Callable[[list[dict[str, Any]]], str],
    now: datetime,
    policy: DriftPolicy | None = None,
) -> None:
    if change.kind == "bundle":
        objects = manifests(change.application, change.cluster)
        record = desired_record(change, objects, now, digest(objects), policy)
    else:
        record = desired_record(change, None, now)
    problem = size_problem(
        record, max_message_bytes=ctx.settings.max_message_bytes, max_bundle_bytes=ctx.settings.max_bundle_bytes
    )
    if problem is not None:
        raise Invalid(f"application {change.application}, cluster {change.cluster}: {problem}")
    placement = apply_change(change)
    row = await session.get(models.Placement, (change.cluster, change.application))
    if row is None:
        row = models.Placement(cluster_id=change.cluster, application_id=change.application)
        session.add(row)
    row.generation = placement.generation
    row.active = placement.active
    row.revision = placement.revision
    row.kind = change.kind
    row.reason = change.reason
    row.updated_at = now
    # To the outbox, or held until the application's dependencies are Ready there (hub/dependencies).
    await send_or_hold(session, change, record, now)
