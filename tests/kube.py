"""Reading and writing real clusters in tests, through kubernetes-asyncio (async, and sync wrappers for
tests that drive processes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic import DynamicClient

TEST_MANAGER = "fleetcast-test"


class KubeError(AssertionError):
    def __init__(self, status: dict[str, Any]) -> None:
        self.code = int(status.get("code") or 0)
        super().__init__(f"{self.code} {status.get('reason')}: {status.get('message')}")


def checked(result: Any) -> Any:
    """kubernetes-asyncio's DynamicClient (36.x) returns a failed call's `Status` instead of raising:
    make it an error, or a failure would read as a result."""
    data = result.to_dict() if hasattr(result, "to_dict") else result
    if isinstance(data, dict) and data.get("kind") == "Status" and data.get("status") == "Failure":
        raise KubeError(data)
    return result


@asynccontextmanager
async def dynamic(kubeconfig: Path) -> AsyncIterator[DynamicClient]:
    api = await k8s_config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        yield await DynamicClient(api)


def deployment(name: str, namespace: str, replicas: int, image: str = "nginx:1.27.3") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


async def apply(client: DynamicClient, body: dict[str, Any], manager: str = TEST_MANAGER) -> Any:
    resource = await client.resources.get(api_version=body["apiVersion"], kind=body["kind"])
    return checked(await client.server_side_apply(resource, body=body, field_manager=manager, force_conflicts=True))


async def wait_available(client: DynamicClient, name: str, namespace: str, timeout: float = 90.0) -> Any:
    resource = await client.resources.get(api_version="apps/v1", kind="Deployment")
    deadline = time.monotonic() + timeout
    while True:
        live = checked(await client.get(resource, name=name, namespace=namespace))
        status = live.status or {}
        if status.get("readyReplicas") == live.spec.replicas and any(
            c["type"] == "Available" and c["status"] == "True" for c in status.get("conditions") or []
        ):
            return live
        assert time.monotonic() < deadline, f"{name} not Available after {timeout}s: {status}"
        await asyncio.sleep(0.5)


async def get_live(
    client: DynamicClient, api_version: str, kind: str, name: str, namespace: str | None = None
) -> Any | None:
    """The live object, or None if it does not exist; any other failure raises."""
    resource = await client.resources.get(api_version=api_version, kind=kind)
    try:
        return checked(await client.get(resource, name=name, namespace=namespace))
    except (ApiException, KubeError) as error:
        if getattr(error, "status", None) == 404 or getattr(error, "code", None) == 404:
            return None
        raise


async def _get(
    kubeconfig: Path, api_version: str, kind: str, name: str, namespace: str | None
) -> dict[str, Any] | None:
    async with dynamic(kubeconfig) as client:
        live = await get_live(client, api_version, kind, name, namespace)
        return None if live is None else dict(live.to_dict())


def get(
    kubeconfig: Path, api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any] | None:
    """The live object as a dict, or None if it does not exist."""
    return asyncio.run(_get(kubeconfig, api_version, kind, name, namespace))


def create(kubeconfig: Path, body: dict[str, Any]) -> None:
    """Apply an object as someone other than Fleetcast would."""

    async def go() -> None:
        async with dynamic(kubeconfig) as client:
            await apply(client, body)

    asyncio.run(go())
