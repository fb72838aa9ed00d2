"""What a running local fleet is: ports, process records and files, kept in `<state_dir>/fleet.json`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from deploy.local.processes import ProcessRecord


class ClusterState(BaseModel):
    name: str
    apiserver_port: int
    labels: dict[str, str] = Field(default_factory=dict)
    spoke_metrics_port: int = 0

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"


class FleetState(BaseModel):
    kafka_port: int
    kafka_controller_port: int
    etcd_client_port: int
    etcd_peer_port: int
    hub_port: int = 0
    prometheus_port: int = 0
    clusters: list[ClusterState] = Field(default_factory=list)
    # component name ("kafka", "etcd", "<cluster>/kube-apiserver", ...) -> process record
    processes: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def hub_url(self) -> str | None:
        return f"http://127.0.0.1:{self.hub_port}" if self.hub_port else None

    @property
    def prometheus_url(self) -> str | None:
        return f"http://127.0.0.1:{self.prometheus_port}" if self.prometheus_port else None

    def record(self, component: str) -> ProcessRecord | None:
        data = self.processes.get(component)
        return ProcessRecord.from_json(data) if data else None

    def set_record(self, component: str, record: ProcessRecord) -> None:
        self.processes[component] = record.to_json()


def load(path: Path) -> FleetState | None:
    if not path.exists():
        return None
    return FleetState.model_validate_json(path.read_text())


def save(path: Path, state: FleetState) -> None:
    """Write atomically: a crash mid-write must not lose track of running processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state.model_dump(), indent=2) + "\n")
    os.replace(partial, path)
