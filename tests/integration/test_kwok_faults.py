"""The local fleet's fault stage, on a real API server: pods labelled `fleetcast.io/fault: not-ready`
run but never become Ready (their Deployment never becomes Available), while every other pod does."""

from __future__ import annotations

import asyncio
import uuid

from tests import kube
from tests.integration.conftest import RunningFleet
from tests.waiting import eventually_async as eventually


async def test_marked_pods_run_but_never_become_ready(local_fleet: RunningFleet) -> None:
    namespace = f"faults-{uuid.uuid4().hex[:6]}"
    async with kube.dynamic(local_fleet.clusters[0].kubeconfig) as client:
        await kube.apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        healthy = kube.deployment("healthy", namespace, 2)
        broken = kube.deployment("broken", namespace, 2)
        broken["spec"]["template"]["metadata"]["labels"]["fleetcast.io/fault"] = "not-ready"
        await kube.apply(client, healthy)
        await kube.apply(client, broken)
        await kube.wait_available(client, "healthy", namespace)

        pods = await client.resources.get(api_version="v1", kind="Pod")

        async def broken_pods_running() -> list[dict[str, object]] | None:
            listed = kube.checked(await client.get(pods, namespace=namespace, label_selector="app=broken"))
            items = [item.to_dict() for item in listed.items]
            running = [p for p in items if (p.get("status") or {}).get("phase") == "Running"]
            return running if len(running) == 2 else None

        for pod in await eventually(broken_pods_running, 60, "the broken pods running"):
            conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
            assert conditions["Ready"] == "False"
            assert [c["ready"] for c in pod["status"]["containerStatuses"]] == [False]
        # and they stay so: the Deployment is not Available a while later either
        await asyncio.sleep(3)
        live = await kube.get_live(client, "apps/v1", "Deployment", "broken", namespace)
        assert live is not None
        assert not (live.status or {}).get("readyReplicas")
