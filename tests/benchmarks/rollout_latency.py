"""Benchmark: how quickly a staged rollout moves from one wave to the next, and how long a 3-wave
rollout takes end to end. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.rollout_latency synthetic [--clusters 30] [--waves 3] [--rollouts 20]
    .venv/bin/python -m tests.benchmarks.rollout_latency local [--rollouts 10]

Wave-to-wave overhead: from the moment the status report that makes the last cluster of a wave pass
is produced to Kafka, until the first bundle of the next wave is on its cluster's desired topic. Both
are Kafka producer timestamps on the same machine's clock. With zero soak that is the hub's whole
reaction: the report consumer storing the report and waking the run, the driver evaluating it (one
transaction: the pass, the next wave's placements and outbox records, the audit entries), and the
relay publishing.

`synthetic`: Kafka and the hub (`fleetcast hub`, a process, SQLite) only; N registered clusters are
played by one process that answers every bundle at once with a Ready report from that cluster and
sends every cluster's heartbeat each second, so nothing but the hub is measured.
`local`: the `fleetcast dev up` fleet in a temporary directory, four real clusters with their spokes
(staging, canary, prod x2); each rollout is an image bump, so each wave includes Kubernetes rolling
the Deployment's pods. It also reports each rollout's time from the API call to `succeeded`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import TopicPartition

from deploy.local import control, kafka, processes
from deploy.local.artifacts import Artifacts
from deploy.local.fleet import LocalFleet
from deploy.local.settings import DevSettings
from schemas.v1 import (
    BundleEvent,
    Health,
    Heartbeat,
    HeartbeatEvent,
    StatusEvent,
    StatusReport,
    decode_desired,
    decode_report,
    encode,
)
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC, desired_topic, heartbeat_key, status_key
from tests.benchmarks.change_latency import manifests, percentile
from tests.kafka import new_consumer, new_producer, read_all_async

APP = "bench"


def say(message: str) -> None:
    print(f"  [bench] {message}", file=sys.stderr, flush=True)


def strategy(waves: list[str], label: str) -> dict[str, Any]:
    """Zero soak: a wave passes as soon as its clusters report the release Ready."""
    return {
        "waves": [{"name": w, "selector": f"{label}={w}", "minHealthy": "0s", "progressDeadline": "5m"} for w in waves]
    }


@dataclass
class Rollout:
    revision: int
    sent: float
    succeeded: float

    @property
    def seconds(self) -> float:
        return self.succeeded - self.sent


async def roll(http: httpx.AsyncClient, tag: int, poll: float, timeout: float) -> Rollout:
    sent = time.time()
    body = {"manifests": manifests(tag, "deployment"), "selector": "", "strategy": "bench"}
    response = await http.put(f"/api/v1/applications/{APP}", json=body)
    response.raise_for_status()
    revision = response.json()["revision"]
    while time.time() < sent + timeout:
        run = (await http.get(f"/api/v1/applications/{APP}/rollout")).json()
        if run["revision"] == revision and run["state"] == "succeeded":
            return Rollout(revision, sent, time.time())
        if run["revision"] == revision and run["state"] in ("paused", "failed", "aborted", "rolled-back"):
            raise RuntimeError(f"revision {revision}: rollout {run['state']}: {run['reason']}")
        await asyncio.sleep(poll)
    raise TimeoutError(f"revision {revision} not rolled out within {timeout}s")


async def audit_log(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every audit entry of the benchmark's application, oldest first (all pages)."""
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"application": APP, "limit": 1000}
    while True:
        page = (await http.get("/api/v1/audit", params=params)).json()
        entries += page["items"]
        if page.get("next_before") is None:
            return sorted(entries, key=lambda e: e["id"])
        params["before"] = page["next_before"]


def evaluated_at(audit: list[dict[str, Any]]) -> dict[tuple[str, int], float]:
    """When the driver found each cluster passed (the evaluation's start, the hub's clock)."""
    return {
        (e["cluster"], e["revision"]): datetime.fromisoformat(e["time"]).timestamp()
        for e in audit
        if e["action"] == "rollout.cluster-passed"
    }


