"""Benchmark: how soon a notification reaches its receiver after the event commits, how fast a burst is
drained, and whether a receiver that hangs slows the others. Not a test: it prints figures
(docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.notification_latency [--events 200] [--burst 1000]
        [--postgres | --database-url postgresql+asyncpg://...] [--per-receiver 2]

The hub runs in this process (its lifespan: notifier, deliverer, monitor; no Kafka needed, the relay
and the report consumer are off) on a fresh SQLite file or the database given; receivers are aiohttp
servers on free ports in the same process, answering 204. `--postgres` starts a throwaway PostgreSQL
server from the machine's binaries (as the tests do). Events are audit rows of a notifiable type
(campaign.finished) recorded the way the services record them, in a write transaction.

- latency: one event at a time; from just after its commit to the moment the receiver has the request.
- burst: N events committed in one transaction; until every delivery is recorded delivered.
- hanging neighbour: the latency again, while another subscription's receiver never answers (and its
  deliveries pile up).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from sqlalchemy import func, select

from deploy.local.postgres import PostgresServer
from hub.app import create_app
from hub.audit.log import record
from hub.services.context import ServiceContext
from hub.settings import HubSettings
from hub.store import models
from tests.benchmarks.change_latency import percentile


class Receiver:
    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.arrivals: dict[int, float] = {}  # campaign -> monotonic arrival
        self.arrived = asyncio.Event()
        self.stop = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        document = await request.json()
        self.arrivals[int(document["details"]["campaign"])] = time.monotonic()
        self.arrived.set()
        if self.hang:
            await self.stop.wait()
        return web.Response(status=204)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{port}/hook"
    try:
        yield receiver
    finally:
        receiver.stop.set()
        await runner.cleanup()


async def commit_events(ctx: ServiceContext, first: int, count: int) -> float:
    """Record `count` campaign.finished events in one write transaction; when it committed."""
    async with ctx.writing() as session:
        for campaign in range(first, first + count):
            details = {"campaign": campaign, "image": "nginx", "to": "1.27.4", "applications": ["web"]}
            await record(session, time=ctx.clock(), actor="bench", action="campaign.finished", details=details)
    return time.monotonic()


async def delivered(ctx: ServiceContext) -> int:
    async with ctx.reading() as session:
        delivery = models.NotificationDelivery
        return int(
            await session.scalar(select(func.count()).select_from(delivery).where(delivery.status == "delivered")) or 0
        )


async def latencies(ctx: ServiceContext, receiver: Receiver, first: int, events: int) -> list[float]:
    result = []
    for campaign in range(first, first + events):
        receiver.arrived.clear()
        committed = await commit_events(ctx, campaign, 1)
        while campaign not in receiver.arrivals:
            await asyncio.wait_for(receiver.arrived.wait(), timeout=30)
            receiver.arrived.clear()
        result.append((receiver.arrivals[campaign] - committed) * 1000)
    return result


def summary(name: str, values: list[float]) -> None:
    print(
        f"{name}: n={len(values)} p50 {percentile(values, 0.5):.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
        f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms, mean {statistics.mean(values):.1f} ms"
    )


async def main(events: int, burst: int, database_url: str | None, per_receiver: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("hub").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite+aiosqlite:///{Path(directory) / 'hub.db'}"
        settings = HubSettings(
            database_url=url,
            kafka_bootstrap="127.0.0.1:9",  # nothing there: the relay and reports are off
            relay_enabled=False,
            reports_enabled=False,
            rollouts_enabled=False,
            notifications={"per_receiver_concurrency": per_receiver},
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), serving(Receiver()) as good, serving(Receiver(hang=True)) as bad:
            ctx: ServiceContext = app.state.context
            _view, token = await app.state.services.tokens.create("bench", ["admin"], created_by="bench")
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://hub", headers=headers) as client:

                async def subscribe(target: str) -> None:
                    body = {"url": target, "events": ["campaign.finished"]}
                    response = await client.post("/api/v1/notifications/subscriptions", json=body)
                    assert response.status_code == 201, response.text

                await subscribe(good.url)
                await latencies(ctx, good, 1, 5)  # warm up
                summary("latency, commit to receiver", await latencies(ctx, good, 100, events))

                start = time.monotonic()
                before = await delivered(ctx)
                await commit_events(ctx, 10_000, burst)
                while await delivered(ctx) < before + burst:  # noqa: ASYNC110 (counting rows in the database)
                    await asyncio.sleep(0.05)
                seconds = time.monotonic() - start
                print(f"burst: {burst} events delivered in {seconds:.2f} s ({burst / seconds:.0f}/s)")

                await subscribe(bad.url)
                summary("latency with a hanging neighbour", await latencies(ctx, good, 100_000, events))
                print(f"(meanwhile the hanging receiver got {len(bad.arrivals)} request(s), none answered)")


def parse(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200, help="events for each latency measurement")
    parser.add_argument("--burst", type=int, default=1000, help="events committed at once for the burst")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL server")
    parser.add_argument("--per-receiver", type=int, default=2, help="deliveries in flight per receiver (default 2)")
    args = parser.parse_args(argv)
    return {
        "events": args.events,
        "burst": args.burst,
        "database_url": args.database_url,
        "per_receiver": args.per_receiver,
        "postgres": args.postgres,
    }


def run(postgres: bool, **options: Any) -> None:
    if not postgres:
        asyncio.run(main(**options))
        return
    home = Path(tempfile.mkdtemp(prefix="fleetcast-bench-postgres-"))
    server = PostgresServer(home, home / "postgres.log")
    try:
        server.start(tie_to_parent=True)
        asyncio.run(server.wait_ready())
        options["database_url"] = asyncio.run(server.create_database("bench"))
        print(f"PostgreSQL {asyncio.run(server.server_version())}")
        asyncio.run(main(**options))
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run(**parse())
