"""The drift index in the database: replacing a (cluster, application)'s rows when a report of it is
stored and they changed (like the image index), and the fleet-wide list over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, RowMapping, delete, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.drift.index import DriftRow, ObjectKey
from hub.rollouts.store import chunked
from hub.store import models

Entry = models.DriftIndexEntry

Pair = tuple[str, str]  # (cluster, application)


def _pair_conditions(part: Sequence[Pair]) -> list[ColumnElement[bool]]:
    # The cluster list lets SQLite search the primary key: a row-value IN alone scans the table.
    clusters = sorted({cluster for cluster, _ in part})
    return [Entry.cluster_id.in_(clusters), tuple_(Entry.cluster_id, Entry.application_id).in_(part)]


def _as_row(entry: RowMapping) -> DriftRow:
    return DriftRow(
        object=ObjectKey(entry["api_version"], entry["kind"], entry["namespace"], entry["name"]),
        drift=entry["drift"],
        fields=tuple(entry["fields"] or ()),
        managers=tuple(entry["managers"] or ()),
        since=entry["since"],
        mode=entry["mode"],
        corrections=entry["corrections"],
        last_correction=entry["last_correction"],
    )


async def replace_rows(session: AsyncSession, rows: Mapping[Pair, Sequence[DriftRow]]) -> dict[Pair, list[DriftRow]]:
    """Make each (cluster, application)'s rows exactly `rows[...]`, in the caller's transaction, and
    return the rows stored before. Nearly every report has no drift: the rows are read first (one
    SELECT per chunk of pairs) and only pairs whose rows differ are rewritten. The statuses they
    belong to must be flushed already (a foreign key points at them)."""
    pairs = sorted(rows)
    before: dict[Pair, list[DriftRow]] = {pair: [] for pair in pairs}
    columns = Entry.__table__.columns
    for part in chunked(pairs):
        found = await session.execute(select(*columns).where(*_pair_conditions(part)).order_by(Entry.position))
        for entry in found:
            before[(entry.cluster_id, entry.application_id)].append(_as_row(entry._mapping))
    changed = [pair for pair in pairs if list(rows[pair]) != before[pair]]
    for part in chunked(changed):
        await session.execute(delete(Entry).where(*_pair_conditions(part)))
    values = [row.values(*pair, position) for pair in changed for position, row in enumerate(rows[pair])]
    if values:
        await session.execute(insert(Entry), values)
    return before


@dataclass(frozen=True)
class DriftQuery:
    application: str | None = None
    cluster: str | None = None
    drifting_only: bool = False


Position = tuple[str, str, int]  # (cluster, application, position)


def _filters(query: DriftQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.application is not None:
        conditions.append(Entry.application_id == query.application)
    if query.cluster is not None:
        conditions.append(Entry.cluster_id == query.cluster)
    if query.drifting_only:
        conditions.append(Entry.drift.is_not(None))
    return conditions


@dataclass(frozen=True)
class Page:
    total: int
    drifting: int
    entries: list[models.DriftIndexEntry]
    next_cursor: Position | None


async def page(session: AsyncSession, query: DriftQuery, *, limit: int, cursor: Position | None) -> Page:
    """Up to `limit` rows after `cursor`, by cluster, application and position, and the exact totals."""
    conditions = _filters(query)
    total, drifting = (
        await session.execute(
            select(
                select(func.count()).select_from(Entry).where(*conditions).scalar_subquery(),
                select(func.count()).select_from(Entry).where(*conditions, Entry.drift.is_not(None)).scalar_subquery(),
            )
        )
    ).one()
    after: list[ColumnElement[bool]] = []
    if cursor is not None:
        after.append(tuple_(Entry.cluster_id, Entry.application_id, Entry.position) > tuple_(*cursor))
    statement = (
        select(Entry)
        .where(*conditions, *after)
        .order_by(Entry.cluster_id, Entry.application_id, Entry.position)
        .limit(limit + 1)
    )
    entries = list(await session.scalars(statement))
    more = len(entries) > limit
    entries = entries[:limit]
    last = entries[-1] if more and entries else None
    return Page(
        total=int(total or 0),
        drifting=int(drifting or 0),
        entries=entries,
        next_cursor=(last.cluster_id, last.application_id, last.position) if last is not None else None,
    )


async def drifting_by_pair(session: AsyncSession) -> dict[tuple[str, str, str], int]:
    """Objects drifting now per (cluster, application, mode): the gauge's values."""
    rows = await session.execute(
        select(Entry.cluster_id, Entry.application_id, Entry.mode, func.count())
        .where(Entry.drift.is_not(None))
        .group_by(Entry.cluster_id, Entry.application_id, Entry.mode)
    )
    return {(cluster, application, mode or "unknown"): int(n) for cluster, application, mode, n in rows}