async def overheads(
    bootstrap: str, waves: dict[str, list[str]], revisions: list[int], passed: dict[tuple[str, int], float]
) -> dict[str, list[float]]:
    """For each rollout and each wave after the first: first bundle of the wave minus the last Ready
    report of the wave before it (Kafka producer timestamps, seconds); split at the moment the driver
    evaluated the run that found that last cluster passed."""
    published: dict[tuple[str, int], float] = {}
    for cluster in {c for members in waves.values() for c in members}:
        for record in await read_all_async(bootstrap, desired_topic(cluster)):
            if record.key == APP.encode() and record.value:
                event = decode_desired(record.value)
                if isinstance(event, BundleEvent):
                    published.setdefault((cluster, event.data.revision), record.timestamp / 1000)
    ready: dict[tuple[str, int], float] = {}
    for record in await read_all_async(bootstrap, STATUS_TOPIC):
        if record.value is None:
            continue
        data = decode_report(record.value).data
        if isinstance(data, StatusReport) and data.application == APP and data.health == Health.READY:
            ready.setdefault((data.cluster, data.last_applied_revision or 0), record.timestamp / 1000)
    order = list(waves.values())
    result: dict[str, list[float]] = {"total": [], "report -> evaluated": [], "evaluated -> published": []}
    for revision in revisions:
        for before, after in itertools.pairwise(order):
            last = max(before, key=lambda c: ready[(c, revision)])
            first_bundle = min(published[(c, revision)] for c in after)
            result["total"].append(first_bundle - ready[(last, revision)])
            result["report -> evaluated"].append(passed[(last, revision)] - ready[(last, revision)])
            result["evaluated -> published"].append(first_bundle - passed[(last, revision)])
    return result


def show(title: str, seconds: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    values = [scale * s for s in seconds]
    print(
        f"{title}: p50 {percentile(values, 0.5):.0f}  p90 {percentile(values, 0.9):.0f}  "
        f"p99 {percentile(values, 0.99):.0f}  max {max(values):.0f}  mean {statistics.fmean(values):.0f} {unit}"
        f"  (n={len(values)})"
    )


# -- synthetic: the hub alone, with a process playing every cluster's spoke --------------------------


@asynccontextmanager
async def kafka_alone(home: Path) -> AsyncIterator[str]:
    settings = DevSettings(state_dir=home, clusters=1)
    libs = await Artifacts(settings, say).ensure_kafka()
    ports = kafka.KafkaPorts(processes.free_port(), processes.free_port())
    broker = kafka.KafkaBroker(libs, home / "kafka", home / "kafka.log", settings.kafka_heap)
    record = broker.start(ports, tie_to_parent=True)
    try:
        await kafka.wait_ready(record, ports.bootstrap, 120)
        yield ports.bootstrap
    finally:
        processes.stop(record)


@asynccontextmanager
async def hub_process(home: Path, bootstrap: str) -> AsyncIterator[tuple[str, str]]:
    database = home / "hub.db"
    token = await control.ensure_admin_token(home / "admin.token", database)
    port = processes.free_port()
    record = processes.spawn("hub", control.hub_args(port, database, bootstrap), home / "hub.log", tie_to_parent=True)
    try:
        await control.wait_http_ok("hub", f"{control.hub_url(port)}/readyz", record, 60)
        yield control.hub_url(port), token
    finally:
        processes.stop(record)


async def play_spokes(bootstrap: str, clusters: list[str], stop: asyncio.Event) -> None:
    """Answer every bundle at once with a Ready report from its cluster; heartbeats for all each second."""
    producer = new_producer(bootstrap, acks="all", linger_ms=0)
    consumer = new_consumer(bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    await producer.start()
    await consumer.start()
    partitions = [TopicPartition(desired_topic(c), 0) for c in clusters]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)

    async def heartbeats() -> None:
        while not stop.is_set():
            now = datetime.now(UTC)
            for cluster in clusters:
                beat = Heartbeat(cluster=cluster, agent_version="bench", interval_seconds=1, time=now)
                event = HeartbeatEvent(source=f"spoke/{cluster}", cluster=cluster, data=beat)
                await producer.send(HEARTBEAT_TOPIC, encode(event), key=heartbeat_key(cluster))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    beating = asyncio.create_task(heartbeats())
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for record in records:
                    if record.value is None:
                        continue
                    event = decode_desired(record.value)
                    if not isinstance(event, BundleEvent):
                        continue
                    cluster, bundle = event.cluster, event.data
                    report = StatusReport(
                        cluster=cluster,
                        application=bundle.application,
                        observed_generation=bundle.generation,
                        observed_revision=bundle.revision,
                        last_applied_revision=bundle.revision,
                        last_attempted_revision=bundle.revision,
                        digest=bundle.digest,
                        health=Health.READY,
                        time=datetime.now(UTC),
                    )
                    status = StatusEvent(source=f"spoke/{cluster}", cluster=cluster, data=report)
                    await producer.send(STATUS_TOPIC, encode(status), key=status_key(cluster, bundle.application))
    finally:
        stop.set()
        await beating
        await consumer.stop()
        await producer.stop()


async def synthetic(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="fleetcast-bench-rollout-"))
    names = [f"w{index}" for index in range(args.waves)]
    waves = {
        w: [f"c{index:03d}" for index in range(args.clusters) if index % args.waves == i] for i, w in enumerate(names)
    }
    async with kafka_alone(home) as bootstrap, hub_process(home, bootstrap) as (url, token):
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as http:
            for wave, members in waves.items():
                for cluster in members:
                    response = await http.post("/api/v1/clusters", json={"id": cluster, "labels": {"wave": wave}})
                    response.raise_for_status()
            (await http.put("/api/v1/strategies/bench", json=strategy(names, "wave"))).raise_for_status()
            stop = asyncio.Event()
            spokes = asyncio.create_task(play_spokes(bootstrap, [c for m in waves.values() for c in m], stop))
            await asyncio.sleep(2)  # heartbeats in: every cluster ready
            results = await rollouts(http, args)
            stop.set()
            await spokes
            passed = evaluated_at(await audit_log(http))
        samples = await overheads(bootstrap, waves, [r.revision for r in results[args.warmup :]], passed)
    print()
    print(f"synthetic: {args.clusters} clusters in {args.waves} waves, hub on SQLite, zero soak")
    show_overheads(samples)
    show("API call -> rollout succeeded (every wave)", [r.seconds for r in results[args.warmup :]])


