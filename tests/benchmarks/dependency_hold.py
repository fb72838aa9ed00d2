"""Benchmark: what dependsOn costs on a release to many clusters. Not a test: it prints figures
(docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.dependency_hold [--database sqlite|postgres|both] [--clusters 500]

A store with N clusters (rows written directly) and an application `db` placed on every one. Measured,
through the hub's own services (no HTTP, no Kafka: the outbox is the end of the line):
- `release, no deps`: a new application's first release to every cluster (`ApplicationService.put`):
  N bundles to the outbox, the baseline;
- `release, held`: the same for an application depending on `db`, which has not reported anywhere:
  N bundles held, each judged on its cluster;
- `dispatch`: once `db` reports Ready everywhere, `DependencyDispatcher.dispatch()`: the N held bundles
  moved to the outbox with their audit events, in one write transaction;
- `dispatch, nothing`: a wake-up that finds nothing to do (what every report batch costs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from hub.dependencies.dispatcher import DependencyDispatcher
from hub.rollouts.service import RolloutService
from hub.services.applications import ApplicationService
from hub.services.context import ServiceContext
from hub.settings import HubSettings
from hub.store import models
from hub.store.database import create_engine, migrate, reading_session_factory, session_factory
from hub.topics import TopicManager
from schemas.kafka import KafkaClientSettings
from tests.benchmarks.databases import CHOICES, on_databases

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}, "data": {}}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def timed(what: Any) -> float:
    start = time.perf_counter()
    await what
    return (time.perf_counter() - start) * 1000


async def measure(name: str, url: str, clusters: int) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        ctx = ServiceContext(
            session_factory(engine),
            HubSettings(database_url=url),
            TopicManager(KafkaClientSettings(bootstrap="unused:9092"), 1),
            read_sessions=reading_session_factory(engine),
        )
        async with ctx.storing() as session:
            rows = [
                {"id": f"c{i:05d}", "labels": {}, "facts": {}, "created_at": NOW, "updated_at": NOW}
                for i in range(clusters)
            ]
            await session.execute(insert(models.Cluster), rows)
        applications = ApplicationService(ctx, RolloutService(ctx))
        await applications.put("db", [CONFIG], "", actor="bench")
        baseline = await timed(applications.put("plain", [CONFIG], "", actor="bench"))
        held = await timed(applications.put("web", [CONFIG], "", actor="bench", depends_on=["db"]))
        async with ctx.reading() as session:
            count = len(list(await session.scalars(select(models.HeldRecord))))
        assert count == clusters, count
        async with ctx.storing() as session:
            reports = [
                {
                    "cluster_id": f"c{i:05d}",
                    "application_id": "db",
                    "observed_generation": 1,
                    "observed_revision": 1,
                    "last_applied_revision": 1,
                    "last_attempted_revision": 1,
                    "digest": None,
                    "removed": False,
                    "health": "Ready",
                    "objects": [],
                    "images": [],
                    "errors": [],
                    "reported_at": NOW,
                    "received_at": NOW,
                }
                for i in range(clusters)
            ]
            await session.execute(insert(models.Status), reports)
        dispatcher = DependencyDispatcher(ctx, asyncio.Event(), 5.0)
        start = time.perf_counter()
        released = await dispatcher.dispatch()
        dispatch = (time.perf_counter() - start) * 1000
        assert released == clusters, released
        idle = min([await timed(dispatcher.dispatch()) for _ in range(20)])
        say(
            f"{name}, {clusters} clusters: release, no deps {baseline:.0f} ms; release, held {held:.0f} ms; "
            f"dispatch {dispatch:.0f} ms; dispatch, nothing {idle:.1f} ms"
        )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=CHOICES, default="sqlite")
    parser.add_argument("--clusters", type=int, default=500)
    args = parser.parse_args()

    async def one(name: str, url: str) -> None:
        await measure(name, url, args.clusters)

    asyncio.run(on_databases(args.database, one, say))


if __name__ == "__main__":
    main()
