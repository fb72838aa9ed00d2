"""The clusters are real Kubernetes: server-side apply works, Deployments become Available on kwok
nodes through the real controllers and scheduler, and clusters are isolated from each other."""

from __future__ import annotations

import uuid

import pytest
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException

from tests.integration.conftest import RunningFleet
from tests.kube import apply, deployment, dynamic, wait_available


@pytest.mark.parametrize("index", [0, 1], ids=["cluster-1", "cluster-2"])
async def test_applied_deployment_becomes_available(local_fleet: RunningFleet, index: int) -> None:
    cluster = local_fleet.clusters[index]
    namespace = f"avail-{uuid.uuid4().hex[:6]}"
    async with dynamic(cluster.kubeconfig) as client:
        await apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        applied = await apply(client, deployment("web", namespace, replicas=3))
        managers = {entry["manager"] for entry in applied.metadata.managedFields}
        assert "fleetcast-test" in managers

        live = await wait_available(client, "web", namespace)
        assert live.status.readyReplicas == 3

        # The pods run on the kwok node, scheduled by the real scheduler.
        pods = await client.get(await client.resources.get(api_version="v1", kind="Pod"), namespace=namespace)
        assert len(pods.items) == 3
        assert {pod.spec.nodeName for pod in pods.items} == {"kwok-node-0"}
        assert all(pod.status.phase == "Running" for pod in pods.items)

        # Re-applying the same body is a no-op: server-side apply is idempotent.
        again = await apply(client, deployment("web", namespace, replicas=3))
        assert again.metadata.generation == applied.metadata.generation


async def test_clusters_are_isolated(local_fleet: RunningFleet) -> None:
    first, second = local_fleet.clusters[:2]
    name = f"only-in-{first.name}-{uuid.uuid4().hex[:6]}"
    async with dynamic(first.kubeconfig) as client:
        await apply(
            client,
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}},
        )
    api = await k8s_config.new_client_from_config(config_file=str(second.kubeconfig))
    async with api:
        core = k8s.CoreV1Api(api)
        with pytest.raises(ApiException) as missing:
            await core.read_namespaced_config_map(name, "default")
        assert missing.value.status == 404
        # Each cluster has its own identity too: distinct kube-system namespace UIDs.
        second_uid = (await core.read_namespace("kube-system")).metadata.uid
    api = await k8s_config.new_client_from_config(config_file=str(first.kubeconfig))
    async with api:
        first_uid = (await k8s.CoreV1Api(api).read_namespace("kube-system")).metadata.uid
    assert first_uid != second_uid


async def test_credentials_of_one_cluster_are_refused_by_another(local_fleet: RunningFleet) -> None:
    """Each cluster has its own CA: a client certificate of cluster-1 does not authenticate to cluster-2."""
    first, second = local_fleet.clusters[:2]
    configuration = k8s.Configuration()
    await k8s_config.load_kube_config(config_file=str(first.kubeconfig), client_configuration=configuration)
    configuration.host = second.server
    configuration.verify_ssl = False  # cluster-2's serving cert is not signed by cluster-1's CA either
    async with k8s.ApiClient(configuration) as api:
        with pytest.raises(ApiException) as refused:
            await k8s.CoreV1Api(api).list_namespace()
    assert refused.value.status == 401
