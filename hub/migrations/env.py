"""Alembic environment: runs on the connection the hub hands over (config.attributes["connection"]),
or, for `alembic` on the command line, on `-x url=...` (sqlite+aiosqlite or postgresql+asyncpg)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from hub.store.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    from hub.store.database import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database with: alembic -x url=sqlite+aiosqlite:///fleetcast-hub.db ...")
    asyncio.run(run_from_url(url))
