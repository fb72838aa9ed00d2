"""Prometheus on the local fleet: a generated configuration scraping the hub and every spoke, loading the
shipped alert rules; the same code serves `fleetcast dev up` and the test fixtures.

Targets are written as file_sd files next to the configuration: Prometheus watches them, so a target
list can change (a cluster added, a test's fleet) without a restart. The hub is job `fleetcast-hub`; the
spokes are job `fleetcast-spoke`, each target labelled with its `cluster` (spokes label their own
metrics with `cluster` too; the target label names the spoke whose scrape failed when `up` is 0).

Builders are pure; `write_config` lays out files and `start`/`wait_ready` run the process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from deploy.local import processes, readiness
from deploy.local.errors import ComponentError

COMPONENT = "prometheus"
HUB_JOB = "fleetcast-hub"
SPOKE_JOB = "fleetcast-spoke"
# The alert rules Fleetcast ships (deploy/prometheus/alerts.yaml): what `dev up` loads and the tests check.
ALERT_RULES = Path(__file__).parent.parent / "prometheus" / "alerts.yaml"
HUB_TARGETS = "hub.json"
SPOKE_TARGETS = "spokes.json"


@dataclass(frozen=True)
class ScrapeTargets:
    """host:port of the hub and of each cluster's spoke (by cluster name)."""

    hub: str | None
    spokes: Mapping[str, str] = field(default_factory=dict)


def file_sd_groups(targets: ScrapeTargets) -> dict[str, list[dict[str, Any]]]:
    """The file_sd files' contents by file name: one group per spoke so each carries its `cluster` label."""
    return {
        HUB_TARGETS: [{"targets": [targets.hub], "labels": {}}] if targets.hub else [],
        SPOKE_TARGETS: [
            {"targets": [address], "labels": {"cluster": cluster}}
            for cluster, address in sorted(targets.spokes.items())
        ],
    }


def prometheus_config(targets_dir: Path, rule_files: Sequence[Path], interval: str) -> dict[str, Any]:
    """Scrape and evaluate every `interval` (a local fleet wants seconds, not the default minute)."""

    def job(name: str, file: str) -> dict[str, Any]:
        # A scrape may not outlast the interval; Prometheus refuses a timeout longer than it.
        return {
            "job_name": name,
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "metrics_path": "/metrics",
            "file_sd_configs": [{"files": [str(targets_dir / file)]}],
        }

    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [job(HUB_JOB, HUB_TARGETS), job(SPOKE_JOB, SPOKE_TARGETS)],
    }


def prometheus_args(binary: Path, config: Path, data_dir: Path, port: int, retention: str = "2d") -> list[str]:
    return [
        str(binary),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--storage.tsdb.retention.time={retention}",
        f"--web.listen-address=127.0.0.1:{port}",
        # POST /-/reload re-reads the configuration and rule files without losing the data.
        "--web.enable-lifecycle",
    ]


def write_targets(targets_dir: Path, targets: ScrapeTargets) -> None:
    """Replace the file_sd files atomically: Prometheus never reads a half-written list."""
    targets_dir.mkdir(parents=True, exist_ok=True)
    for name, groups in file_sd_groups(targets).items():
        partial = targets_dir / f".{name}.partial"
        partial.write_text(json.dumps(groups, indent=2) + "\n")
        partial.replace(targets_dir / name)


def write_config(
    home: Path, targets: ScrapeTargets, rule_files: Sequence[Path], interval: str = "5s"
) -> tuple[Path, Path]:
    """prometheus.yml and the target files under `home`; returns (config file, data directory)."""
    targets_dir = home / "targets"
    write_targets(targets_dir, targets)
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(targets_dir, rule_files, interval), sort_keys=False))
    return config, home / "data"


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


async def wait_ready(record: processes.ProcessRecord, port: int, timeout: float) -> float:
    """Ready once /-/ready answers 200: the configuration and rules are loaded and the TSDB is open."""
    async with httpx.AsyncClient(timeout=3.0) as http:
        probe = readiness.http_probe(http, f"{url(port)}/-/ready")
        return await readiness.wait_ready(COMPONENT, record, probe, timeout, interval=0.2)


async def reload(port: int) -> None:
    """Make a running Prometheus re-read its configuration and rule files (it keeps its data)."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.post(f"{url(port)}/-/reload")
    if response.status_code != 200:
        raise ComponentError(COMPONENT, f"reloading the configuration failed: {response.text.strip()}")


# --- Alert rules for tests ---------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(text: str) -> float:
    """A Prometheus duration ("1h30m", "5m", "90s") in seconds."""
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def with_shorter_for(rules_text: str, longest: str) -> str:
    """The same rules with every alert's `for:` (and `keep_firing_for:`) cut to at most `longest`.

    Production waits minutes before an alert fires; a test on the real fleet cannot. Only the waits
    change: expressions, labels and annotations stay the shipped ones, so the test checks what ships."""
    limit = duration_seconds(longest)
    document = yaml.safe_load(rules_text)
    for group in document.get("groups", []):
        for rule in group.get("rules", []):
            for key in ("for", "keep_firing_for"):
                if key in rule and duration_seconds(str(rule[key])) > limit:
                    rule[key] = longest
    return yaml.safe_dump(document, sort_keys=False)


def alert_names(rules_text: str) -> list[str]:
    document = yaml.safe_load(rules_text)
    return [rule["alert"] for group in document.get("groups", []) for rule in group.get("rules", []) if "alert" in rule]
