"""The thin shell around the Kubernetes API: raw dicts in and out, nothing decided here.

kubernetes_asyncio's DynamicClient does discovery and server-side apply; this adds plain-dict results,
a scope cache for the planner, and a watch stream that surfaces 410 Gone instead of hiding it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic import DynamicClient
from kubernetes_asyncio.dynamic.exceptions import NotFoundError, ResourceNotFoundError, api_exception
from kubernetes_asyncio.dynamic.resource import Resource

from schemas.v1 import ObjectRef
from spoke.objects import FIELD_MANAGER

log = logging.getLogger(__name__)

# Plain requests must not hang forever on a half-open connection; watches get their own read timeout.
REQUEST_TIMEOUT = 30.0


def _failure(status: int, reason: str, body: Any) -> Exception:
    error = ApiException(status=status, reason=reason)
    error.body = (body if isinstance(body, str) else json.dumps(body)).encode()
    return api_exception(error)


def _raw(_client: Any, data: Any) -> Any:
    """The response body as a dict. The library reads responses itself here (unpreloaded), so an
    error answer arrives as a Status object instead of an exception: turn it back into one
    (NotFoundError, ConflictError, ...), or a failed call would look like a result."""
    if isinstance(data, dict) and data.get("kind") == "Status" and data.get("status") == "Failure":
        raise _failure(int(data.get("code") or 0), str(data.get("reason") or ""), data)
    return data


class Kube:
    def __init__(self, api: k8s.ApiClient, dynamic: DynamicClient, cache_file: Path) -> None:
        self.api = api
        self.dynamic = dynamic
        self._cache_file = cache_file
        self._scopes: dict[tuple[str, str], bool] = {}

    @classmethod
    async def connect(cls, kubeconfig: Path | None) -> Kube:
        if kubeconfig is None:
            configuration = k8s.Configuration()
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            api = k8s.ApiClient(configuration)
        else:
            api = await k8s_config.new_client_from_config(config_file=str(kubeconfig))
        # A discovery cache of our own: the library's default file is shared by every client of the
        # same server in /tmp, and one process's stale view would hide another's new CRDs.
        fd, name = tempfile.mkstemp(prefix="fleetcast-spoke-discovery-", suffix=".json")
        os.close(fd)
        os.unlink(name)
        try:
            dynamic = await DynamicClient(api, cache_file=name)
        except BaseException:
            await api.close()
            raise
        return cls(api, dynamic, Path(name))

    async def close(self) -> None:
        await self.api.close()
        self._cache_file.unlink(missing_ok=True)

    async def resource(self, api_version: str, kind: str) -> Resource:
        """Raises ResourceNotFoundError when the server does not serve the kind, even after a refresh
        (the lazy discoverer re-reads discovery by itself on a miss)."""
        resource: Resource = await self.dynamic.resources.get(api_version=api_version, kind=kind)
        self._scopes[(api_version, kind)] = bool(resource.namespaced)
        return resource

    async def learn_scope(self, api_version: str, kind: str) -> bool | None:
        if (api_version, kind) not in self._scopes:
            try:
                await self.resource(api_version, kind)
            except ResourceNotFoundError:
                return None
        return self._scopes[(api_version, kind)]

    def known_scope(self, api_version: str, kind: str) -> bool | None:
        """What `learn_scope` found, without I/O: the planner's view of the API."""
        return self._scopes.get((api_version, kind))

    async def refresh_discovery(self) -> None:
        await self.dynamic.resources.invalidate_cache()

    async def apply(self, body: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply as the spoke's field manager; `dry_run`: the API server runs every step
        (defaulting, admission, validation) and answers with the result, but stores nothing."""
        resource = await self.resource(str(body["apiVersion"]), str(body["kind"]))
        namespace = (body.get("metadata") or {}).get("namespace") if resource.namespaced else None
        result: dict[str, Any] = await self.dynamic.server_side_apply(
            resource,
            body=dict(body),
            namespace=namespace,
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
            dry_run="All" if dry_run else None,
            serializer=_raw,
            _request_timeout=REQUEST_TIMEOUT,
        )
        return result

    async def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """None when the object, or its kind, does not exist."""
        try:
            resource = await self.resource(ref.api_version, ref.kind)
        except ResourceNotFoundError:
            return None
        try:
            result: dict[str, Any] = await self.dynamic.get(
                resource,
                name=ref.name,
                namespace=ref.namespace if resource.namespaced else None,
                serializer=_raw,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except NotFoundError:
            return None
        return result

    async def delete(self, ref: ObjectRef) -> bool:
        """False when it was already gone. Background propagation: dependants go after their owner."""
        try:
            resource = await self.resource(ref.api_version, ref.kind)
        except ResourceNotFoundError:
            return False
        try:
            await self.dynamic.delete(
                resource,
                name=ref.name,
                namespace=ref.namespace if resource.namespaced else None,
                propagation_policy="Background",
                serializer=_raw,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except NotFoundError:
            return False
        return True

    async def list(
        self, resource: Resource, label_selector: str | None = None, field_selector: str | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        """All objects (all namespaces) and the resourceVersion to watch from."""
        result: dict[str, Any] = await self.dynamic.get(
            resource,
            label_selector=label_selector,
            field_selector=field_selector,
            serializer=_raw,
            _request_timeout=REQUEST_TIMEOUT,
        )
        items = result.get("items") or []
        api_version, kind = result.get("apiVersion") or resource.group_version, resource.kind
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items, str((result.get("metadata") or {}).get("resourceVersion") or "")

    async def watch(
        self,
        resource: Resource,
        resource_version: str,
        label_selector: str | None,
        seconds: int,
        field_selector: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events as dicts ({"type", "object"}). An ERROR event raises ApiException with its code
        (410 when the resourceVersion is too old: the caller re-lists)."""
        response = await self.dynamic.request(
            "get",
            resource.path(),
            watch=True,
            resource_version=resource_version,
            label_selector=label_selector,
            field_selector=field_selector,
            timeout_seconds=seconds,
            serialize=False,
            _request_timeout=(REQUEST_TIMEOUT, seconds + REQUEST_TIMEOUT),
        )
        try:
            if response.status != 200:
                raise _failure(response.status, str(response.reason), await response.text())
            while True:
                line = await response.content.readline()
                if not line:
                    return
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise ApiException(status=status.get("code"), reason=status.get("message"))
                yield event
        finally:
            response.release()

    async def server_version(self) -> str | None:
        info = await self.dynamic.request("get", "/version", serializer=_raw, _request_timeout=REQUEST_TIMEOUT)
        version = info.get("gitVersion") if isinstance(info, dict) else None
        return str(version) if version else None

    async def node_counts(self) -> tuple[int, int]:
        """(nodes, ready nodes)"""
        nodes, _ = await self.list(await self.resource("v1", "Node"))
        ready = sum(
            1
            for node in nodes
            if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (node.get("status") or {}).get("conditions") or []
            )
        )
        return len(nodes), ready
