"""Benchmark: how soon a hand edit on a cluster is visible at the hub. Not a test: it prints figures
(docs/benchmarks.md).

    .venv/bin/python -m tests.benchmarks.drift_end_to_end [--edits 50]

The `fleetcast dev up` fleet (one real cluster with its spoke, in a temporary directory) runs an
application whose ConfigMap is edited by another field manager, as `kubectl edit` would:

- alert: edit -> the hub's drift list (`GET /api/v1/drift`) shows the ConfigMap drifting with the
  edited field; then the edit undone by hand -> the hub shows it no longer drifting.
- correct: edit -> the hub counts one more correction (the spoke re-applied the object).

Times are from just before the PATCH is sent to the first answer of the hub showing it, polled every
10 ms (so they include up to 10 ms of polling). Each path: watch event at the spoke, the detector's
decision, the debounced status report (FLEETCAST_SPOKE_REPORT_DEBOUNCE, 0.2 s by default), Kafka, the
hub's report consumer storing it and the drift index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from deploy.local.fleet import LocalFleet
from deploy.local.settings import DevSettings
from tests import kube
from tests.benchmarks.change_latency import percentile

CLUSTER = "cluster-1"
EDITOR = "bench-editor"
POLL = 0.01


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def manifests(namespace: str) -> str:
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": namespace},
            "data": {"GREETING": "hello"},
        },
    ]
    return yaml.safe_dump_all(objects, sort_keys=False)


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not seen within {timeout:.0f} s")
        await asyncio.sleep(POLL)


async def drift_row(http: httpx.AsyncClient, application: str) -> dict[str, Any] | None:
    response = await http.get("/api/v1/drift", params={"application": application, "cluster": CLUSTER})
    response.raise_for_status()
    rows = [r for r in response.json()["items"] if r["kind"] == "ConfigMap"]
    return rows[0] if rows else None


async def edit(client: Any, namespace: str, value: str) -> None:
    resource = await client.resources.get(api_version="v1", kind="ConfigMap")
    body = {"data": {"GREETING": value}}
    kube.checked(await client.patch(resource, body=body, name="settings", namespace=namespace, field_manager=EDITOR))


async def deployed(http: httpx.AsyncClient, application: str, namespace: str, mode: str) -> None:
    body = {"manifests": manifests(namespace), "selector": "", "drift": {"mode": mode}}
    (await http.put(f"/api/v1/applications/{application}", json=body)).raise_for_status()

    async def ready() -> bool:
        response = await http.get(f"/api/v1/applications/{application}")
        clusters = response.json().get("clusters") or []
        return any(c.get("health") == "Ready" for c in clusters)

    await wait_for(ready, f"{application} Ready", timeout=120)


async def measure_alert(http: httpx.AsyncClient, client: Any, edits: int) -> tuple[list[float], list[float]]:
    application, namespace = "bench-drift-alert", "bench-drift-alert"
    await deployed(http, application, namespace, "alert")
    detected: list[float] = []
    cleared: list[float] = []
    for n in range(edits):
        started = time.monotonic()
        await edit(client, namespace, f"edited-{n}")

        async def drifting() -> bool:
            row = await drift_row(http, application)
            return row is not None and row["drift"] == "modified" and "data.GREETING" in row["fields"]

        await wait_for(drifting, f"edit {n} drifting at the hub")
        detected.append(time.monotonic() - started)
        started = time.monotonic()
        await edit(client, namespace, "hello")

        async def not_drifting() -> bool:
            row = await drift_row(http, application)
            return row is None or row["drift"] is None

        await wait_for(not_drifting, f"edit {n} undone at the hub")
        cleared.append(time.monotonic() - started)
        if (n + 1) % 10 == 0:
            say(f"alert: {n + 1} edits")
    return detected, cleared


async def measure_correct(http: httpx.AsyncClient, client: Any, edits: int) -> list[float]:
    application, namespace = "bench-drift-correct", "bench-drift-correct"
    await deployed(http, application, namespace, "correct")
    corrected: list[float] = []
    for n in range(edits):
        row = await drift_row(http, application)
        before = row["corrections"] if row else 0
        started = time.monotonic()
        await edit(client, namespace, f"edited-{n}")

        async def counted(before: int = before) -> bool:
            row = await drift_row(http, application)
            return row is not None and row["corrections"] > before and row["drift"] is None

        await wait_for(counted, f"correction {n} counted at the hub")
        corrected.append(time.monotonic() - started)
        if (n + 1) % 10 == 0:
            say(f"correct: {n + 1} edits")
    return corrected


def show(title: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{title}: n={len(ms)} p50 {percentile(ms, 0.5):.0f} ms, p90 {percentile(ms, 0.9):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="fleetcast-bench-drift-"))
    # The correction guard backs off after 3 corrections a minute of the same object: widened for the
    # spoke this starts, so every correction is immediate (measured: detection and reporting, not the guard).
    os.environ["FLEETCAST_SPOKE_DRIFT_CORRECTIONS_FREE"] = "100000"
    settings = DevSettings(state_dir=state_dir, clusters=1, hub_port=0, run_prometheus=False)
    fleet = LocalFleet(settings, say, tie_to_parent=True)
    state = await fleet.up()
    try:
        assert state.hub_url is not None
        headers = {"Authorization": f"Bearer {fleet.admin_token()}"}
        async with (
            httpx.AsyncClient(base_url=state.hub_url, timeout=30, headers=headers) as http,
            kube.dynamic(fleet.cluster_files(CLUSTER).kubeconfig) as client,
        ):
            detected, cleared = await measure_alert(http, client, args.edits)
            corrected = await measure_correct(http, client, args.edits)
        print()
        print("drift, one real cluster and its spoke, edits by another field manager (kubectl edit)")
        show("alert: edit -> drifting at the hub", detected)
        show("alert: edit undone by hand -> no longer drifting at the hub", cleared)
        show("correct: edit -> correction counted at the hub", corrected)
    finally:
        fleet.down(purge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=50)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
