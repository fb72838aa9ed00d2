"""Reading what the dependency gate needs from the store, in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

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


async def dependency_states(
    session: AsyncSession, clusters: Iterable[str] | None, deps: Iterable[str]
) -> tuple[States, set[str]]:
    """The state of each of `deps` on each of `clusters`, and which of `deps` are live applications.
    `clusters` None: every cluster where one of them is placed, reported or held (elsewhere each is
    `DependencyState(exists=<live>)`). Four queries however many pairs."""
    dep_ids = sorted(set(deps))
    cluster_ids = None if clusters is None else sorted(set(clusters))
    states: States = defaultdict(dict)
    if not dep_ids or cluster_ids == []:
        return states, set()
    live = await live_applications(session, dep_ids)

    def where(table: Any) -> list[Any]:
        conditions = [table.application_id.in_(dep_ids)]
        if cluster_ids is not None:
            conditions.append(table.cluster_id.in_(cluster_ids))
        return conditions

    placements = {
        (p.cluster_id, p.application_id): p
        for p in await session.scalars(select(models.Placement).where(*where(models.Placement)))
    }
    statuses = {
        (s.cluster_id, s.application_id): s
        for s in await session.scalars(select(models.Status).where(*where(models.Status)))
    }
    held = {
        (cluster, application)
        for cluster, application in await session.execute(
            select(models.HeldRecord.cluster_id, models.HeldRecord.application_id).where(*where(models.HeldRecord))
        )
    }
    every = cluster_ids if cluster_ids is not None else sorted({c for c, _ in (*placements, *statuses, *held)})
    for cluster in every:
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
    return states, live


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
