"""Reading what the dependency gate needs from the store, in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.dependencies.gate import DependencyState
from hub.store import models

# What the gate sees of the dependencies on each cluster: cluster -> application -> state.
States = dict[str, dict[str, DependencyState]]


async def live_applications(session: AsyncSession, ids: Collection[str]) -> set[str]:
    if not ids:
        return set()
    found = await session.scalars(
        select(models.Application.id).where(
            models.Application.id.in_(sorted(ids)), models.Application.deleted_at.is_(None)
        )
    )
    return set(found)


async def dependency_graph(session: AsyncSession) -> dict[str, list[str]]:
    """Every live application's dependencies."""
    rows = await session.execute(
        select(models.Application.id, models.Application.depends_on).where(models.Application.deleted_at.is_(None))
    )
    return {id_: list(deps or []) for id_, deps in rows}


async def dependency_states(session: AsyncSession, clusters: Iterable[str], deps: Iterable[str]) -> States:
    """The state of each of `deps` on each of `clusters` (a superset of the pairs asked is read: a few
    rows more, in three queries however many pairs)."""
    cluster_ids, dep_ids = sorted(set(clusters)), sorted(set(deps))
    states: States = defaultdict(dict)
    if not cluster_ids or not dep_ids:
        return states
    live = await live_applications(session, dep_ids)
    where_placement = (models.Placement.cluster_id.in_(cluster_ids), models.Placement.application_id.in_(dep_ids))
    placements = {
        (p.cluster_id, p.application_id): p
        for p in await session.scalars(select(models.Placement).where(*where_placement))
    }
    statuses = {
        (s.cluster_id, s.application_id): s
        for s in await session.scalars(
            select(models.Status).where(
                models.Status.cluster_id.in_(cluster_ids), models.Status.application_id.in_(dep_ids)
            )
        )
    }
    held = set(
        await session.execute(
            select(models.HeldRecord.cluster_id, models.HeldRecord.application_id).where(
                models.HeldRecord.cluster_id.in_(cluster_ids), models.HeldRecord.application_id.in_(dep_ids)
            )
        )
    )
    for cluster in cluster_ids:
        for dep in dep_ids:
            placement, status = placements.get((cluster, dep)), statuses.get((cluster, dep))
            states[cluster][dep] = DependencyState(
                exists=dep in live,
                generation=placement.generation if placement is not None and placement.active else None,
                held=(cluster, dep) in held,
                reported_generation=status.observed_generation if status is not None else None,
                health=status.health if status is not None else None,
                removed=status.removed if status is not None else False,
            )
    return states


async def held_records(session: AsyncSession, applications: Collection[str] | None = None) -> list[models.HeldRecord]:
    """Held records, of `applications` only if given, in a stable order."""
    query = select(models.HeldRecord).order_by(models.HeldRecord.cluster_id, models.HeldRecord.application_id)
    if applications is not None:
        query = query.where(models.HeldRecord.application_id.in_(sorted(applications)))
    return list(await session.scalars(query))


async def waiting_by_cluster(session: AsyncSession, applications: Collection[str]) -> dict[tuple[str, str], list[str]]:
    """(application, cluster) -> what its held bundle waits for there."""
    return {(r.application_id, r.cluster_id): waits_of(r) for r in await held_records(session, applications)}


def waits_of(row: models.HeldRecord) -> list[str]:
    return [line for line in row.waiting_for.split("\n") if line]


def waits_text(waits: list[str]) -> str:
    return "\n".join(waits)


def by_application(rows: Iterable[models.HeldRecord]) -> dict[str, list[models.HeldRecord]]:
    grouped: dict[str, list[models.HeldRecord]] = defaultdict(list)
    for row in rows:
        grouped[row.application_id].append(row)
    return grouped
