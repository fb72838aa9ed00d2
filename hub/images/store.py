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

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, tuple_
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
    running = select(Entry.cluster_id).where(Entry.repository == repository).distinct()
    rows = await session.execute(
        select(models.Cluster.id, models.Cluster.labels).where(models.Cluster.id.in_(running.scalar_subquery()))
    )
    return {cluster for cluster, labels in rows if selector.matches(labels or {})}


async def _counted(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> Totals:
    counted = await session.execute(
        select(
            func.count(func.distinct(Entry.cluster_id)), func.count(func.distinct(Entry.application_id)), func.count()
        ).where(*conditions)
    )
    n_clusters, n_applications, n_rows = counted.one()
    return Totals(n_clusters, n_applications, n_rows)


Key = tuple[str | None, str, str, int]


async def _keys(
    session: AsyncSession, conditions: list[ColumnElement[bool]], ordered: bool, cursor: Position | None
) -> list[Key]:
    """The matching rows' places in index order (read from the index alone), after `cursor`."""
    statement = (
        select(Entry.version_key, Entry.cluster_id, Entry.application_id, Entry.position)
        .where(*conditions, *_after(cursor, ordered))
        .order_by(*_order(ordered))
    )
    return [
        (key, cluster, application, position)
        for key, cluster, application, position in await session.execute(statement)
    ]


async def _selected_page(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    ordered: bool,
    limit: int,
    cursor: Position | None,
    clusters: set[str],
) -> tuple[Totals, list[Entry], bool]:
    """A label selector is matched in Python (hub/selectors.py): the index gives every matching row's
    place, and those on selected clusters are counted and paged."""
    keys = [k for k in await _keys(session, conditions, ordered, None) if k[1] in clusters]
    totals = Totals(len({k[1] for k in keys}), len({k[2] for k in keys}), len(keys))
    if cursor is not None:
        # Where the page starts is the database's order to say (its collation), not Python's.
        keys = [k for k in await _keys(session, conditions, ordered, cursor) if k[1] in clusters]
    shown = keys[:limit]
    if not shown:
        return totals, [], False
    # Every row of the page's clusters up to the page's last row is on the page: the first
    # len(shown) rows of those clusters, in index order, are exactly the page.
    statement = (
        select(Entry)
        .where(*conditions, *_after(cursor, ordered), Entry.cluster_id.in_(sorted({k[1] for k in shown})))
        .order_by(*_order(ordered))
        .limit(len(shown))
    )
    return totals, list(await session.scalars(statement)), len(keys) > limit


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
    if clusters is not None:
        totals, entries, more = await _selected_page(session, conditions, ordered, limit, cursor, clusters)
    else:
        totals = await _counted(session, conditions)
        statement = select(Entry).where(*conditions, *_after(cursor, ordered)).order_by(*_order(ordered))
        entries = list(await session.scalars(statement.limit(limit + 1)))
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
    return (await _counted(session, _filters(query, ordered=True))).clusters


async def count_clusters_unordered(session: AsyncSession, repository: str, *, application: str | None = None) -> int:
    """How many distinct clusters run `repository` under a tag that is no version, or a digest only."""
    query = VersionQuery(repository=repository, application=application)
    return (await _counted(session, _filters(query, ordered=False))).clusters
