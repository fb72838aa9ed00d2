"""The real Helm for the tests, as a pytest plugin (registered in tests/conftest.py): the binary
`fleetcast dev up` gives the hub, built from its Go module once per machine and cached by version under
~/.cache/fleetcast by the same code (deploy/local/artifacts.py).

Fixtures:
- `helm_binary` (session): the path of the cached Helm, built on first use (about 2 minutes on 2 cores).
The hub fixtures (tests/integration/hub/conftest.py `hub_settings`, the e2e fleet's hub) are given it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from deploy.local.artifacts import Artifacts
from deploy.local.settings import DevSettings
from tests.fleet import _progress

# The chart the tests, the docs and the benchmark render: Deployment, Service, ConfigMap, Ingress, HPA
# and a strict values.schema.json.
WEB_CHART = Path(__file__).parent / "charts" / "web"


@pytest.fixture(scope="session")
def helm_binary(request: pytest.FixtureRequest) -> Path:
    """Helm from the cache; built once per machine."""
    return asyncio.run(Artifacts(DevSettings(), _progress(request.config)).ensure_helm())
