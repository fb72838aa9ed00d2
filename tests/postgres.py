"""A real PostgreSQL server for the test session, as a pytest plugin (registered in tests/conftest.py).

Started on first use only (a run that needs no PostgreSQL never starts one), from the machine's own
PostgreSQL binaries by the same toolkit code as any other component, tied to the test process so it dies
with the session even on SIGKILL, and stopped and deleted at the end. If it cannot start, the tests that
need it fail naming the component and its log: never skipped.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PostgresServer]:
    # The data lives in a directory of its own under the system temp dir, not in pytest's basetemp:
    # as root the server runs as the postgres user, who may not enter basetemp (mode 0700), and a short
    # path keeps the socket within the 107 bytes a unix socket path may have.
    home = Path(tempfile.mkdtemp(prefix="fleetcast-postgres-"))
    # The log stays with pytest's temporary files, so it outlives the data for a post-mortem.
    server = PostgresServer(home, tmp_path_factory.mktemp("postgres") / "postgres.log")
    try:
        started = time.monotonic()
        server.start(tie_to_parent=True)
        asyncio.run(server.wait_ready())
        seconds = time.monotonic() - started
        version = asyncio.run(server.server_version())
        _say(request.config, f"PostgreSQL {version} ready at {server.url()} in {seconds:.1f}s (data in {home})")
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _say(config: pytest.Config, message: str) -> None:
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"[postgres] {message}", file=sys.stderr, flush=True)
