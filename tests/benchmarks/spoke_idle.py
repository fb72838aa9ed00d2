"""Benchmark: what one spoke costs at rest. Not a test: it prints figures (docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.spoke_idle [--idle 60] [--source DIR]

Starts Kafka and one Kubernetes cluster (kwok) of its own with the `fleetcast dev` toolkit, in a temporary
state directory, publishes one application (Namespace, ConfigMap, 2-replica Deployment, Service) straight
to the cluster's desired topic (no hub), starts `python -m spoke` as a process (this tree's code, or with
`--source DIR` the code in DIR, e.g. `git archive main | tar -x -C DIR`), waits for its Ready report, lets it
settle, then measures over `--idle` seconds: CPU (user + system, from `ps -o time` and, finer, from
/proc/<pid>/stat) and RSS (`ps -o rss`). The spoke is idle but for its heartbeat (every 10 s) and its watches.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from deploy.local.fleet import LocalFleet
from deploy.local.settings import DevSettings
from schemas.v1 import Bundle, BundleEvent, Health, StatusReport, decode_report, encode
from schemas.v1.topics import STATUS_TOPIC, desired_key, desired_topic_spec, shared_topic_specs, status_key
from tests.integration.spoke.conftest import configmap, create_topics, deployment, namespace, service
from tests.kafka import first_record, new_producer

CLUSTER = "idle-bench"
APP = "idle"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def ps(pid: int) -> tuple[int, str]:
    """(RSS in KiB, cumulative CPU time [[dd-]hh:]mm:ss) as `ps -o rss,time` shows them."""
    out = subprocess.run(["ps", "-o", "rss=,time=", "-p", str(pid)], capture_output=True, text=True, check=True)
    rss, cpu = out.stdout.split()
    return int(rss), cpu


async def publish(bootstrap: str) -> None:
    ns = APP
    manifests: list[dict[str, Any]] = [
        namespace(ns),
        configmap("settings", ns, MODE="idle"),
        deployment("web", ns, image="example.test/idle/web:1", replicas=2),
        service("web", ns),
    ]
    event = BundleEvent(source="hub", cluster=CLUSTER, data=Bundle.build(APP, 1, 1, manifests))
    producer = new_producer(bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(desired_topic_spec(CLUSTER).name, encode(event), key=desired_key(APP))
    finally:
        await producer.stop()


async def ready(bootstrap: str, timeout: float) -> None:
    def matches(record: Any) -> bool:
        if record.key != status_key(CLUSTER, APP) or record.value is None:
            return False
        report = decode_report(record.value).data
        return isinstance(report, StatusReport) and report.health is Health.READY

    await first_record(bootstrap, STATUS_TOPIC, matches, timeout, what="the spoke's Ready report")


def start_spoke(source: Path, kubeconfig: Path, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m spoke` from `source` (first on the path), as it runs in production."""
    env = {**os.environ, "PYTHONPATH": str(source), "FLEETCAST_SPOKE_INVENTORY_NAMESPACE": "fleetcast-idle"}
    argv = [sys.executable, "-m", "spoke", "--cluster-id", CLUSTER, "--kubeconfig", str(kubeconfig)]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*argv, "--kafka-bootstrap", bootstrap, "--metrics-port", "0"],
            cwd=source,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="fleetcast-spoke-idle-") as state:
        fleet = LocalFleet(
            DevSettings(state_dir=Path(state), clusters=1, run_fleetcast=False),
            lambda message: print(f"[fleet] {message}", file=sys.stderr),
            tie_to_parent=True,
        )
        try:
            fleet_state = await fleet.up()
            bootstrap = fleet_state.kafka_bootstrap
            kubeconfig = fleet.cluster_files(fleet_state.clusters[0].name).kubeconfig
            await create_topics(bootstrap, [*shared_topic_specs(), desired_topic_spec(CLUSTER)])
            await publish(bootstrap)
            source = Path(args.source).resolve() if args.source else Path(__file__).resolve().parents[2]
            spoke = start_spoke(source, kubeconfig, bootstrap, Path(state) / "spoke.log")
            try:
                await ready(bootstrap, timeout=120)
                await asyncio.sleep(args.settle)
                rss_before, time_before = ps(spoke.pid)
                cpu_before, started = cpu_seconds(spoke.pid), time.monotonic()
                await asyncio.sleep(args.idle)
                cpu_after, elapsed = cpu_seconds(spoke.pid), time.monotonic() - started
                rss_after, time_after = ps(spoke.pid)
            finally:
                spoke.terminate()
                spoke.wait(30)
        finally:
            fleet.down()
    millicpu = 1000 * (cpu_after - cpu_before) / elapsed
    print(f"source: {args.source or 'this tree'}")
    print(f"ps -o rss,time: before {rss_before} KiB {time_before}; after {elapsed:.0f} s: {rss_after} KiB {time_after}")
    print(
        f"spoke idle over {elapsed:.0f}s: {millicpu:.1f} mCPU ({cpu_after - cpu_before:.2f} s CPU), "
        f"RSS {rss_after / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds to measure the idle spoke")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after Ready before measuring")
    parser.add_argument("--source", help="run the spoke from this source tree (default: this one)")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
