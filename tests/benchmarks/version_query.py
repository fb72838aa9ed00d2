"""Benchmark: the vulnerable-version query on a fleet-sized image index. Not a test: it prints figures
(docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.version_query [--database sqlite|postgres|both]
        [--clusters 10000] [--applications 10] [--containers 4] [--queries 300]

A synthetic store: N clusters, each with `applications` x `containers` reported container images
(10,000 x 10 x 4 = 400,000 index rows), written through the hub's own migrations and index rows
(`hub.images.index.index_rows` of a status report per (cluster, application)). Every cluster runs
nginx in one application, at a tag drawn from 1.20.0 .. 1.27.12 (variants and pre-releases among
them), `latest` on 3% of clusters, a digest only on 2%; the other images are drawn from 400
repositories with a few popular ones, as fleets are.

Measured, each over `queries` runs with a random bound:
- `query`: what GET /api/v1/images/nginx/versions?older_than=V answers (`ImageService.versions`
  without HTTP): exact totals and the first page (100 rows) of the rows in the bounds and of the rows
  apart, in one read transaction.
- `count`: `count_clusters_running(session, repository, older_than=V)`, what fix campaigns poll.
- `query, selector`: the same with `selector=env=prod` (half the clusters; labels matched in SQL).
- `floor`: an empty read transaction (`SELECT 1`) through the same sessions: what any query costs.
- `ingest 50 reports`: `ReportService.ingest_all` of a consumer batch of 50 status reports (new
  generations of random (cluster, application)s), which replaces their index rows in its transaction.
- `scan`: the count without the index (`NOT INDEXED` / sequential scan), for comparison.

SQLite: a file in a temporary directory. PostgreSQL: a throwaway server from the machine's own
binaries (deploy/local/postgres.py, as the test suite starts it; fsync off), ANALYZEd after the load.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.images.index import index_rows
from hub.images.service import ImageService
from hub.images.store import count_clusters_running
from hub.images.tags import sortable_key, version_key
from hub.services.context import ServiceContext
from hub.services.reports import ReportService
from hub.settings import HubSettings
from hub.store import models
from hub.store.database import create_engine, migrate, reading_session_factory, session_factory
from hub.topics import TopicManager
from schemas.kafka import KafkaClientSettings
from schemas.v1 import Health, RunningImage, StatusEvent, StatusReport
from tests.benchmarks.databases import CHOICES, on_databases

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NGINX = "docker.io/library/nginx"
DIGEST = "sha256:" + "ab" * 32
BATCH = 20_000


def say(message: str) -> None:
    print(f"  [bench] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


NGINX_VERSIONS = [f"1.{minor}.{patch}" for minor in range(20, 28) for patch in range(13)]


def nginx_tag(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.03:
        return "nginx:latest"
    if draw < 0.05:
        return f"nginx@{DIGEST}"
    version = rng.choice(NGINX_VERSIONS)
    suffix = rng.choice(["", "", "", "-alpine", "-bookworm", "-rc.1"])
    return f"nginx:{version}{suffix}"


def other_image(rng: random.Random) -> str:
    # A few popular repositories, a long tail.
    index = min(int(rng.paretovariate(1.2)) - 1, 399)
    repository = f"registry.example.com/team-{index % 40}/service-{index}"
    return f"{repository}:{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"


def reports(
    clusters: int, applications: int, containers: int, seed: int = 7, first: int = 0, application: int | None = None
) -> Iterator[StatusReport]:
    rng = random.Random(seed)
    for c in range(first, first + clusters):
        for a in range(applications) if application is None else [application]:
            images = [nginx_tag(rng) if a == 0 and k == 0 else other_image(rng) for k in range(containers)]
            yield StatusReport(
                cluster=f"cluster-{c:05d}",
                application=f"app-{a:02d}",
                observed_generation=1,
                observed_revision=1,
                health=Health.READY,
                images=sorted(set(images)),
                containers=[
                    RunningImage(
                        kind="Deployment", namespace=f"app-{a:02d}", name="web", container=f"c{k}", image=image
                    )
                    for k, image in enumerate(images)
                ],
                time=NOW,
            )


async def load(engine: AsyncEngine, clusters: int, applications: int, containers: int) -> int:
    started = time.monotonic()
    await migrate(engine)
    cluster_rows = [
        {
            "id": f"cluster-{c:05d}",
            "labels": {"env": "prod" if c % 2 else "staging", "region": f"r{c % 7}"},
            "facts": {},
            "created_at": NOW,
            "updated_at": NOW,
        }
        for c in range(clusters)
    ]
    statuses: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    total = 0
    async with engine.begin() as connection:
        for start in range(0, len(cluster_rows), BATCH):
            await connection.execute(insert(models.Cluster), cluster_rows[start : start + BATCH])

        async def flush() -> None:
            if statuses:
                await connection.execute(insert(models.Status), statuses)
            if rows:
                await connection.execute(insert(models.ImageIndexEntry), rows)
            statuses.clear()
            rows.clear()

        for report in reports(clusters, applications, containers):
            statuses.append(
                {
                    "cluster_id": report.cluster,
                    "application_id": report.application,
                    "observed_generation": 1,
                    "observed_revision": 1,
                    "removed": False,
                    "health": "Ready",
                    "objects": [],
                    "images": report.images,
                    "errors": [],
                    "reported_at": NOW,
                    "received_at": NOW,
                }
            )
            found = index_rows(report)
            rows.extend(row.values(report.cluster, report.application) for row in found)
            total += len(found)
            if len(rows) >= BATCH:
                await flush()
        await flush()
    # What autovacuum does on a live PostgreSQL: statistics, and the visibility map that lets the
    # counts read the index alone. The throwaway server commits asynchronously, and VACUUM marks no
    # page all-visible while a recent commit may be unflushed: commit synchronously here and flush
    # first. SQLite stays as the hub keeps it, without ANALYZE statistics.
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("SET synchronous_commit = on"))
            await autocommit.execute(text("ANALYZE"))
            await autocommit.execute(text("CHECKPOINT"))
            await autocommit.execute(text("VACUUM"))
    say(f"loaded {clusters} clusters, {total} index rows in {time.monotonic() - started:.0f}s")
    return total


async def timed(runs: int, call: Callable[[str], Awaitable[object]], rng: random.Random) -> list[float]:
    for _ in range(10):  # warm-up: caches, prepared statements, the connection pool
        await call(rng.choice(NGINX_VERSIONS))
    millis = []
    for _ in range(runs):
        bound = rng.choice(NGINX_VERSIONS)
        started = time.perf_counter()
        await call(bound)
        millis.append((time.perf_counter() - started) * 1000)
    return millis


def line(name: str, millis: list[float]) -> str:
    return (
        f"{name:<18} p50 {percentile(millis, 0.5):6.1f} ms  p99 {percentile(millis, 0.99):6.1f} ms  "
        f"max {max(millis):6.1f} ms  mean {statistics.fmean(millis):6.1f} ms"
    )


async def measure(name: str, url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    try:
        total = await load(engine, args.clusters, args.applications, args.containers)
        settings = HubSettings(database_url=url)
        ctx = ServiceContext(
            session_factory(engine),
            settings,
            TopicManager(KafkaClientSettings(bootstrap="unused:9092"), 1),
            read_sessions=reading_session_factory(engine),
        )
        service = ImageService(ctx)
        rng = random.Random(11)
        example = await service.versions("nginx", older_than="1.27.4")
        say(f"{name}: {example.summary}; {example.unordered_totals.rows} rows apart")

        async def floor(bound: str) -> object:
            async with ctx.reading() as session:
                return await session.scalar(text("SELECT 1"))

        async def query(bound: str) -> object:
            return await service.versions("nginx", older_than=bound)

        async def count(bound: str) -> object:
            async with ctx.reading() as session:
                return await count_clusters_running(session, NGINX, older_than=version_key(bound))

        async def with_selector(bound: str) -> object:
            return await service.versions("nginx", older_than=bound, selector="env=prod")

        scan_sql = (
            "SELECT count(DISTINCT cluster_id) FROM image_index NOT INDEXED WHERE repository = :r AND version_key < :v"
            if name == "sqlite"
            else "SELECT count(DISTINCT cluster_id) FROM image_index WHERE repository = :r AND version_key < :v"
        )

        async def scan(bound: str) -> object:
            async with ctx.reading() as session:
                if name == "postgres":
                    await session.execute(text("SET LOCAL enable_indexscan = off"))
                    await session.execute(text("SET LOCAL enable_bitmapscan = off"))
                    await session.execute(text("SET LOCAL enable_indexonlyscan = off"))
                return await session.scalar(text(scan_sql), {"r": NGINX, "v": sortable_key(version_key(bound))})

        if args.explain:
            await explain(name, ctx)
        reports_service = ReportService(ctx)
        generation = iter(range(2, 1_000_000))

        async def ingest(bound: str) -> object:
            number = next(generation)
            batch = [
                StatusEvent(
                    source="bench", cluster=r.cluster, data=r.model_copy(update={"observed_generation": number})
                )
                for r in (
                    next(
                        reports(
                            1,
                            1,
                            args.containers,
                            seed=number * 100 + i,
                            first=rng.randrange(args.clusters),
                            application=rng.randrange(args.applications),
                        )
                    )
                    for i in range(50)
                )
            ]
            return await reports_service.ingest_all(batch)

        print(f"{name}: {args.clusters} clusters, {total} index rows, {args.queries} queries each")
        for label, call, runs in (
            ("floor (SELECT 1)", floor, args.queries),
            ("query", query, args.queries),
            ("count", count, args.queries),
            ("query, selector", with_selector, max(20, args.queries // 10)),
            ("ingest 50 reports", ingest, max(20, args.queries // 10)),
            ("scan (no index)", scan, max(20, args.queries // 10)),
        ):
            print("  " + line(label, await timed(runs, call, rng)), flush=True)
    finally:
        await engine.dispose()


async def explain(name: str, ctx: ServiceContext) -> None:
    """The plans of the count and of the first page, as the database runs them."""
    bound = sortable_key(version_key("1.27.4"))
    where = "repository = :r AND version_key IS NOT NULL AND version_key < :v"
    statements = [
        f"SELECT count(*) FROM (SELECT DISTINCT cluster_id FROM image_index WHERE {where}) AS clusters",
        f"SELECT count(DISTINCT application_id), count(*) FROM image_index WHERE {where}",
        f"SELECT * FROM image_index WHERE {where} ORDER BY version_key, cluster_id, application_id, position LIMIT 101",
    ]
    prefix = "EXPLAIN QUERY PLAN " if name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    async with ctx.reading() as session:
        if name == "postgres":
            pages = (
                await session.execute(
                    text("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'image_index'")
                )
            ).one()
            print(f"  image_index: {pages[0]} of {pages[1]} pages all-visible")
        for statement in statements:
            print(f"  {statement}")
            for row in await session.execute(text(prefix + statement), {"r": NGINX, "v": bound}):
                print("    " + " ".join(str(part) for part in row))


async def main(args: argparse.Namespace) -> None:
    async def measure_on(name: str, url: str) -> None:
        await measure(name, url, args)

    await on_databases(args.database, measure_on, say)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=CHOICES, default="both")
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--applications", type=int, default=10)
    parser.add_argument("--containers", type=int, default=4)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print the query plans first")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
