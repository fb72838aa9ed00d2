"""Markers follow the directory: tests/unit is pure logic, tests/integration runs on real Kafka and
real Kubernetes API servers, tests/e2e runs the whole fleet (hub and spokes as processes) through the
command line. `pytest -m unit` runs the fast part alone."""

from __future__ import annotations

from pathlib import Path

import pytest

_ROOT = Path(__file__).parent

# The real fleet (Kafka + clusters) and the real PostgreSQL server fixtures, shared by all tests.
pytest_plugins = ["tests.fleet", "tests.postgres"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).relative_to(_ROOT)
        if relative.parts[0] in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, relative.parts[0]))
