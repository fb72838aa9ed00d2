"""The databases a hub benchmark runs on: a SQLite file, and a fresh PostgreSQL server of the cached
build, each in a temporary directory removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from deploy.local.postgres import PostgresServer

CHOICES = ("sqlite", "postgres", "both")


async def on_databases(which: str, measure: Callable[[str, str], Awaitable[None]], say: Callable[[str], None]) -> None:
    """`measure(name, database_url)` on SQLite, PostgreSQL or both (`which`: one of CHOICES)."""
    if which in ("sqlite", "both"):
        home = Path(tempfile.mkdtemp(prefix="fleetcast-bench-"))
        try:
            await measure("sqlite", f"sqlite+aiosqlite:///{home / 'hub.db'}")
        finally:
            shutil.rmtree(home, ignore_errors=True)
    if which in ("postgres", "both"):
        home = Path(tempfile.mkdtemp(prefix="fleetcast-bench-pg-"))
        server = PostgresServer(home, home / "postgres.log")
        try:
            server.start(tie_to_parent=True)
            await server.wait_ready()
            say(f"PostgreSQL {await server.server_version()} at {server.url()}")
            await measure("postgres", await server.create_database("bench"))
        finally:
            server.stop()
            shutil.rmtree(home, ignore_errors=True)
