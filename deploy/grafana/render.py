"""The dashboards as the JSON files users import: one file per dashboard, keys sorted and indented so a
change to the code shows as a readable diff of the committed files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from deploy.grafana import cluster, hub, overview, spoke

OUTPUT = Path(__file__).parent / "dashboards"
# file name -> builder; the file names are what docs/observability.md and provisioning examples name
DASHBOARDS: dict[str, Callable[[], model.Dashboard]] = {
    "fleet-overview.json": overview.build,
    "cluster.json": cluster.build,
    "hub-internals.json": hub.build,
    "spoke-internals.json": spoke.build,
}


def to_json(dashboard: model.Dashboard) -> str:
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name -> the JSON text the code generates now."""
    return {name: to_json(build()) for name, build in DASHBOARDS.items()}


def differences(generated: dict[str, str], directory: Path) -> list[str]:
    """The files under `directory` that are missing, stale, or not generated at all (sorted)."""
    on_disk = {path.name: path.read_text() for path in directory.glob("*.json")}
    names = sorted(set(generated) | set(on_disk))
    return [name for name in names if generated.get(name) != on_disk.get(name)]
