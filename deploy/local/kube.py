"""A local Kubernetes cluster: kube-apiserver, kube-controller-manager and kube-scheduler over a shared
etcd (each cluster under its own key prefix), with kwok keeping fake nodes Ready and pods Running.

Argument builders are pure; `Cluster` lays out files and `fleet` starts the processes.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException

from deploy.local import pki, processes, readiness
from deploy.local.errors import ComponentError

SERVICE_CIDR = "10.0.0.0/24"
SERVICE_IP = "10.0.0.1"  # first address of SERVICE_CIDR: the in-cluster `kubernetes` service
NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
NODE_NAME = "kwok-node-0"

ADMIN = pki.ClientIdentity("admin", "fleetcast-admin", ("system:masters",))
CONTROLLER_MANAGER = pki.ClientIdentity("kube-controller-manager", "system:kube-controller-manager")
SCHEDULER = pki.ClientIdentity("kube-scheduler", "system:kube-scheduler")
# The spoke's own identity: what it does shows up under its name in the API server's audit trail.
SPOKE = pki.ClientIdentity("spoke", "fleetcast-spoke")
# kwok writes node and pod status for every node it manages: it acts as all kubelets at once.
KWOK = pki.ClientIdentity("kwok", "kwok", ("system:masters",))


@dataclass(frozen=True)
class EtcdPorts:
    client: int
    peer: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client}"


def etcd_args(binary: Path, ports: EtcdPorts, data_dir: Path) -> list[str]:
    peer = f"http://127.0.0.1:{ports.peer}"
    return [
        str(binary),
        "--name=fleetcast",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={ports.url}",
        f"--advertise-client-urls={ports.url}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=fleetcast={peer}",
        # A throwaway development store: skipping fsync makes API writes fast on slow disks.
        "--unsafe-no-fsync",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]


@dataclass(frozen=True)
class ClusterFiles:
    """Where one cluster keeps its credentials and kubeconfigs."""

    name: str
    home: Path

    @property
    def pki_dir(self) -> Path:
        return self.home / "pki"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig handed to users and tests."""
        return self.home / "kubeconfig"

    def component_kubeconfig(self, identity: pki.ClientIdentity) -> Path:
        return self.home / "components" / f"{identity.file_stem}.kubeconfig"

    def log(self, component: str) -> Path:
        return self.home / "logs" / f"{component}.log"

    def ensure_credentials(self, port: int) -> None:
        """Make the CA, certificates and kubeconfigs once; regenerate kubeconfigs if the port changed."""
        p = self.pki_dir
        if not (p / "ca.crt").exists():
            ca = pki.make_ca(f"fleetcast-{self.name}-ca")
            serving = pki.issue_serving(ca, SERVICE_IP)
            sa = pki.service_account_key()
            pki.write_private(p / "ca.key", ca.key_pem)
            (p / "ca.crt").write_bytes(ca.cert_pem)
            pki.write_private(p / "apiserver.key", serving.key_pem)
            (p / "apiserver.crt").write_bytes(serving.cert_pem)
            pki.write_private(p / "sa.key", sa.key_pem)
            (p / "sa.pub").write_bytes(sa.cert_pem)
        ca = pki.CertKey((p / "ca.crt").read_bytes(), (p / "ca.key").read_bytes())
        server = f"https://127.0.0.1:{port}"
        for identity in (ADMIN, CONTROLLER_MANAGER, SCHEDULER, KWOK, SPOKE):
            cert, key = p / f"{identity.file_stem}.crt", p / f"{identity.file_stem}.key"
            if not cert.exists():
                issued = pki.issue_client(ca, identity)
                pki.write_private(key, issued.key_pem)
                cert.write_bytes(issued.cert_pem)
            client = pki.CertKey(cert.read_bytes(), key.read_bytes())
            text = pki.kubeconfig(self.name, server, ca.cert_pem, client, identity.user)
            target = self.kubeconfig if identity is ADMIN else self.component_kubeconfig(identity)
            pki.write_private(target, text)

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki_dir / "ca.crt"))
        context.load_cert_chain(str(self.pki_dir / "admin.crt"), str(self.pki_dir / "admin.key"))
        return context


