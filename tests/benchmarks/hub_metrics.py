"""Benchmark: what the hub's gauge collector costs on a fleet-sized store, and what a scrape of
/metrics then weighs. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.hub_metrics [--database sqlite|postgres|both]
        [--clusters 1000] [--applications 20] [--containers 2] [--refreshes 50]

A synthetic store written through the hub's own migrations: N clusters (95% heard from seconds ago,
4% silent for minutes, 1% never heard from), every application placed on every cluster with a status
report (90% Ready, 5% Progressing, 3% Degraded, 1% Missing, 1% not reported yet) whose containers are
in the image index (each application its own image at one of 5 versions, plus a sidecar at one of
3), 10 finished rollout runs per application and an active one on a quarter of them (half of those
waiting for an approval), and 50 unpublished outbox records.

Measured, each over `refreshes` runs after 3 for warm-up:
- `refresh`: `GaugeCollector.refresh_store()`, the collector's whole periodic work on the store
  (one read transaction, the gauges computed and published); split into `read` (the queries) and
  `compute + publish` (pure Python and prometheus_client).
- `floor`: an empty read transaction (`SELECT 1`): what any query costs on this machine now.
- `scrape`: `generate_latest(registry)`, what GET /metrics serializes (the route adds nothing but
  the HTTP response), with its size in bytes and series.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.images.index import index_rows
from hub.metrics import HubMetrics
from hub.observability import queries
from hub.observability.collector import GaugeCollector, SeriesPublisher, publish
from hub.observability.gauges import compute
from hub.observability.queries import read_rows
from hub.services.context import ServiceContext
from hub.settings import HubSettings
from hub.store import models
from hub.store.database import create_engine, migrate, reading_session_factory, session_factory
from hub.topics import TopicManager
from schemas.v1 import Health, RunningImage, StatusReport
from tests.benchmarks.databases import CHOICES, on_databases

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 5_000
HEALTHS = [(Health.READY, 0.90), (Health.PROGRESSING, 0.05), (Health.DEGRADED, 0.03), (Health.MISSING, 0.01)]
SPEC = {"waves": [{"name": "staging"}, {"name": "canary"}, {"name": "prod"}]}

# The collector's queries one by one (--breakdown).
QUERIES: dict[str, Callable[[AsyncSession], Awaitable[object]]] = {
    "clusters": queries._clusters,
    "health by cluster": lambda session: queries._health_counts(session, models.Placement.cluster_id),
    "health by app": lambda session: queries._health_counts(session, models.Placement.application_id),
    "images": queries._images,
    "runs": queries._runs,
    "outbox": queries._outbox,
}


def say(message: str) -> None:
    print(f"  [bench] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def health(rng: random.Random) -> Health | None:
    draw = rng.random()
    for value, share in HEALTHS:
        if draw < share:
            return value
        draw -= share
    return None  # placed, not reported yet


def last_seen(rng: random.Random) -> datetime | None:
    draw = rng.random()
    if draw < 0.01:
        return None
    if draw < 0.05:
        return NOW - timedelta(seconds=rng.uniform(60, 600))
    return NOW - timedelta(seconds=rng.uniform(0, 10))


def report(cluster: str, application: int, containers: int, found: Health, rng: random.Random) -> StatusReport:
    images = [f"registry.example.com/team/app-{application:02d}:1.{rng.randrange(5)}.0"]
    images += [f"docker.io/envoyproxy/envoy:v1.3{rng.randrange(3)}.0" for _ in range(containers - 1)]
    return StatusReport(
        cluster=cluster,
        application=f"app-{application:02d}",
        observed_generation=1,
        observed_revision=1,
        health=found,
        images=sorted(set(images)),
        containers=[
            RunningImage(kind="Deployment", namespace="apps", name=f"app-{application:02d}", container=f"c{k}", image=i)
            for k, i in enumerate(images)
        ],
        time=NOW,
    )


async def insert_all(engine: AsyncEngine, table: type[models.Base], rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            await connection.execute(insert(table), rows[start : start + BATCH])


async def load(engine: AsyncEngine, clusters: int, applications: int, containers: int) -> None:
    started = time.monotonic()
    rng = random.Random(7)
    await migrate(engine)
    names = [f"cluster-{c:05d}" for c in range(clusters)]
    seen = [last_seen(rng) for _ in names]
    await insert_all(
        engine,
        models.Cluster,
        [
            {
                "id": n,
                "labels": {},
                "facts": {},
                "last_seen": s,
                "heartbeat_at": s,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n, s in zip(names, seen, strict=True)
        ],
    )
    placements: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    for name in names:
        for a in range(applications):
            application = f"app-{a:02d}"
            placements.append(
                {
                    "cluster_id": name,
                    "application_id": application,
                    "generation": 1,
                    "active": True,
                    "revision": 1,
                    "kind": "bundle",
                    "updated_at": NOW,
                }
            )
            found = health(rng)
            if found is None:
                continue
            status = report(name, a, containers, found, rng)
            statuses.append(
                {
                    "cluster_id": name,
                    "application_id": application,
                    "observed_generation": 1,
                    "observed_revision": 1,
                    "removed": False,
                    "health": found.value,
                    "objects": [],
                    "images": status.images,
                    "errors": [],
                    "reported_at": NOW,
                    "received_at": NOW,
                }
            )
            index.extend(row.values(name, application) for row in index_rows(status))
    await insert_all(engine, models.Placement, placements)
    await insert_all(engine, models.Status, statuses)
    await insert_all(engine, models.ImageIndexEntry, index)
    await insert_all(
        engine,
        models.Strategy,
        [{"name": "staged", "version": 1, "digest": "d", "created_at": NOW, "updated_at": NOW}],
    )
    await insert_all(
        engine,
        models.StrategyVersion,
        [{"name": "staged", "version": 1, "spec": SPEC, "digest": "d", "created_at": NOW, "created_by": "bench"}],
    )
    runs: list[dict[str, Any]] = []
    for a in range(applications):
        for revision in range(1, 12):
            active = revision == 11 and a % 4 == 0
            state = ("waiting-for-approval" if a % 8 == 0 else "running") if active else "succeeded"
            if revision == 11 and not active:
                continue
            runs.append(
                {
                    "application_id": f"app-{a:02d}",
                    "revision": revision,
                    "digest": "d",
                    "strategy_name": "staged",
                    "strategy_version": 1,
                    "state": state,
                    "active": active,
                    "wave": 1 if active else 2,
                    "phase": "before" if state == "waiting-for-approval" else "deploy",
                    "gate": 0,
                    "paused_by_failure": False,
                    "created_at": NOW,
                    "created_by": "bench",
                    "updated_at": NOW,
                }
            )
    await insert_all(engine, models.RolloutRun, runs)
    await insert_all(
        engine,
        models.OutboxRecord,
        [
            {"topic": f"fleetcast.v1.desired.{names[i % clusters]}", "key": b"k", "value": b"v", "created_at": NOW}
            for i in range(50)
        ],
    )
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("ANALYZE"))
            await autocommit.execute(text("VACUUM"))
    say(
        f"loaded {clusters} clusters, {len(placements)} placements, {len(statuses)} statuses, "
        f"{len(index)} index rows, {len(runs)} runs in {time.monotonic() - started:.0f}s"
    )


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(3):
        await call()
    millis = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        millis.append((time.perf_counter() - started) * 1000)
    return millis


def line(name: str, millis: list[float]) -> str:
    return (
        f"{name:<18} p50 {percentile(millis, 0.5):7.1f} ms  p95 {percentile(millis, 0.95):7.1f} ms  "
        f"max {max(millis):7.1f} ms  mean {statistics.fmean(millis):7.1f} ms"
    )


async def measure(name: str, url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    try:
        await load(engine, args.clusters, args.applications, args.containers)
        settings = HubSettings(database_url=url)
        ctx = ServiceContext(
            session_factory(engine),
            settings,
            TopicManager("unused:9092", 1),
            clock=lambda: NOW,
            read_sessions=reading_session_factory(engine),
        )
        registry = CollectorRegistry()
        metrics = HubMetrics(registry)
        collector = GaugeCollector(ctx, metrics, None, settings.metrics_interval_seconds)
        unreachable_after = timedelta(seconds=settings.unreachable_after_seconds)

        async def read() -> object:
            async with ctx.reading() as session:
                return await read_rows(session)

        async with ctx.reading() as session:
            rows = await read_rows(session)
        publisher = SeriesPublisher()

        async def compute_and_publish() -> None:
            publish(metrics, compute(rows, NOW, unreachable_after), publisher)

        async def scrape() -> bytes:
            return generate_latest(registry)

        async def floor() -> object:
            async with ctx.reading() as session:
                return await session.scalar(text("SELECT 1"))

        print(f"{name}: {args.clusters} clusters x {args.applications} applications, {args.refreshes} refreshes")
        print("  " + line("floor (SELECT 1)", await timed(args.refreshes, floor)), flush=True)
        print("  " + line("refresh", await timed(args.refreshes, collector.refresh_store)), flush=True)
        print("  " + line("  read", await timed(args.refreshes, read)), flush=True)
        print("  " + line("  compute+publish", await timed(args.refreshes, compute_and_publish)), flush=True)
        if args.breakdown:
            for label, query in QUERIES.items():

                async def one(query: Callable[[AsyncSession], Awaitable[object]] = query) -> object:
                    async with ctx.reading() as session:
                        return await query(session)

                print("  " + line(f"    {label}", await timed(args.refreshes, one)), flush=True)
        print("  " + line("scrape", await timed(args.refreshes, scrape)), flush=True)
        body = generate_latest(registry).decode()
        series = [row for row in body.splitlines() if row and not row.startswith("#")]
        fleetwide = [row for row in series if "cluster=" in row]
        size = len(body.encode()) / 1024
        print(f"  scrape size        {size:.0f} KiB, {len(series)} series ({len(fleetwide)} labelled by cluster)")
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    async def measure_on(name: str, url: str) -> None:
        await measure(name, url, args)

    await on_databases(args.database, measure_on, say)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=CHOICES, default="both")
    parser.add_argument("--clusters", type=int, default=1_000)
    parser.add_argument("--applications", type=int, default=20)
    parser.add_argument("--containers", type=int, default=2)
    parser.add_argument("--refreshes", type=int, default=50)
    parser.add_argument("--breakdown", action="store_true", help="time each of the collector's queries too")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
