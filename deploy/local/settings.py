"""Settings of the local fleet toolkit: pinned versions and where caches and state live."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class DevSettings(BaseSettings):
    """`FLEETCAST_DEV_*` environment variables override every field."""

    model_config = SettingsConfigDict(env_prefix="FLEETCAST_DEV_", extra="ignore")

    # Versions. Kafka 4.3.1: the newest release complete on Maven Central (4.4.0's POM names a
    # kafka-tools-api jar that was never published) and aiokafka 0.14 speaks its protocol: KIP-896
    # removed only API versions older than those aiokafka negotiates.
    kafka_version: str = "4.3.1"
    log4j_version: str = "2.24.3"
    # Kubernetes 1.36 matches kubernetes-asyncio 36.x; its go.mod needs Go >= 1.26.0.
    kubernetes_version: str = "v1.36.3"
    # etcd 3.6 is the line Kubernetes 1.36 is tested with.
    etcd_version: str = "v3.6.16"
    kwok_version: str = "v0.8.0"
    # Go module v0.315.0 is Prometheus 3.15.0 (v0.316.0 needs module zips the proxy refuses).
    prometheus_version: str = "v0.315.0"
    # Helm renders chart applications at the hub (`helm template`); v3.22.0 is the newest Helm 3 here.
    helm_version: str = "v3.22.0"

    # Built binaries, fetched jars and the Go module/build caches, keyed by version inside.
    # Outside the work tree so a fresh clone (and CI) reuses them.
    cache_dir: Path = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "fleetcast")
    # Where a running fleet keeps its data, logs, credentials and kubeconfigs.
    state_dir: Path = Field(default_factory=lambda: _xdg("XDG_STATE_HOME", ".local/state") / "fleetcast" / "dev")

    clusters: int = Field(default=2, ge=1, le=50)
    # Labels to set on clusters, over the defaults (the first cluster env=staging, the others env=prod):
    # `fleetcast dev up --label cluster-2:env=canary`, or FLEETCAST_DEV_LABELS='{"cluster-2": {"env": "canary"}}'.
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)
    # 0 picks a free port on first start; the port is then kept in the state so kubeconfigs stay valid.
    kafka_port: int = Field(default=0, ge=0, le=65535)
    kafka_heap: str = "512m"
    # Run the hub and one spoke per cluster on top (`dev up`); the test fixture for infrastructure
    # alone turns this off and starts its own hubs and spokes.
    run_fleetcast: bool = True
    # 8080 when free, so FLEETCAST_HUB_URL's default reaches it; 0 picks any free port.
    hub_port: int = Field(default=8080, ge=0, le=65535)
    # Prometheus scraping the hub and the spokes (with `run_fleetcast`), loading deploy/prometheus/alerts.yaml.
    run_prometheus: bool = True
    # 9090 when free (Prometheus' usual port); 0 picks any free port. Kept in the state like the hub's.
    prometheus_port: int = Field(default=9090, ge=0, le=65535)
    # Scrape and rule evaluation interval: a local fleet changes in seconds, not minutes.
    prometheus_interval: str = Field(default="5s", pattern=r"^(\d+(ms|s|m|h))+$")
    # Seconds a component may take to become ready before `up` gives up and points at its log.
    ready_timeout: float = 120.0