def apiserver_args(binary: Path, files: ClusterFiles, port: int, etcd: EtcdPorts) -> list[str]:
    p = files.pki_dir
    return [
        str(binary),
        f"--etcd-servers={etcd.url}",
        # Clusters share one etcd; each lives under its own prefix and never sees another's keys.
        f"--etcd-prefix=/fleetcast/{files.name}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={files.home / 'apiserver-certs'}",
        f"--tls-cert-file={p / 'apiserver.crt'}",
        f"--tls-private-key-file={p / 'apiserver.key'}",
        f"--client-ca-file={p / 'ca.crt'}",
        "--authorization-mode=Node,RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={p / 'sa.pub'}",
        f"--service-account-signing-key-file={p / 'sa.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # The `kubernetes` service would advertise 127.0.0.1, which Endpoints reject as loopback;
        # nothing here runs in pods that would dial it.
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        "--profiling=false",
        "--v=1",
    ]


def controller_manager_args(binary: Path, files: ClusterFiles) -> list[str]:
    kubeconfig = files.component_kubeconfig(CONTROLLER_MANAGER)
    p = files.pki_dir
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        "--secure-port=0",  # its metrics and health endpoints are not needed: readiness is the API's
        f"--cluster-name={files.name}",
        f"--root-ca-file={p / 'ca.crt'}",
        f"--service-account-private-key-file={p / 'sa.key'}",
        # As kubeadm does: each controller acts as its own service account with the bootstrap RBAC
        # roles; the controller-manager's own identity may do little more than hand out those tokens.
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--profiling=false",
        "--v=1",
    ]


def scheduler_args(binary: Path, files: ClusterFiles) -> list[str]:
    kubeconfig = files.component_kubeconfig(SCHEDULER)
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        "--secure-port=0",
        "--profiling=false",
        "--v=1",
    ]


# Stages of our own on top of kwok's defaults: pods that never become Ready, for real failures.
KWOK_FAULT_STAGES = Path(__file__).parent / "kwok" / "fault-stages.yaml"


def kwok_args(binary: Path, stages: Path, files: ClusterFiles) -> list[str]:
    key, value = NODE_ANNOTATION
    return [
        str(binary),
        f"--kubeconfig={files.component_kubeconfig(KWOK)}",
        f"--config={stages}",
        f"--config={KWOK_FAULT_STAGES}",
        # Nodes renew a Lease (as kubelets do) instead of rewriting their status every few seconds.
        "--node-lease-duration-seconds=40",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={key}={value}",
        "--cidr=10.244.0.1/24",
        "--node-ip=10.244.0.1",
    ]


def node_manifest(name: str = NODE_NAME) -> dict[str, object]:
    """A fake node kwok takes charge of: room for many pods, no taints, the usual labels."""
    key, value = NODE_ANNOTATION
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {key: value, "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "1000"},
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "1000"},
        },
    }


async def wait_apiserver_ready(
    files: ClusterFiles, port: int, record: processes.ProcessRecord, timeout: float
) -> float:
    async with httpx.AsyncClient(verify=files.ssl_context(), timeout=5.0) as http:
        probe = readiness.http_probe(http, f"https://127.0.0.1:{port}/readyz", body="ok")
        return await readiness.wait_ready(f"{files.name}/kube-apiserver", record, probe, timeout)


async def release_node_lease(files: ClusterFiles) -> None:
    """Delete the node's Lease before a kwok (re)start. A new kwok process holds it under a new identity
    and, finding the old holder's lease, waits for it to expire (40 s) before it moves pods along."""
    api_client = await k8s_config.new_client_from_config(config_file=str(files.kubeconfig))
    async with api_client:
        try:
            await k8s.CoordinationV1Api(api_client).delete_namespaced_lease(NODE_NAME, "kube-node-lease")
        except ApiException as error:
            if error.status != 404:
                raise ComponentError(
                    f"{files.name}/kwok", f"could not release the node lease: {error.reason}"
                ) from error


def _node_ready(node: k8s.V1Node) -> bool:
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


async def ensure_node_ready(files: ClusterFiles, kwok: processes.ProcessRecord, timeout: float) -> float:
    """Register the fake node (once) and wait until kwok reports it Ready."""
    started = time.monotonic()
    api_client = await k8s_config.new_client_from_config(config_file=str(files.kubeconfig))
    async with api_client:
        core = k8s.CoreV1Api(api_client)
        try:
            await core.create_node(cast(Any, node_manifest()))  # the client takes plain dicts too
        except ApiException as error:
            if error.status != 409:
                raise ComponentError(f"{files.name}/node", f"could not register the node: {error.reason}") from error

        async def probe() -> str | None:
            return None if _node_ready(await core.read_node(NODE_NAME)) else f"node {NODE_NAME} not Ready yet"

        await readiness.wait_ready(f"{files.name}/kwok", kwok, probe, timeout - (time.monotonic() - started))
    return time.monotonic() - started
