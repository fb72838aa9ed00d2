"""Rollout runs in the database: rows to the engine's values and back, what the engine observes of a
run's clusters, and waking a run when something it waits on changes.

A run is looked at only when it is due (`next_evaluation_at <= now`): a status report of its
application, a heartbeat that ends a silence on one of its clusters, a control action or a cluster
change sets that to now, and each evaluation sets it to the next moment time alone can change
something (a soak's end, a deadline, a timed gate). Nothing is polled across the fleet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.ingest import HealthFacts, health_facts
from hub.rollouts.model import Observation, Phase, Report, RestoreState, Run, RunState, Target, TargetState
from hub.selectors import Selector
from hub.store import models

T = TypeVar("T")

# Rows per IN (...) list: well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 500


def chunked(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_of(row: models.RolloutRun) -> Run:
    return Run(
        id=row.id,
        application=row.application_id,
        revision=row.revision,
        digest=row.digest,
        state=RunState(row.state),
        wave=row.wave,
        phase=Phase(row.phase),
        gate=row.gate,
        gate_opened_at=row.gate_opened_at,
        paused_by_failure=row.paused_by_failure,
        reason=row.reason,
    )


def write_run(row: models.RolloutRun, run: Run, now: datetime) -> None:
    finished = not run.state.active
    row.state = str(run.state)
    row.active = not finished
    row.reason = run.reason
    row.wave = run.wave
    row.phase = str(run.phase)
    row.gate = run.gate
    row.gate_opened_at = run.gate_opened_at
    row.paused_by_failure = run.paused_by_failure
    row.updated_at = now
    if finished and row.finished_at is None:
        row.finished_at = now
    if finished:
        row.next_evaluation_at = None


def target_of(row: models.RolloutTarget) -> Target:
    return Target(
        cluster=row.cluster_id,
        wave=row.wave,
        position=row.position,
        action="removal" if row.action == "removal" else "bundle",
        baseline=row.baseline_revision,
        state=TargetState(row.state),
        dispatched_at=row.dispatched_at,
        generation=row.generation,
        finished_at=row.finished_at,
        reason=row.reason,
        restore=RestoreState(row.rollback_state) if row.rollback_state else None,
        restore_dispatched_at=row.rollback_dispatched_at,
        restore_generation=row.rollback_generation,
        restore_finished_at=row.rollback_finished_at,
        restore_reason=row.rollback_reason,
    )


def target_row(run_id: int, target: Target) -> models.RolloutTarget:
    row = models.RolloutTarget(run_id=run_id, cluster_id=target.cluster)
    write_target(row, target)
    return row


def write_target(row: models.RolloutTarget, target: Target) -> None:
    row.wave = target.wave
    row.position = target.position
    row.action = target.action
    row.baseline_revision = target.baseline
    row.state = str(target.state)
    row.dispatched_at = target.dispatched_at
    row.generation = target.generation
    row.finished_at = target.finished_at
    row.reason = target.reason
    row.rollback_state = str(target.restore) if target.restore else None
    row.rollback_dispatched_at = target.restore_dispatched_at
    row.rollback_generation = target.restore_generation
    row.rollback_finished_at = target.restore_finished_at
    row.rollback_reason = target.restore_reason


async def target_rows(session: AsyncSession, run_id: int) -> dict[str, models.RolloutTarget]:
    rows = await session.scalars(select(models.RolloutTarget).where(models.RolloutTarget.run_id == run_id))
    return {row.cluster_id: row for row in rows}


def status_facts(row: models.Status) -> HealthFacts:
    """What a health gate reads from a stored status."""
    return health_facts(
        row.observed_generation,
        row.observed_revision,
        row.last_applied_revision,
        row.health,
        row.errors,
        row.objects,
        row.removed,
    )


def report_of(row: models.Status) -> Report:
    return Report(**vars(status_facts(row)), since=row.health_since or row.received_at)


async def observations(
    session: AsyncSession,
    application: str,
    selector: Selector,
    clusters: Iterable[str],
    now: datetime,
    unreachable_after: timedelta,
) -> dict[str, Observation]:
    """What the hub knows of each of `clusters` for `application`: registration, labels against the
    release's selector, the last message sent, the newest report, and heartbeat freshness."""
    names = sorted(clusters)
    known: dict[str, models.Cluster] = {}
    placements: dict[str, models.Placement] = {}
    statuses: dict[str, models.Status] = {}
    for part in chunked(names):
        known.update(
            (c.id, c) for c in await session.scalars(select(models.Cluster).where(models.Cluster.id.in_(part)))
        )
        placements.update(
            (p.cluster_id, p)
            for p in await session.scalars(
                select(models.Placement).where(
                    models.Placement.application_id == application, models.Placement.cluster_id.in_(part)
                )
            )
        )
        statuses.update(
            (s.cluster_id, s)
            for s in await session.scalars(
                select(models.Status).where(
                    models.Status.application_id == application, models.Status.cluster_id.in_(part)
                )
            )
        )
    result: dict[str, Observation] = {}
    for name in names:
        cluster = known.get(name)
        placement = placements.get(name)
        status = statuses.get(name)
        last_seen = cluster.last_seen if cluster is not None else None
        result[name] = Observation(
            registered=cluster is not None,
            selected=cluster is not None and selector.matches(cluster.labels),
            generation=placement.generation if placement is not None else 0,
            revision=placement.revision if placement is not None else None,
            last_seen=last_seen,
            reachable=last_seen is not None and now - last_seen <= unreachable_after,
            reachable_since=cluster.reachable_since if cluster is not None else None,
            report=report_of(status) if status is not None else None,
        )
    return result


def _not_due_before(now: datetime) -> ColumnElement[bool]:
    return or_(models.RolloutRun.next_evaluation_at.is_(None), models.RolloutRun.next_evaluation_at > now)


async def wake_application(session: AsyncSession, application: str, now: datetime) -> bool:
    """A report of `application` arrived: its active run (if any) is due now. Whether one was woken."""
    result = await session.execute(
        update(models.RolloutRun)
        .where(
            models.RolloutRun.application_id == application, models.RolloutRun.active.is_(True), _not_due_before(now)
        )
        .values(next_evaluation_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def wake_cluster(session: AsyncSession, cluster: str, now: datetime) -> bool:
    """Something about `cluster` changed (heartbeats resumed, labels, registration): every active run
    with it in its plan is due now."""
    runs = select(models.RolloutTarget.run_id).where(models.RolloutTarget.cluster_id == cluster)
    result = await session.execute(
        update(models.RolloutRun)
        .where(models.RolloutRun.id.in_(runs), models.RolloutRun.active.is_(True), _not_due_before(now))
        .values(next_evaluation_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def due_runs(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    rows = await session.scalars(
        select(models.RolloutRun.id)
        .where(models.RolloutRun.active.is_(True), models.RolloutRun.next_evaluation_at <= now)
        .order_by(models.RolloutRun.next_evaluation_at)
        .limit(limit)
    )
    return list(rows)


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(models.RolloutRun.next_evaluation_at)
        .where(models.RolloutRun.active.is_(True), models.RolloutRun.next_evaluation_at.is_not(None))
        .order_by(models.RolloutRun.next_evaluation_at)
        .limit(1)
    )
