"""The real infrastructure of a test session, as a pytest plugin (registered in tests/conftest.py so that
integration and end-to-end tests share one fleet).

One real local fleet per test session: Apache Kafka and four Kubernetes clusters (enough for rollout
waves: staging, canary and two production clusters), started by the same toolkit as `fleetcast dev up`
from the cached binaries, and stopped at the end.

Processes are tied to the test session (they die with it even on SIGKILL) and live in a temporary
state directory, so a developer's own `fleetcast dev` fleet is never touched. If anything cannot
start, every integration test fails with the component and its log named: never skipped.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local.fleet import LocalFleet
from deploy.local.settings import DevSettings

CLUSTERS = 4


@dataclass(frozen=True)
class FleetCluster:
    name: str
    server: str
    kubeconfig: Path


@dataclass(frozen=True)
class RunningFleet:
    kafka_bootstrap: str
    clusters: list[FleetCluster]
    state_dir: Path


def _progress(config: pytest.Config) -> Callable[[str], None]:
    """Print past pytest's output capture: a first run builds for minutes and must not look hung."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"[fleet] {message}", file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session")
def local_fleet(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    settings = DevSettings(state_dir=tmp_path_factory.mktemp("fleet"), clusters=CLUSTERS, run_fleetcast=False)
    fleet = LocalFleet(settings, _progress(request.config), tie_to_parent=True)
    try:
        state = asyncio.run(fleet.up())
        yield RunningFleet(
            kafka_bootstrap=state.kafka_bootstrap,
            clusters=[FleetCluster(c.name, c.server, fleet.cluster_files(c.name).kubeconfig) for c in state.clusters],
            state_dir=settings.state_dir,
        )
    finally:
        fleet.down()
