"""Hub integration fixtures: a hub (in process, lifespan running) on the session's real Kafka, on each
database backend in turn (a SQLite file in tmp_path, a fresh database on the session's real PostgreSQL
server), and readers of the real desired topics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from deploy.local.postgres import PostgresServer
from hub.app import create_app
from hub.services.context import ServiceContext, utc_now
from hub.settings import HubSettings
from hub.store import models
from schemas.v1 import BundleEvent, RemovalEvent, decode_desired
from schemas.v1.topics import desired_topic
from tests.integration.conftest import RunningFleet
from tests.kafka import read_all_async
from tests.waiting import eventually_async as eventually

T = TypeVar("T")


def unique(prefix: str = "h") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    """Every record of a topic from the start up to its current end (key, value, headers)."""
    return [(r.key, r.value, list(r.headers.items())) for r in await read_all_async(bootstrap, topic)]


async def desired_events(bootstrap: str, cluster: str) -> list[BundleEvent | RemovalEvent]:
    return [decode_desired(value) for _key, value, _h in await read_topic(bootstrap, desired_topic(cluster)) if value]


async def wait_desired(
    bootstrap: str, cluster: str, count: int, timeout: float = 60.0
) -> list[BundleEvent | RemovalEvent]:
    """The cluster's desired events once there are `count` of them; fails if there are more."""

    async def enough() -> list[BundleEvent | RemovalEvent] | None:
        events = await desired_events(bootstrap, cluster)
        return events if len(events) >= count else None

    events = await eventually(enough, timeout, f"{count} desired event(s) for {cluster}")
    assert len(events) == count, f"expected {count} desired events for {cluster}, got {events}"
    return events


class ManualClock:
    """The hub's now, moved by the test: soaks, deadlines and staleness pass when the test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RunningHub:
    app: FastAPI
    client: httpx.AsyncClient  # authenticated with an admin token (named ADMIN)
    settings: HubSettings
    registry: CollectorRegistry

    @property
    def context(self) -> ServiceContext:
        context: ServiceContext = self.app.state.context
        return context

    async def outbox_counts(self) -> tuple[int, int]:
        """(all records, unsent records)."""
        async with self.context.reading() as session:
            total = await session.scalar(select(func.count()).select_from(models.OutboxRecord)) or 0
            unsent = (
                await session.scalar(
                    select(func.count()).select_from(models.OutboxRecord).where(models.OutboxRecord.sent_at.is_(None))
                )
                or 0
            )
        return total, unsent

    async def drained(self, timeout: float = 60.0) -> None:
        """Wait until the relay published every outbox record."""

        async def check() -> bool:
            return (await self.outbox_counts())[1] == 0

        await eventually(check, timeout, "outbox drained")

    def metric(self, name: str, labels: dict[str, str] | None = None) -> float:
        return self.registry.get_sample_value(name, labels or {}) or 0.0

    async def token(self, name: str, *roles: str, expires_in: timedelta | None = None) -> str:
        """A new token's bearer string, made through the service (as the admin command does)."""
        _view, token = await self.app.state.services.tokens.create(
            name, list(roles), created_by=ADMIN, expires_in=expires_in
        )
        return str(token)


ADMIN = "test-admin"


HubFactory = Callable[..., Any]


# Every hub test runs once per database the hub supports, each on a database of its own.
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
def database_server(request: pytest.FixtureRequest) -> PostgresServer | None:
    """The session's PostgreSQL server, or None for SQLite. A plain fixture on purpose: the server must
    start before a test's event loop runs, since its start-up runs an event loop of its own."""
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server
    return None


@pytest.fixture
async def database_url(database_server: PostgresServer | None, tmp_path: Path) -> str:
    """A fresh, empty database: a new SQLite file, or a new database on the session's PostgreSQL server."""
    if database_server is None:
        return f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    return await database_server.create_database(f"hub_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def hub_settings(local_fleet: RunningFleet, database_url: str, helm_binary: Path) -> Callable[..., HubSettings]:
    def make(**overrides: Any) -> HubSettings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "kafka_bootstrap": local_fleet.kafka_bootstrap,
            # The Helm `dev up` gives its hub: chart applications render with it.
            "helm_binary": helm_binary,
            "relay_poll_interval_seconds": 0.5,
            # Each test hub is its own group: it must not wait on, or steal from, another test's hub.
            "report_group_id": unique("fleetcast-hub-test"),
        }
        return HubSettings(**(values | overrides))

    return make


@pytest.fixture
def running_hub(hub_settings: Callable[..., HubSettings]) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(clock: Callable[[], datetime] = utc_now, **overrides: Any) -> AsyncIterator[RunningHub]:
        """A hub on the test's database; `clock` is the hub's notion of now (tests that soak drive it)."""
        settings = hub_settings(**overrides)
        registry = CollectorRegistry()
        app = create_app(settings, registry=registry, clock=clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub", timeout=30) as client:
                hub = RunningHub(app, client, settings, registry)
                # Every request needs a token: the tests act as an admin unless they ask for another.
                client.headers.update(bearer(await hub.token(ADMIN, "admin")))
                yield hub

    return start
