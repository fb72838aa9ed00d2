"""Fleetcast itself on the local fleet: the hub and one spoke per cluster, run as `fleetcast hub` and
`fleetcast spoke` processes exactly as users run them, the clusters registered with labels, and an admin
token for it all (made in the hub's database as `fleetcast hub token create` makes one)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, cast

import httpx
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException

from deploy.local import processes, readiness
from deploy.local.errors import ComponentError
from deploy.local.kube import SPOKE, ClusterFiles

HUB = "hub"
ADMIN_TOKEN = "admin.token"
FLEETCAST = [sys.executable, "-m", "deploy.cli"]


def spoke_component(cluster: str) -> str:
    return f"{cluster}/spoke"


def default_labels(cluster: str, index: int) -> dict[str, str]:
    """The first cluster is staging, the rest production: enough to show selectors and waves."""
    return {"env": "staging" if index == 0 else "prod", "fleetcast.io/cluster": cluster}


def cluster_labels(values: list[str], clusters: list[str]) -> dict[str, dict[str, str]]:
    """`CLUSTER:KEY=VALUE` arguments as labels per cluster; an unknown cluster or a bad pair is an error
    that says what is expected."""
    result: dict[str, dict[str, str]] = {}
    for value in values:
        cluster, colon, pair = value.partition(":")
        key, equals, label = pair.partition("=")
        if not colon or not equals or not cluster or not key:
            raise ValueError(f"--label {value!r}: expected CLUSTER:KEY=VALUE, e.g. cluster-2:env=canary")
        if cluster not in clusters:
            raise ValueError(f"--label {value!r}: no cluster {cluster} in this fleet ({', '.join(clusters)})")
        result.setdefault(cluster, {})[key] = label
    return result


def hub_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def hub_database_url(database: Path) -> str:
    return f"sqlite+aiosqlite:///{database}"


def hub_args(port: int, database: Path, kafka_bootstrap: str) -> list[str]:
    return [
        *FLEETCAST,
        "hub",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--database-url={hub_database_url(database)}",
        f"--kafka-bootstrap={kafka_bootstrap}",
    ]


def hub_env(helm: Path | None) -> dict[str, str]:
    """The hub's environment beyond ours: the Helm it renders charts with (the one `dev up` built)."""
    return {"FLEETCAST_HUB_HELM_BINARY": str(helm)} if helm is not None else {}


def write_secret(path: Path, text: str) -> None:
    """Create or replace `path` readable by its owner only (mode 0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    os.replace(partial, path)


async def ensure_admin_token(token_file: Path, database: Path) -> str:
    """The admin token of the local hub: made once, in its database, and kept in `token_file` (0600) for
    the next `up`s (the database keeps only its hash)."""
    if token_file.exists():
        return token_file.read_text().strip()
    # Imported here: the store and its migrations are more than `fleetcast --help` should load.
    from hub.auth.bootstrap import create_token
    from hub.settings import HubSettings

    token = await create_token(HubSettings(database_url=hub_database_url(database)), "admin", ["admin"])
    write_secret(token_file, token.token + "\n")
    return token.token


def write_cli_config(path: Path, hub_url: str, token: str) -> bool:
    """Point the `fleetcast` CLI at the local hub with the admin token, unless `path` holds a config that
    `dev up` did not write (then it is left alone and False returned)."""
    from hub.client.config import dev_config_text, may_overwrite

    existing = path.read_text() if path.exists() else None
    if not may_overwrite(existing):
        return False
    write_secret(path, dev_config_text(hub_url, token))
    return True


def spoke_args(cluster: str, kubeconfig: Path, kafka_bootstrap: str, metrics_port: int) -> list[str]:
    return [
        *FLEETCAST,
        "spoke",
        f"--cluster-id={cluster}",
        f"--kubeconfig={kubeconfig}",
        f"--kafka-bootstrap={kafka_bootstrap}",
        f"--metrics-port={metrics_port}",
    ]


async def wait_http_ok(component: str, url: str, record: processes.ProcessRecord, timeout: float) -> float:
    async with httpx.AsyncClient(timeout=3.0) as http:
        return await readiness.wait_ready(component, record, readiness.http_probe(http, url), timeout, interval=0.3)


async def register_cluster(url: str, token: str, cluster: str, labels: dict[str, str]) -> bool:
    """Register once; a cluster already known keeps the labels it has (someone may have changed them)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=10.0, headers=headers) as http:
        response = await http.post("/api/v1/clusters", json={"id": cluster, "labels": labels})
    if response.status_code == 409:
        return False
    if response.status_code == 401:
        raise ComponentError(
            HUB,
            f"the hub refused the admin token of `dev up` ({response.json().get('detail')}); delete the token file "
            "in the hub's state directory (hub/admin.token) and run `fleetcast dev up` again to make a new one",
        )
    if response.status_code >= 400:
        raise ComponentError(HUB, f"registering {cluster} failed: {response.status_code} {response.text}")
    return True


async def label_cluster(url: str, token: str, cluster: str, labels: dict[str, str]) -> dict[str, str]:
    """Set `labels` on a registered cluster, keeping the others it has; the labels it ends up with."""
    async with httpx.AsyncClient(base_url=url, timeout=10.0, headers={"Authorization": f"Bearer {token}"}) as http:
        current = await http.get(f"/api/v1/clusters/{cluster}")
        if current.status_code >= 400:
            raise ComponentError(HUB, f"reading {cluster} failed: {current.status_code} {current.text}")
        wanted = {**current.json()["labels"], **labels}
        response = await http.put(f"/api/v1/clusters/{cluster}/labels", json={"labels": wanted})
    if response.status_code >= 400:
        raise ComponentError(HUB, f"labelling {cluster} failed: {response.status_code} {response.text}")
    result: dict[str, str] = response.json()["labels"]
    return result


async def grant_spoke_access(files: ClusterFiles) -> None:
    """Bind the spoke's own identity to cluster-admin: it applies whatever applications declare.
    Narrowing this (per-namespace roles, impersonation) belongs to the security work; the spoke still
    acts under its own name, so the audit trail tells it apart from people."""
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "fleetcast-spoke"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": SPOKE.user}],
    }
    api = await k8s_config.new_client_from_config(config_file=str(files.kubeconfig))
    async with api:
        rbac = k8s.RbacAuthorizationV1Api(api)
        try:
            await rbac.create_cluster_role_binding(cast(Any, binding))  # plain dicts are accepted
        except ApiException as error:
            if error.status != 409:
                raise ComponentError(
                    f"{files.name}/spoke", f"could not grant the spoke access: {error.reason}"
                ) from error
