"""Benchmark: how long from one change at the hub API until the hub API shows it applied and healthy on
every cluster — and what the spokes cost while idle. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.change_latency [--changes 200] [--clusters 2] [--workload configmap]

It starts a fleet of its own (the same code as `fleetcast dev up`: Kafka, the clusters, the hub and a
spoke per cluster, as processes) in a temporary state directory, deploys one application (Namespace,
ConfigMap, 2-replica Deployment, Service) to every cluster, then makes `--changes` sequential changes
(a new image tag each time). For each change it measures the time from sending the PUT until
GET /api/v1/applications/<id> shows, for every cluster, the new revision observed and last applied and
health Ready: the Deployment's new pods really rolled out (kwok plays the kubelet) and reported back.
Then it measures each spoke's CPU (from /proc, user + system time) and RSS over `--idle` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from deploy.local.fleet import LocalFleet, rss_mib
from deploy.local.settings import DevSettings
from schemas.v1 import Health, StatusReport, decode_desired, decode_report
from schemas.v1.topics import STATUS_TOPIC, desired_topic
from tests.kafka import read_all_async

APP = "bench"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def manifests(tag: int, workload: str) -> str:
    """Change `tag` either in the image (a rollout: new pods) or only in the ConfigMap (no rollout)."""
    image_tag, setting = (tag, "bench") if workload == "deployment" else (0, f"bench-{tag}")
    labels = {"app": APP}
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": APP}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": APP},
            "data": {"MODE": setting},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": APP, "namespace": APP},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": f"example.test/bench/web:{image_tag}"}]},
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": APP, "namespace": APP},
            "spec": {"selector": labels, "ports": [{"port": 80}]},
        },
    ]
    return yaml.safe_dump_all(objects)


def healthy_everywhere(app: dict[str, Any], revision: int, clusters: int) -> bool:
    placed = [c for c in app.get("clusters") or [] if not c.get("removed")]
    return len(placed) == clusters and all(
        c.get("observed_revision") == revision
        and c.get("last_applied_revision") == revision
        and c.get("health") == "Ready"
        for c in placed
    )


@dataclass
class Change:
    revision: int
    sent: float  # wall clock, seconds
    answered: float
    visible: float

    @property
    def latency(self) -> float:
        return self.visible - self.sent


async def one_change(http: httpx.AsyncClient, tag: int, args: argparse.Namespace) -> Change:
    clusters, poll, timeout = args.clusters, args.poll, args.timeout
    sent = time.time()
    body = {"manifests": manifests(tag, args.workload), "selector": ""}
    response = await http.put(f"/api/v1/applications/{APP}", json=body)
    response.raise_for_status()
    answered = time.time()
    revision = response.json()["revision"]
    deadline = sent + timeout
    while time.time() < deadline:
        app = (await http.get(f"/api/v1/applications/{APP}")).json()
        if healthy_everywhere(app, revision, clusters):
            return Change(revision, sent, answered, time.time())
        await asyncio.sleep(poll)
    raise TimeoutError(f"revision {revision} not healthy everywhere within {timeout}s: {app}")


async def breakdown(bootstrap: str, clusters: list[str], changes: list[Change]) -> dict[str, list[float]]:
    """Split each change's time at the Kafka records' producer timestamps (same machine, same clock):
    API call; hub commit -> desired record published; published -> the spoke's Ready report for that
    revision produced (consume, server-side apply, inventory, health, report); report -> visible in the
    hub API (consume, store, and our poll). Per cluster, the slowest cluster of each change counts."""
    published: dict[tuple[str, int], float] = {}
    for cluster in clusters:
        for record in await read_all_async(bootstrap, desired_topic(cluster)):
            if record.key == APP.encode() and record.value:
                event = decode_desired(record.value)
                published.setdefault((cluster, event.data.revision), record.timestamp / 1000)
    reported: dict[tuple[str, int], float] = {}
    for record in await read_all_async(bootstrap, STATUS_TOPIC):
        if record.value is None:
            continue
        report = decode_report(record.value)
        data = report.data
        if isinstance(data, StatusReport) and data.application == APP and data.health == Health.READY:
            key = (data.cluster, data.last_applied_revision or 0)
            reported.setdefault(key, record.timestamp / 1000)
    phases: dict[str, list[float]] = {"api": [], "publish": [], "apply+report": [], "ingest+poll": []}
    for change in changes:
        pub = max(published[(c, change.revision)] for c in clusters)
        rep = max(reported[(c, change.revision)] for c in clusters)
        phases["api"].append(change.answered - change.sent)
        phases["publish"].append(pub - change.sent)
        phases["apply+report"].append(rep - pub)
        phases["ingest+poll"].append(change.visible - rep)
    return phases


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="fleetcast-bench-"))
    settings = DevSettings(state_dir=state_dir, clusters=args.clusters, hub_port=0)
    fleet = LocalFleet(settings, lambda message: print(f"  [fleet] {message}", file=sys.stderr), tie_to_parent=True)
    state = await fleet.up()
    try:
        assert state.hub_url is not None
        headers = {"Authorization": f"Bearer {fleet.admin_token()}"}
        async with httpx.AsyncClient(base_url=state.hub_url, timeout=30, headers=headers) as http:
            print(f"warming up ({args.warmup} changes)...", file=sys.stderr)
            for tag in range(args.warmup):
                await one_change(http, tag, args)
            changes: list[Change] = []
            for tag in range(args.warmup, args.warmup + args.changes):
                changes.append(await one_change(http, tag, args))
                if len(changes) % 50 == 0:
                    print(f"  {len(changes)} changes", file=sys.stderr)
        latencies = [change.latency for change in changes]

        spokes = {c.name: state.record(f"{c.name}/spoke") for c in state.clusters}
        await asyncio.sleep(5)  # let the last reports and watches settle before measuring idle
        before = {name: cpu_seconds(r.pid) for name, r in spokes.items() if r}
        await asyncio.sleep(args.idle)
        after = {name: cpu_seconds(r.pid) for name, r in spokes.items() if r}
        millis = [1000 * value for value in latencies]
        print()
        what = "image bump (a rollout)" if args.workload == "deployment" else "ConfigMap change (no rollout)"
        poll_ms = args.poll * 1000
        print(f"changes: {len(millis)} sequential {what}, {args.clusters} clusters, poll every {poll_ms:.0f} ms")
        print(
            "API call -> new revision applied and Ready on every cluster, as the hub API shows it (ms): "
            f"p50 {percentile(millis, 0.50):.0f}  p95 {percentile(millis, 0.95):.0f}  "
            f"p99 {percentile(millis, 0.99):.0f}  max {max(millis):.0f}  mean {statistics.fmean(millis):.0f}"
        )
        if args.breakdown:
            phases = await breakdown(state.kafka_bootstrap, [c.name for c in state.clusters], changes)
            for phase, values in phases.items():
                ms = [1000 * v for v in values]
                print(
                    f"  {phase:>13}: p50 {percentile(ms, 0.5):.0f}  p95 {percentile(ms, 0.95):.0f}  "
                    f"p99 {percentile(ms, 0.99):.0f} ms"
                )
        for name, record in spokes.items():
            assert record is not None
            cpu = 1000 * (after[name] - before[name]) / args.idle
            print(f"spoke {name} idle over {args.idle:.0f}s: {cpu:.1f} mCPU, RSS {rss_mib(record.pid):.0f} MiB")
        hub = state.record("hub")
        if hub:
            print(f"hub RSS {rss_mib(hub.pid):.0f} MiB")
    finally:
        fleet.down(purge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument(
        "--workload",
        choices=["deployment", "configmap"],
        default="deployment",
        help="bump the Deployment's image (pods roll out) or change only a ConfigMap (no rollout)",
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--poll", type=float, default=0.005, help="seconds between status polls")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to measure the idle spokes")
    parser.add_argument("--breakdown", action="store_true", help="split the time into phases (reads the topics)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
