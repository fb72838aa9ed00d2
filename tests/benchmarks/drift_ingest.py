"""Benchmark: what the drift index costs report ingest. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.drift_ingest [--clusters 1000] [--batches 100]

`ReportService.ingest_all` of consumer batches of 50 status reports (new generations of random
clusters of one application, 5 objects each, health changing) on a SQLite file, in four runs:
- `baseline`: no drift in the reports, the drift index stubbed out (the hub before drift);
- `no drift`: no drift in the reports (the common case: the index is read, nothing written);
- `steady drift`: one object of every report drifting, unchanged from report to report;
- `new drift`: one object of every report drifting anew each time (rows rewritten, an audit event each).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.drift import store as drift_store
from hub.drift.index import DriftRow
from hub.services import reports as reports_module
from hub.services.context import ServiceContext
from hub.services.reports import ReportService
from hub.settings import HubSettings
from hub.store import models
from hub.store.database import create_engine, migrate, reading_session_factory, session_factory
from hub.topics import TopicManager
from schemas.v1 import Health, ObjectRef, ObjectStatus, StatusEvent, StatusReport
from schemas.v1.drift import ObjectDrift

APP = "web"
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def report(cluster: str, generation: int, drift: ObjectDrift | None) -> StatusEvent:
    objects = [
        ObjectStatus(
            ref=ObjectRef(api_version="v1", kind="ConfigMap", name=f"config-{i}", namespace="shop"),
            action="unchanged",
            health=Health.READY if generation % 2 else Health.PROGRESSING,
            drift=drift if i == 0 else None,
        )
        for i in range(5)
    ]
    data = StatusReport(
        cluster=cluster,
        application=APP,
        observed_generation=generation,
        observed_revision=1,
        health=Health.READY,
        objects=objects,
        drift_mode="alert",
        time=T0 + timedelta(seconds=generation),
    )
    return StatusEvent(source="bench", cluster=cluster, data=data)


async def unindexed(
    _session: object, rows: Mapping[tuple[str, str], Sequence[DriftRow]]
) -> dict[tuple[str, str], list[DriftRow]]:
    return {pair: list(found) for pair, found in rows.items()}  # "before" = "after": nothing happens


async def run(kind: str, args: argparse.Namespace) -> list[float]:
    home = Path(tempfile.mkdtemp(prefix="fleetcast-drift-bench-"))
    engine = create_engine(f"sqlite+aiosqlite:///{home / 'hub.db'}")
    original = drift_store.replace_rows
    try:
        await migrate(engine)
        ctx = ServiceContext(
            session_factory(engine),
            HubSettings(database_url="sqlite+aiosqlite://"),
            TopicManager("unused:9092", 1),
            read_sessions=reading_session_factory(engine),
        )
        clusters = [f"c{i}" for i in range(args.clusters)]
        async with ctx.storing() as session:
            session.add_all(models.Cluster(id=c, labels={}, facts={}, created_at=T0, updated_at=T0) for c in clusters)
        if kind == "baseline":
            reports_module.drift_store.replace_rows = unindexed  # type: ignore[assignment]
        service = ReportService(ctx)
        rng = random.Random(7)
        timings: list[float] = []
        for number in range(args.batches):
            generation = number + 1
            if kind in ("baseline", "no drift"):
                drift = None
            else:
                since = T0 if kind == "steady drift" else T0 + timedelta(seconds=generation)
                drift = ObjectDrift(kind="modified", fields=["data.GREETING"], managers=["kubectl"], detected_at=since)
            batch = [report(c, generation, drift) for c in rng.sample(clusters, 50)]
            start = time.perf_counter()
            await service.ingest_all(batch)
            timings.append((time.perf_counter() - start) * 1000)
        return timings
    finally:
        reports_module.drift_store.replace_rows = original
        await engine.dispose()
        shutil.rmtree(home, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    print(f"ingest of 50 reports (5 objects each), {args.clusters} clusters, {args.batches} batches, SQLite")
    for kind in ("baseline", "no drift", "steady drift", "new drift"):
        timings = await run(kind, args)
        ordered = sorted(timings)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"  {kind:13} p50 {statistics.median(timings):6.1f} ms  p99 {p99:6.1f} ms", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=100)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
