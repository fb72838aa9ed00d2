"""`python -m spoke` / `fleetcast spoke`: run the spoke until SIGTERM or SIGINT, then shut down cleanly."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from tenacity import AsyncRetrying

from spoke.agent import Spoke
from spoke.consumer import DesiredTopic, Producer
from spoke.dryrun import DryRunner, DryRunRequests
from spoke.errors import api_message, retrying
from spoke.inventory import InventoryStore
from spoke.kube import Kube
from spoke.metrics import SpokeMetrics
from spoke.server import make_app, serve
from spoke.settings import SpokeSettings

log = logging.getLogger("spoke")


def _connecting(settings: SpokeSettings) -> AsyncRetrying:
    # Starting before the API server or broker is reachable is normal (both may start together);
    # anything not retriable (bad kubeconfig, bad credentials) fails the start at once.
    return retrying(settings, "connecting", attempts=max(settings.retry_attempts, 10))


async def run(
    settings: SpokeSettings,
    stop: asyncio.Event,
    registry: CollectorRegistry | None = None,
    *,
    metrics: SpokeMetrics | None = None,
) -> None:
    """Run until `stop` is set; everything started is stopped and closed on the way out.

    Several spokes may run in one process: give each the same `metrics` (one SpokeMetrics per registry)
    and each labels its metrics with its own cluster."""
    shared = metrics if metrics is not None else SpokeMetrics(registry or CollectorRegistry())
    view = shared.for_cluster(settings.cluster_id)
    async for attempt in _connecting(settings):
        with attempt:
            kube = await Kube.connect(settings.kubeconfig)
    producer = Producer(settings)
    topic = DesiredTopic(settings)
    spoke = Spoke(settings, kube, producer, topic, view)
    dry_runner = DryRunner(kube, InventoryStore(kube, settings.inventory_namespace), settings.cluster_id)
    dry_runs = DryRunRequests(settings, dry_runner, producer, view)
    tasks: list[asyncio.Task[Any]] = []
    runner = None
    try:
        async for attempt in _connecting(settings):
            with attempt:
                await producer.start()
        async for attempt in _connecting(settings):
            with attempt:
                await topic.start()
        async for attempt in _connecting(settings):
            with attempt:
                await dry_runs.start()
        spoke.start()
        tasks = [asyncio.create_task(dry_runs.run(), name=f"dry-runs {settings.cluster_id}")]
        runner, port = await serve(make_app(shared.registry, spoke.alive), settings.metrics_host, settings.metrics_port)
        log.info(
            "spoke for cluster %s: metrics on http://%s:%d/metrics, health on /healthz",
            settings.cluster_id,
            settings.metrics_host,
            port,
        )
        await stop.wait()
        log.info("stopping")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await spoke.close()
        if runner is not None:
            await runner.cleanup()
        await dry_runs.stop()
        await topic.stop()
        await producer.stop()
        await kube.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetcast spoke", description="Run the Fleetcast spoke for one cluster.")
    parser.add_argument("--cluster-id", help="this cluster's id (FLEETCAST_SPOKE_CLUSTER_ID)")
    parser.add_argument("--kubeconfig", type=Path, help="kubeconfig file; default: in-cluster configuration")
    parser.add_argument("--kafka-bootstrap", help="Kafka bootstrap servers, host:port[,host:port]")
    parser.add_argument("--metrics-port", type=int, help="port of /metrics and /healthz; 0 picks a free one")
    return parser


def settings_from(argv: list[str] | None) -> SpokeSettings:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {
        field: value
        for field, value in (
            ("cluster_id", args.cluster_id),
            ("kubeconfig", args.kubeconfig),
            ("kafka_bootstrap", args.kafka_bootstrap),
            ("metrics_port", args.metrics_port),
        )
        if value is not None
    }
    return SpokeSettings(**overrides)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from(argv)
    except ValidationError as error:
        print(f"fleetcast spoke: invalid settings:\n{error}", file=sys.stderr)
        return 2

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run(settings, stop)

    try:
        asyncio.run(_main())
    except Exception as error:
        log.error("spoke failed: %s", api_message(error))
        return 1
    return 0
