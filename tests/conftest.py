"""Markers follow the directory: tests/unit is pure logic, tests/integration runs on real Kafka and
real Kubernetes API servers. `pytest -m unit` runs the fast half alone."""

from __future__ import annotations

from pathlib import Path

import pytest

_ROOT = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).relative_to(_ROOT)
        if relative.parts[0] in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, relative.parts[0]))
