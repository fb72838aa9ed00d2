"""The hold: where a desired-state record goes, decided in the transaction that made it. Every
desired-state write passes here (hub/services/context.py `_write_change`).

- A bundle of an application with dependencies not all Ready on its cluster is held (replacing an older
  held one there): the dispatcher moves it to the outbox when they are.
- Any other record goes to the outbox at once and drops a held one for the same (cluster, application):
  the spoke must never get an older generation after a newer one.

Only applications with dependencies ever have held records (a change of dependencies releases or
re-holds its held ones in the same transaction): so a bundle of one without dependencies needs no look."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.dependencies.gate import DependencyState, waiting_for
from hub.dependencies.store import dependency_states, waits_text
from hub.desired import Record
from hub.placements import Change
from hub.store import models

# What the holds of one transaction know of dependency states (session.info lives as long as the
# session, and the hub's sessions are one transaction each). A release to N clusters reads the states
# of its dependencies on every cluster once, not once per cluster.
_STATES = "fleetcast.dependencies.states"  # (cluster, dependency) -> DependencyState
_LOADED = "fleetcast.dependencies.loaded"  # dependency -> live: its states on every cluster are in _STATES
_STALE = "fleetcast.dependencies.stale"  # (cluster, dependency) pairs changed since: read again


def forget_states(session: AsyncSession) -> None:
    for key in (_STATES, _LOADED, _STALE):
        session.info.pop(key, None)


def _forget_pair(session: AsyncSession, cluster: str, application: str) -> None:
    loaded: dict[str, bool] = session.info.get(_LOADED, {})
    if application in loaded:
        session.info[_STATES].pop((cluster, application), None)
        session.info[_STALE].add((cluster, application))


async def _states(session: AsyncSession, cluster: str, deps: list[str]) -> dict[str, DependencyState]:
    known: dict[tuple[str, str], DependencyState] = session.info.setdefault(_STATES, {})
    loaded: dict[str, bool] = session.info.setdefault(_LOADED, {})
    stale: set[tuple[str, str]] = session.info.setdefault(_STALE, set())
    fresh = [d for d in deps if d not in loaded]
    if fresh:
        everywhere, live = await dependency_states(session, None, fresh)
        known.update(((c, d), state) for c, by_dep in everywhere.items() for d, state in by_dep.items())
        loaded.update((d, d in live) for d in fresh)
    again = [d for d in deps if (cluster, d) in stale]
    if again:
        here, _live = await dependency_states(session, [cluster], again)
        known.update(((cluster, d), state) for d, state in here[cluster].items())
        stale.difference_update((cluster, d) for d in again)
    return {d: known.get((cluster, d)) or DependencyState(exists=loaded[d]) for d in deps}


async def held_row(session: AsyncSession, cluster: str, application: str) -> models.HeldRecord | None:
    """The held record of (cluster, application), also one added earlier in this transaction and not
    flushed yet (a get() would not see it)."""
    for pending in session.new:
        if (
            isinstance(pending, models.HeldRecord)
            and pending.cluster_id == cluster
            and pending.application_id == application
        ):
            return pending
    return await session.get(models.HeldRecord, (cluster, application))


async def drop_held(session: AsyncSession, cluster: str, application: str) -> None:
    row = await held_row(session, cluster, application)
    if row is None:
        return
    if row in session.new:
        session.expunge(row)
    else:
        await session.delete(row)


async def send_or_hold(session: AsyncSession, change: Change, record: Record, now: datetime) -> list[str]:
    """Queue `record` (made for `change`) in the outbox, or hold it; what it waits for ([]: sent)."""
    deps: list[str] = []
    if change.kind == "bundle":
        app = await session.get(models.Application, change.application)
        deps = list(app.depends_on or []) if app is not None else []
    # This change moves the (cluster, application) pair: a state of it read before is stale now.
    _forget_pair(session, change.cluster, change.application)
    if deps:
        waits = waiting_for(deps, await _states(session, change.cluster, deps))
        if waits:
            hold(session, await held_row(session, change.cluster, change.application), change, record, now, waits)
            return waits
        await drop_held(session, change.cluster, change.application)
    elif change.kind == "removal":
        await drop_held(session, change.cluster, change.application)
    session.add(models.OutboxRecord(topic=record.topic, key=record.key, value=record.value, created_at=now))
    return []


def hold(
    session: AsyncSession,
    row: models.HeldRecord | None,
    change: Change,
    record: Record,
    now: datetime,
    waits: list[str],
) -> None:
    if row is None:
        row = models.HeldRecord(cluster_id=change.cluster, application_id=change.application)
        session.add(row)
    row.generation = change.generation
    row.topic, row.key, row.value = record.topic, record.key, record.value
    row.created_at = now
    row.waiting_for = waits_text(waits)
