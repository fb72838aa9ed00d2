"""Namespaces of rendered objects. Pure.

`helm install -n NS` puts every namespaced object that names no namespace into NS (it asks the API
server which kinds are namespaced); `helm template` leaves them without one. The hub renders with
`helm template` and has no API server to ask: it gives NS to every object that names none, except the
built-in kinds Kubernetes keeps at cluster scope and the cluster-scoped kinds of CustomResourceDefinitions
in the same rendering (their `spec.scope`). A cluster-scoped custom kind whose CRD comes from elsewhere
must not name a namespace in its template — the cluster refuses it, and the spoke reports that.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

# Built-in kinds at cluster scope (group/kind; "" is the core group).
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
    }
)


def _group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return group, str(obj.get("kind", ""))


def _crd_scopes(objects: Iterable[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, for the CRDs among `objects`."""
    scopes: dict[tuple[str, str], bool] = {}
    for obj in objects:
        if _group_kind(obj) != ("apiextensions.k8s.io", "CustomResourceDefinition"):
            continue
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        if isinstance(spec.get("group"), str) and isinstance(names.get("kind"), str):
            scopes[(spec["group"], names["kind"])] = spec.get("scope") != "Cluster"
    return scopes


def with_namespace(objects: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """`objects` with `namespace` given to each namespaced one that names none (input not modified)."""
    scopes = _crd_scopes(objects)
    out: list[dict[str, Any]] = []
    for obj in objects:
        key = _group_kind(obj)
        metadata = obj.get("metadata")
        namespaced = scopes.get(key, key not in CLUSTER_SCOPED)
        if namespaced and isinstance(metadata, dict) and not metadata.get("namespace"):
            obj = copy.deepcopy(obj)
            obj["metadata"]["namespace"] = namespace
        out.append(obj)
    return out
