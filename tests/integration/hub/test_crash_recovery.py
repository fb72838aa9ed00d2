"""Invariant 1 across a crash: a change committed by a hub that dies before publishing it is published
exactly once by the next hub on the same database, and a clean restart publishes nothing again.
Runs on each backend (`database_url` is a fresh SQLite file or a fresh PostgreSQL database)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schemas.v1 import BundleEvent
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import bearer, desired_events, unique, wait_desired
from tests.tokens import bootstrap_token
from tests.waiting import eventually_async as eventually

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def hub_process(
    database_url: str, kafka: str, port: int, log: Path, *, relay: bool
) -> Iterator[subprocess.Popen[bytes]]:
    env = os.environ | {
        "FLEETCAST_HUB_RELAY_ENABLED": str(relay).lower(),
        "FLEETCAST_HUB_RELAY_POLL_INTERVAL_SECONDS": "0.5",
        "FLEETCAST_HUB_REPORT_GROUP_ID": unique("fleetcast-hub-test"),
    }
    command = [sys.executable, "-m", "hub", "--port", str(port), "--kafka-bootstrap", kafka]
    command += ["--database-url", database_url]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


async def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async def healthy() -> bool:
        assert process.poll() is None, f"hub exited with {process.returncode}: {log.read_text()[-3000:]}"
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{base}/healthz", timeout=2)).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(healthy, 60, "hub answering /healthz")


async def outbox(database_url: str) -> list[tuple[int, str, bool]]:
    """The outbox as the database has it, read past the hub (which may be dead or not yet started)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT id, topic, sent_at IS NOT NULL FROM outbox ORDER BY id"))
            rows = result.all()
    finally:
        await engine.dispose()
    return [(int(i), str(t), bool(s)) for i, t, s in rows]


async def test_a_change_committed_before_a_crash_is_published_exactly_once(
    local_fleet: RunningFleet, database_url: str, tmp_path: Path
) -> None:
    kafka = local_fleet.kafka_bootstrap
    log = tmp_path / "hub.log"
    cluster, app = unique(), unique("app")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = bearer(bootstrap_token(database_url))

    # 1. A hub that commits but never publishes: the crash window between commit and publish, held open.
    with hub_process(database_url, kafka, port, log, relay=False) as first:
        await wait_healthy(base, first, log)
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
            assert (await client.post("/api/v1/clusters", json={"id": cluster})).status_code == 201
            response = await client.put(f"/api/v1/applications/{app}", json={"manifests": MANIFESTS, "selector": ""})
            assert response.status_code == 201, response.text
        assert [(topic, sent) for _id, topic, sent in await outbox(database_url)] == [
            (f"fleetcast.v1.desired.{cluster}", False)
        ]
        assert await desired_events(kafka, cluster) == []
        first.send_signal(signal.SIGKILL)
        first.wait(10)

    # 2. Restarted normally on the same database: the committed change goes out, once.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with hub_process(database_url, kafka, port, log, relay=True) as second:
        await wait_healthy(base, second, log)

        async def all_sent() -> bool:
            return all(sent for _id, _topic, sent in await outbox(database_url))

        await eventually(all_sent, 30, "outbox published after the restart")
        (event,) = await wait_desired(kafka, cluster, 1)
        assert isinstance(event, BundleEvent)
        assert (event.data.application, event.data.generation, event.data.revision) == (app, 1, 1)
        # SIGTERM: a clean shutdown, exit code 0.
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 30) == 0, log.read_text()[-3000:]

    # 3. Another restart finds nothing unsent and publishes nothing again.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with hub_process(database_url, kafka, port, log, relay=True) as third:
        await wait_healthy(base, third, log)
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
            assert (await client.get(f"/api/v1/applications/{app}")).json()["revision"] == 1
        assert len(await outbox(database_url)) == 1
        assert len(await desired_events(kafka, cluster)) == 1
