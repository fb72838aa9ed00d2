"""The spoke as a process: killed with SIGKILL in the middle of an apply, it converges when it comes
back, and a restart deletes nothing live. Also its /healthz and /metrics."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
import uuid
from pathlib import Path

import httpx

from schemas.v1 import Health
from tests.integration.spoke.conftest import Fleet, configmap, deployment, namespace, spoke_process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_killed_mid_apply_it_converges_and_deletes_nothing_on_restart(fleet: Fleet, tmp_path: Path) -> None:
    app, ns = f"crash-{uuid.uuid4().hex[:6]}", f"ns-{uuid.uuid4().hex[:6]}"
    log = tmp_path / "spoke.log"
    rev1 = [namespace(ns), configmap("keep", ns, v="1"), deployment("web", ns)]
    many = [configmap(f"extra-{index:03d}", ns, v="2") for index in range(200)]
    port = _free_port()

    with spoke_process(fleet, log, metrics_port=port) as first:
        await fleet.publish_bundle(app, 1, rev1)
        await fleet.status(app, lambda r: r.health is Health.READY and r.last_applied_revision == 1, timeout=60)
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        assert f'fleetcast_spoke_reconcile_total{{cluster="{fleet.cluster}",result="success"}}' in metrics
        uids = {
            name: (await fleet.get(api_version, kind, name, where)).metadata.uid
            for api_version, kind, name, where in [
                ("v1", "Namespace", ns, None),
                ("v1", "ConfigMap", "keep", ns),
                ("apps/v1", "Deployment", "web", ns),
            ]
        }

        # Revision 2 adds 200 objects; kill -9 as soon as the first of them is in. The spoke runs at the
        # lowest priority from here on: on a busy machine it applies slowly, so the kill still lands
        # mid-apply however late this test gets the CPU to notice the first object (on a quiet machine
        # nothing changes: nobody else wants the CPU).
        os.setpriority(os.PRIO_PROCESS, first.pid, 19)
        await fleet.publish_bundle(app, 2, rev1 + many)
        deadline = time.monotonic() + 30
        while await fleet.get("v1", "ConfigMap", "extra-000", ns) is None:
            assert time.monotonic() < deadline, "the apply of revision 2 did not start"
            await asyncio.sleep(0.005)
        first.kill()
        first.wait(10)
        present = [m["metadata"]["name"] for m in many if await fleet.get("v1", "ConfigMap", m["metadata"]["name"], ns)]
        assert len(present) < len(many), "the kill came after the apply; nothing was interrupted"
        # What it may have applied was recorded before it applied it: the inventory covers it all.
        inventory = await fleet.get("v1", "ConfigMap", f"fleetcast-inv-{app}", f"fleetcast-{fleet.cluster}")
        assert {m["metadata"]["name"] for m in many} <= {ref["name"] for ref in json.loads(inventory.data["objects"])}

    with spoke_process(fleet, log) as second:
        report = await fleet.status(app, lambda r: r.last_applied_revision == 2, timeout=60)
        assert report.health is Health.READY
        for manifest in many:
            assert await fleet.get("v1", "ConfigMap", manifest["metadata"]["name"], ns) is not None
        # Nothing that was live was deleted (and re-created) by the restart.
        assert (await fleet.get("v1", "Namespace", ns)).metadata.uid == uids[ns]
        assert (await fleet.get("v1", "ConfigMap", "keep", ns)).metadata.uid == uids["keep"]
        assert (await fleet.get("apps/v1", "Deployment", "web", ns)).metadata.uid == uids["web"]
        inventory = await fleet.get("v1", "ConfigMap", f"fleetcast-inv-{app}", f"fleetcast-{fleet.cluster}")
        assert inventory.data["revision"] == "2"

        # SIGTERM: a clean shutdown, exit status 0.
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()[-3000:]