def show_overheads(samples: dict[str, list[float]]) -> None:
    show("last report of a wave -> first bundle of the next wave", samples["total"])
    show("  report produced -> driver evaluates (ingest, wake)", samples["report -> evaluated"])
    show("  evaluation -> next wave's bundle published (commit, relay)", samples["evaluated -> published"])


async def rollouts(http: httpx.AsyncClient, args: argparse.Namespace) -> list[Rollout]:
    results = []
    for tag in range(args.warmup + args.rollouts):
        results.append(await roll(http, tag, args.poll, args.timeout))
        if len(results) % 5 == 0:
            say(f"{len(results)} rollouts")
    return results


# -- local: four real clusters with their spokes -------------------------------------------------------


async def local(args: argparse.Namespace) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="fleetcast-bench-rollout-"))
    rings = {"cluster-1": "staging", "cluster-2": "canary", "cluster-3": "prod", "cluster-4": "prod"}
    labels = {cluster: {"ring": ring} for cluster, ring in rings.items()}
    settings = DevSettings(state_dir=state_dir, clusters=4, hub_port=0, labels=labels)
    fleet = LocalFleet(settings, say, tie_to_parent=True)
    state = await fleet.up()
    try:
        assert state.hub_url is not None
        headers = {"Authorization": f"Bearer {fleet.admin_token()}"}
        async with httpx.AsyncClient(base_url=state.hub_url, timeout=30, headers=headers) as http:
            body = strategy(["staging", "canary", "prod"], "ring")
            (await http.put("/api/v1/strategies/bench", json=body)).raise_for_status()
            results = await rollouts(http, args)
            waves = {w: [c for c, r in rings.items() if r == w] for w in ("staging", "canary", "prod")}
            audit = await audit_log(http)
        revisions = [r.revision for r in results[args.warmup :]]
        samples = await overheads(state.kafka_bootstrap, waves, revisions, evaluated_at(audit))
        measured = {r.revision for r in results[args.warmup :]}
        print()
        print("local: 4 real clusters (staging, canary, prod x2), 3 waves, zero soak, an image bump each time")
        show("API call -> rollout succeeded (3 waves)", [r.seconds for r in results[args.warmup :]])
        show_overheads(samples)
        for wave, seconds in wave_times(audit, measured).items():
            show(f"  wave {wave}: started -> passed (Kubernetes rolls the pods, the spoke reports)", seconds)
    finally:
        fleet.down(purge=True)


def wave_times(audit: list[dict[str, Any]], revisions: set[int]) -> dict[str, list[float]]:
    """Per wave, from its start to its pass, out of the audit log (the hub's clock)."""
    started: dict[tuple[int, str], datetime] = {}
    result: dict[str, list[float]] = {}
    for entry in sorted(audit, key=lambda e: e["id"]):
        if entry["revision"] not in revisions:
            continue
        key = (entry["run_id"], (entry.get("details") or {}).get("wave"))
        if entry["action"] == "rollout.wave-started":
            started[key] = datetime.fromisoformat(entry["time"])
        elif entry["action"] == "rollout.wave-passed" and key in started:
            seconds = (datetime.fromisoformat(entry["time"]) - started[key]).total_seconds()
            result.setdefault(key[1], []).append(seconds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    for name, default_rollouts in (("synthetic", 20), ("local", 10)):
        mode = modes.add_parser(name)
        mode.add_argument("--rollouts", type=int, default=default_rollouts)
        mode.add_argument("--warmup", type=int, default=2)
        mode.add_argument("--poll", type=float, default=0.05, help="seconds between rollout status polls")
        mode.add_argument("--timeout", type=float, default=120.0)
        if name == "synthetic":
            mode.add_argument("--clusters", type=int, default=30)
            mode.add_argument("--waves", type=int, default=3)
    args = parser.parse_args()
    runner: Callable[[argparse.Namespace], Any] = synthetic if args.mode == "synthetic" else local
    asyncio.run(runner(args))


if __name__ == "__main__":
    main()
