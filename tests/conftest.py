"""Markers follow the directory: tests/unit is pure logic, tests/integration runs on real Kafka and
real Kubernetes API servers, tests/e2e runs the whole fleet (hub and spokes as processes) through the
command line. `pytest -m unit` runs the fast part alone."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check invariants, not speed: Hypothesis's default 200 ms deadline per example (and its
# too-slow health check) is a wall-clock threshold a busy CI machine crosses, so neither applies here.
settings.register_profile("fleetcast", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fleetcast")

_ROOT = Path(__file__).parent

# The real fleet (Kafka + clusters), the real PostgreSQL server, real Prometheus and real Helm fixtures, shared
# by all tests.
pytest_plugins = ["tests.fleet", "tests.postgres", "tests.prometheus", "tests.helm"]


_CONFIG_HOME = Path(tempfile.mkdtemp(prefix="fleetcast-test-config-"))


def pytest_configure(config: pytest.Config) -> None:
    # Never read the developer's own CLI config, token or hub address, nor let `dev up` write that config:
    # every `fleetcast` the tests run (they inherit this environment) uses a config file of the session.
    os.environ["FLEETCAST_CONFIG"] = str(_CONFIG_HOME / "config.yaml")
    for name in ("FLEETCAST_TOKEN", "FLEETCAST_HUB_URL"):
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CONFIG_HOME, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).relative_to(_ROOT)
        if relative.parts[0] in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, relative.parts[0]))
