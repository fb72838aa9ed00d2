"""The whole fleet as users run it: `fleetcast hub` and one `fleetcast spoke` per cluster as processes,
on the session's real Kafka and real clusters; operations through the `fleetcast` command line.

The hub's first admin token is made as an operator makes it, with `fleetcast hub token create` on its
database before it starts; every `fleetcast` the tests run uses it unless a test passes another token.

Short intervals (heartbeat 1 s, unreachable after 10 s) keep the silence and crash tests quick; they are
settings users have too. Each test uses its own application names, so tests do not see each other.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.local import control, kube, processes
from deploy.local.artifacts import PrometheusBinaries
from deploy.local.kube import ClusterFiles
from deploy.local.prometheus import HUB_JOB, SPOKE_JOB, ScrapeTargets
from hub.client.config import ClientSettings
from hub.client.http import HubClient
from tests.fleet import FleetCluster, RunningFleet
from tests.prometheus import PrometheusServer
from tests.tokens import bootstrap_token

T = TypeVar("T")

HEARTBEAT_SECONDS = 1.0
# Ten heartbeats: a heartbeat's way to the hub (spoke, broker, ingest) may take seconds on a busy
# machine, and a live cluster must never look silent because of it.
UNREACHABLE_AFTER_SECONDS = 10.0
# `env` selects the two clusters most tests deploy to; `ring` shapes the four for rollout waves.
LABELS = {
    "cluster-1": {"env": "staging", "ring": "staging"},
    "cluster-2": {"env": "prod", "ring": "prod"},
    "cluster-3": {"ring": "canary"},
    "cluster-4": {"ring": "prod"},
}


@dataclass
class Fleetcast:
    infra: RunningFleet
    home: Path
    hub_port: int
    metrics_ports: dict[str, int]
    # The Helm the hub renders chart applications with (FLEETCAST_HUB_HELM_BINARY), as `dev up` sets it.
    helm: Path | None = None
    hub: processes.ProcessRecord | None = None
    admin_token: str = ""
    spokes: dict[str, processes.ProcessRecord] = field(default_factory=dict)
    # a unique consumer group per test session: other hubs of the session share the broker
    report_group: str = field(default_factory=lambda: f"fleetcast-hub-e2e-{uuid.uuid4().hex[:8]}")

    @property
    def hub_url(self) -> str:
        return control.hub_url(self.hub_port)

    @property
    def clusters(self) -> list[FleetCluster]:
        return self.infra.clusters

    def hub_env(self, **extra: str) -> dict[str, str]:
        return {
            "FLEETCAST_HUB_UNREACHABLE_AFTER_SECONDS": str(UNREACHABLE_AFTER_SECONDS),
            "FLEETCAST_HUB_REPORT_GROUP_ID": self.report_group,
            **control.hub_env(self.helm),
            **extra,
        }

    # --- processes -------------------------------------------------------------------------------

    def start_hub(self, **env: str) -> processes.ProcessRecord:
        database = self.home / "hub.db"
        if not self.admin_token:
            self.admin_token = bootstrap_token(control.hub_database_url(database), "e2e-admin")
        argv = control.hub_args(self.hub_port, database, self.infra.kafka_bootstrap)
        self.hub = processes.spawn("hub", argv, self.home / "hub.log", env=self.hub_env(**env), tie_to_parent=True)
        run(control.wait_http_ok("hub", f"{self.hub_url}/readyz", self.hub, 60))
        return self.hub

    def stop_hub(self, sig: signal.Signals = signal.SIGTERM) -> None:
        assert self.hub is not None
        if sig == signal.SIGKILL:
            os.killpg(self.hub.pid, signal.SIGKILL)
        processes.stop(self.hub)
        self.hub = None

    def start_spoke(self, cluster: str) -> processes.ProcessRecord:
        files = self.cluster_files(cluster)
        argv = control.spoke_args(
            cluster, files.component_kubeconfig(kube.SPOKE), self.infra.kafka_bootstrap, self.metrics_ports[cluster]
        )
        record = processes.spawn(
            f"{cluster}/spoke",
            argv,
            self.home / f"{cluster}-spoke.log",
            env={"FLEETCAST_SPOKE_HEARTBEAT_INTERVAL": str(HEARTBEAT_SECONDS)},
            tie_to_parent=True,
        )
        self.spokes[cluster] = record
        url = f"http://127.0.0.1:{self.metrics_ports[cluster]}/healthz"
        run(control.wait_http_ok(f"{cluster}/spoke", url, record, 60))
        return record

    def kill_spoke(self, cluster: str, sig: signal.Signals = signal.SIGKILL) -> None:
        record = self.spokes.pop(cluster)
        if sig == signal.SIGKILL:
            os.killpg(record.pid, signal.SIGKILL)
        processes.stop(record)

    def ensure_running(self) -> None:
        if self.hub is None or not processes.is_alive(self.hub):
            self.start_hub()
        for cluster in self.clusters:
            record = self.spokes.get(cluster.name)
            if record is None or not processes.is_alive(record):
                self.start_spoke(cluster.name)

    def stop_all(self) -> None:
        for cluster in list(self.spokes):
            self.kill_spoke(cluster, signal.SIGTERM)
        if self.hub is not None:
            self.stop_hub()

    def spoke_metric(self, cluster: str, name: str, **labels: str) -> float:
        """The sum of a spoke's samples named `name` with `labels` (others, such as `cluster`, ignored),
        read from its /metrics now: 0 when it has none, or does not answer."""
        url = f"http://127.0.0.1:{self.metrics_ports[cluster]}/metrics"
        try:
            text = httpx.get(url, timeout=30).text
        except httpx.TransportError:
            return 0.0
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def cluster_files(self, cluster: str) -> ClusterFiles:
        return ClusterFiles(cluster, self.infra.state_dir / "clusters" / cluster)

    def scrape_targets(self) -> ScrapeTargets:
        """The hub and every cluster's spoke, as Prometheus scrapes them (their ports survive restarts)."""
        return ScrapeTargets(
            hub=f"127.0.0.1:{self.hub_port}",
            spokes={name: f"127.0.0.1:{port}" for name, port in self.metrics_ports.items()},
        )

    # --- talking to it ---------------------------------------------------------------------------

    def cli(
        self, *args: str, stdin: str | None = None, token: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`fleetcast ARGS` as the admin, or with `token` (an empty one: without a token)."""
        return subprocess.run(
            [sys.executable, "-m", "deploy.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={
                **os.environ,
                "FLEETCAST_HUB_URL": self.hub_url,
                "FLEETCAST_TOKEN": self.admin_token if token is None else token,
            },
            check=False,
        )

    def cli_json(self, *args: str) -> Any:
        result = self.cli(*args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def client(self) -> HubClient:
        return HubClient(ClientSettings(hub_url=self.hub_url, token=self.admin_token))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def fleetcast(
    local_fleet: RunningFleet, helm_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleetcast]:
    home = tmp_path_factory.mktemp("fleetcast")
    fleet = Fleetcast(
        infra=local_fleet,
        home=home,
        hub_port=processes.free_port(),
        metrics_ports={c.name: processes.free_port() for c in local_fleet.clusters},
        helm=helm_binary,
    )
    try:
        fleet.start_hub()
        with fleet.client() as client:
            for cluster in local_fleet.clusters:
                client.register_cluster(cluster.name, LABELS[cluster.name])
        for cluster in local_fleet.clusters:
            run(control.grant_spoke_access(fleet.cluster_files(cluster.name)))
            fleet.start_spoke(cluster.name)
        yield fleet
    finally:
        fleet.stop_all()


@pytest.fixture
def fleet(fleetcast: Fleetcast) -> Iterator[Fleetcast]:
    """The session's fleet with every process running, and cluster labels as they started."""
    fleetcast.ensure_running()
    yield fleetcast
    with fleetcast.client() as client:
        for name, labels in LABELS.items():
            client.set_cluster_labels(name, labels)


@pytest.fixture
def app_name() -> str:
    return f"app-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def fleet_prometheus(
    fleetcast: Fleetcast, prometheus_binaries: PrometheusBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping the session's hub (job `fleetcast-hub`) and every spoke (job
    `fleetcast-spoke`, target label `cluster`) every second, with the shipped alert rules loaded
    (deploy/prometheus/alerts.yaml, production `for:` durations). Returned once every target was scraped."""
    fleetcast.ensure_running()
    server = PrometheusServer.start(
        prometheus_binaries.prometheus, tmp_path_factory.mktemp("prometheus"), fleetcast.scrape_targets()
    )
    try:
        run(server.wait_for_targets({HUB_JOB, SPOKE_JOB}, timeout=120))
        yield server
    finally:
        server.stop()
