"""The managed_objects table: which sync source manages which object."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.fleetcode.plan import Key, Managed, Source
from hub.sources.origin import Origin
from hub.store import models


def managed_of(row: models.ManagedObject) -> Managed:
    return Managed(row.kind, row.name, Source(row.repository, row.path), row.ref, row.digest)


async def managed_objects(session: AsyncSession, keys: set[Key], source: Source) -> dict[Key, Managed]:
    """The records of the objects named in `keys` (whoever manages them) and of all this source manages."""
    table = models.ManagedObject
    names = {name for _kind, name in keys}
    rows = await session.scalars(
        select(table).where(
            ((table.repository == source.repository) & (table.path == source.path)) | table.name.in_(names)
        )
    )
    return {
        (r.kind, r.name): managed_of(r)
        for r in rows
        if (r.kind, r.name) in keys or (r.repository == source.repository and r.path == source.path)
    }


async def remember(
    session: AsyncSession, key: Key, origin: Origin, now: datetime, *, ref: str | None, digest: str | None
) -> None:
    row = await session.get(models.ManagedObject, key)
    if row is None:
        row = models.ManagedObject(kind=key[0], name=key[1])
        session.add(row)
    row.repository, row.path, row.commit, row.file = origin.repository, origin.path, origin.commit, origin.file
    row.synced_at, row.ref, row.digest = now, ref, digest


async def forget(session: AsyncSession, key: Key) -> None:
    row = await session.get(models.ManagedObject, key)
    if row is not None:
        await session.delete(row)
