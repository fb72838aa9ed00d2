"""A real Prometheus for the tests, as a pytest plugin (registered in tests/conftest.py): the binaries
`fleetcast dev up` runs (built once per machine, cached by version under ~/.cache/fleetcast), started
with the configuration `dev up` writes (deploy/local/prometheus.py), scraping whatever targets a test
gives it, and a small client for its HTTP API.

Fixtures:
- `prometheus_binaries` (session): the cached prometheus and promtool, built on first use.
- `start_prometheus` (function): a factory; every server it started is stopped after the test.
The end-to-end fixture `fleet_prometheus` (tests/e2e/conftest.py) scrapes the e2e fleet with it.

Note: the React UI of this build answers 500 (its assets are not in the Go module); the API works.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local import processes
from deploy.local import prometheus as prom
from deploy.local.artifacts import Artifacts, PrometheusBinaries
from deploy.local.prometheus import ALERT_RULES, HUB_JOB, SPOKE_JOB, ScrapeTargets
from deploy.local.settings import DevSettings
from tests.fleet import _progress

# Short enough that a test sees a stopped spoke within seconds; Prometheus handles it easily.
TEST_INTERVAL = "1s"

__all__ = [
    "ALERT_RULES",
    "HUB_JOB",
    "SPOKE_JOB",
    "TEST_INTERVAL",
    "PrometheusServer",
    "ScrapeTargets",
]


class PrometheusError(AssertionError):
    """The Prometheus API refused a request (a bad query, say): the message is its own."""


@dataclass
class PrometheusServer:
    """One running Prometheus process and its HTTP API (the JSON `data` of each endpoint)."""

    url: str
    home: Path
    record: processes.ProcessRecord

    @classmethod
    def start(
        cls,
        binary: Path,
        home: Path,
        targets: ScrapeTargets,
        rule_files: Sequence[Path] = (ALERT_RULES,),
        interval: str = TEST_INTERVAL,
        ready_timeout: float = 60.0,
    ) -> PrometheusServer:
        """Start Prometheus under `home` scraping `targets` and loading `rule_files`; return once /-/ready."""
        config, data = prom.write_config(home, targets, rule_files, interval)
        port = processes.free_port()
        argv = prom.prometheus_args(binary, config, data, port)
        record = processes.spawn(prom.COMPONENT, argv, home / "prometheus.log", tie_to_parent=True)
        server = cls(url=prom.url(port), home=home, record=record)
        try:
            asyncio.run(prom.wait_ready(record, port, ready_timeout))
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        processes.stop(self.record)

    def set_targets(self, targets: ScrapeTargets) -> None:
        """Replace the scrape targets; Prometheus notices the file_sd files change by itself."""
        prom.write_targets(self.home / "targets", targets)

    # --- the HTTP API ----------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=30.0) as http:
            response = await http.get(path, params=params)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(f"GET {path} {dict(params or {})}: {response.status_code} {body}")
        return body["data"]

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query: the result list of /api/v1/query, each {"metric": {...}, "value": [ts, "v"]}.
        A scalar or string result comes back as one such entry with no labels."""
        data = await self._get("/api/v1/query", {"query": expr})
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    async def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts (/api/v1/alerts): each with labels, annotations, state, activeAt, value."""
        alerts: list[dict[str, Any]] = (await self._get("/api/v1/alerts"))["alerts"]
        return alerts

    async def rules(self) -> list[dict[str, Any]]:
        """Rule groups as loaded (/api/v1/rules): each with name, file, rules, lastEvaluation."""
        groups: list[dict[str, Any]] = (await self._get("/api/v1/rules"))["groups"]
        return groups

    async def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets (/api/v1/targets): each with labels, scrapePool, health, lastError."""
        active: list[dict[str, Any]] = (await self._get("/api/v1/targets", {"state": "active"}))["activeTargets"]
        return active

    async def wait_for_targets(self, jobs: set[str], timeout: float) -> None:
        """Until every job in `jobs` has targets and all of them were scraped successfully."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            seen = [t for t in await self.targets() if t["labels"].get("job") in jobs]
            up_jobs = {t["labels"]["job"] for t in seen}
            if up_jobs == jobs and all(t["health"] == "up" for t in seen):
                return
            if time.monotonic() > deadline:
                states = [(t["labels"].get("job"), t["scrapeUrl"], t["health"], t.get("lastError")) for t in seen]
                raise AssertionError(f"targets of {sorted(jobs)} not all up within {timeout:.0f}s: {states}")
            await asyncio.sleep(0.2)

    async def wait_for_evaluation(self, timeout: float = 60.0) -> float:
        """Until every rule group has been evaluated after this call began (Prometheus' clock): alerts
        read afterwards reflect samples scraped by then. Returns that moment, in Unix seconds."""
        (now,) = await self.query("time()")
        since = float(now["value"][1])
        deadline = time.monotonic() + timeout
        while True:
            groups = await self.rules()
            evaluated = [_unix(g["lastEvaluation"]) for g in groups]
            if groups and all(when > since for when in evaluated):
                return since
            if time.monotonic() > deadline:
                raise AssertionError(f"rule groups not evaluated since {since} within {timeout:.0f}s: {evaluated}")
            await asyncio.sleep(0.2)

    async def wait_for_alerts(
        self,
        check: Callable[[list[dict[str, Any]]], bool],
        what: str,
        timeout: float = 120.0,
    ) -> list[dict[str, Any]]:
        """Poll /api/v1/alerts until `check` holds for the list; fail naming `what` and the last list seen."""
        deadline = time.monotonic() + timeout
        while True:
            alerts = await self.alerts()
            if check(alerts):
                return alerts
            if time.monotonic() > deadline:
                summary = [(a["labels"], a["state"]) for a in alerts]
                raise AssertionError(f"{what} not within {timeout:.0f}s; alerts: {summary}")
            await asyncio.sleep(0.3)


_RFC3339 = re.compile(r"(?P<base>[^.Z+]+(?:T[\d:]+)?)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d\d:\d\d)")


def _unix(rfc3339: str) -> float:
    """Prometheus' timestamps: RFC 3339 with up to nanoseconds (Python reads microseconds at most)."""
    match = _RFC3339.fullmatch(rfc3339)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {rfc3339!r}")
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    fraction = (match["fraction"] or "0")[:6]
    return datetime.fromisoformat(f"{match['base']}.{fraction}{zone}").timestamp()


@pytest.fixture(scope="session")
def prometheus_binaries(request: pytest.FixtureRequest) -> PrometheusBinaries:
    """prometheus and promtool from the cache; built once per machine (about 3 minutes on 2 cores)."""
    return asyncio.run(Artifacts(DevSettings(), _progress(request.config)).ensure_prometheus())


@pytest.fixture
def start_prometheus(
    prometheus_binaries: PrometheusBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., PrometheusServer]]:
    """`start_prometheus(targets, rule_files=(ALERT_RULES,), interval="1s")`: a running Prometheus,
    stopped after the test."""
    started: list[PrometheusServer] = []

    def start(
        targets: ScrapeTargets, rule_files: Sequence[Path] = (ALERT_RULES,), interval: str = TEST_INTERVAL
    ) -> PrometheusServer:
        home = tmp_path_factory.mktemp("prometheus")
        server = PrometheusServer.start(prometheus_binaries.prometheus, home, targets, rule_files, interval)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
