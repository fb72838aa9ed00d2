"""The image index in the database: replacing a (cluster, application)'s rows when its report is
stored, and the version query over them, in the index's order (repository, version key, cluster,
application, position), which ix_image_index_version serves without reading the table for the
counts.

On PostgreSQL `version_key` is collated "C", so `<` and `>` compare bytes, as the key's encoding
needs; SQLite compares text bytewise anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub.images.index import IndexRow
from hub.images.query import Position, VersionQuery
from hub.images.tags import VersionKey
from hub.rollouts.store import chunked
from hub.selectors import Selector
from hub.store import models

Entry = models.ImageIndexEntry


async def replace_rows(session: AsyncSession, rows: Mapping[tuple[str, str], Sequence[IndexRow]]) -> None:
    """Make each (cluster, application)'s rows exactly `rows[...]`: one DELETE per chunk of pairs and
    one multi-row INSERT for the batch, in the caller's transaction. The statuses they belong to
    must be flushed already (a foreign key points at them)."""
    pairs = sorted(rows)
    key = tuple_(Entry.cluster_id, Entry.application_id)
    for part in chunked(pairs):
        await session.execute(delete(Entry).where(key.in_(part)))
    values = [
        row.values(cluster, application) for (cluster, application) in pairs for row in rows[(cluster, application)]
    ]
    if values:
        await session.execute(insert(Entry), values)


def _filters(query: VersionQuery, *, ordered: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Entry.repository == query.repository]
    if ordered:
        conditions.append(Entry.version_key.is_not(None))
        if query.upper is not None:
            conditions.append(Entry.version_key < query.upper)
        if query.lower is not None:
            conditions.append(Entry.version_key > query.lower)
    else:
        conditions.append(Entry.version_key.is_(None))
    if query.application is not None:
        conditions.append(Entry.application_id == query.application)
    if query.excluded_tags:
        conditions.append(or_(Entry.tag.is_(None), Entry.tag.not_in(query.excluded_tags)))
    if query.excluded_digests:
        conditions.append(or_(Entry.digest.is_(None), Entry.digest.not_in(query.excluded_digests)))
    return conditions


def _order(ordered: bool) -> tuple[ColumnElement[object], ...]:
    columns = (Entry.cluster_id, Entry.application_id, Entry.position)
    return (Entry.version_key, *columns) if ordered else columns  # type: ignore[return-value]


def _after(cursor: Position | None, ordered: bool) -> list[ColumnElement[bool]]:
    if cursor is None:
        return []
    key, cluster, application, position = cursor
    if ordered:
        return [tuple_(*_order(True)) > tuple_(key, cluster, application, position)]
    return [tuple_(*_order(False)) > tuple_(cluster, application, position)]


def position_of(entry: Entry) -> Position:
    return entry.version_key or "", entry.cluster_id, entry.application_id, entry.position


@dataclass(frozen=True)
class Totals:
    clusters: int
    applications: int
    rows: int


@dataclass(frozen=True)
class Page:
    totals: Totals
    entries: list[Entry]
    next_cursor: Position | None


async def selected_clusters(session: AsyncSession, repository: str, selector: Selector) -> set[str]:
    """The clusters running the repository at all whose labels the selector matches."""
    candidates = list(await session.scalars(select(Entry.cluster_id).where(Entry.repository == repository).distinct()))
    selected: set[str] = set()
    for part in chunked(candidates):
        rows = await session.execute(
            select(models.Cluster.id, models.Cluster.labels).where(models.Cluster.id.in_(part))
        )
        selected.update(cluster for cluster, labels in rows if selector.matches(labels or {}))
    return selected


async def _totals(session: AsyncSession, conditions: list[ColumnElement[bool]], clusters: set[str] | None) -> Totals:
    if clusters is None:
        counted = await session.execute(
            select(
                func.count(func.distinct(Entry.cluster_id)),
                func.count(func.distinct(Entry.application_id)),
                func.count(),
            ).where(*conditions)
        )
        n_clusters, n_applications, n_rows = counted.one()
        return Totals(n_clusters, n_applications, n_rows)
    # A label selector is matched in Python (hub/selectors.py): count what the index holds for the
    # clusters it selected.
    seen_clusters: set[str] = set()
    seen_applications: set[str] = set()
    rows = 0
    for cluster, application in await session.execute(
        select(Entry.cluster_id, Entry.application_id).where(*conditions)
    ):
        if cluster in clusters:
            seen_clusters.add(cluster)
            seen_applications.add(application)
            rows += 1
    return Totals(len(seen_clusters), len(seen_applications), rows)


async def _entries(
    session: AsyncSession, statement: Select[Entry], clusters: set[str] | None, limit: int
) -> list[Entry]:
    if clusters is None:
        return list(await session.scalars(statement.limit(limit)))
    found: list[Entry] = []
    result = await session.stream_scalars(statement.execution_options(yield_per=500))
    async for entry in result:
        if entry.cluster_id in clusters:
            found.append(entry)
            if len(found) >= limit:
                break
    await result.close()
    return found


async def page(
    session: AsyncSession,
    query: VersionQuery,
    *,
    ordered: bool,
    limit: int,
    cursor: Position | None,
    clusters: set[str] | None,
) -> Page:
    """Exact totals, and up to `limit` rows after `cursor`, of the rows that can be ordered
    (`ordered`) or of those listed apart. `clusters`: only these (a selector's choice); None: all."""
    conditions = _filters(query, ordered=ordered)
    totals = await _totals(session, conditions, clusters)
    statement = select(Entry).where(*conditions, *_after(cursor, ordered)).order_by(*_order(ordered))
    entries = await _entries(session, statement, clusters, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return Page(totals, entries, position_of(entries[-1]) if more and entries else None)


async def count_clusters_running(
    session: AsyncSession,
    repository: str,
    *,
    older_than: VersionKey | None = None,
    newer_than: VersionKey | None = None,
    excluded: Iterable[str] = (),
    application: str | None = None,
) -> int:
    """How many distinct clusters spokes report running `repository` (canonical, see
    `hub.images.references.normalise_name`) at a version in the bounds (exclusive), leaving out the
    tags or digests in `excluded`. Tags that are no version are not counted (they cannot be ordered):
    see `count_clusters_unordered`."""
    query = VersionQuery(
        repository=repository,
        older_than=older_than,
        newer_than=newer_than,
        excluded=frozenset(excluded),
        application=application,
    )
    return (await _totals(session, _filters(query, ordered=True), None)).clusters


async def count_clusters_unordered(session: AsyncSession, repository: str, *, application: str | None = None) -> int:
    """How many distinct clusters run `repository` under a tag that is no version, or a digest only."""
    query = VersionQuery(repository=repository, application=application)
    return (await _totals(session, _filters(query, ordered=False), None)).clusters
