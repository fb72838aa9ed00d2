"""The order objects are applied in: what others live in or refer to first (invariant 4).

Pruning runs the same order backwards, so a Namespace goes after what lived in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# After Helm's install order, which the ecosystem expects: definitions and namespaces, policy, identity
# and configuration, storage, RBAC, services, workloads, then ingress and webhooks. Anything not listed
# (custom resources above all) comes last, once its CRD is in.
APPLY_ORDER: tuple[str, ...] = (
    "CustomResourceDefinition",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "PriorityClass",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_RANK = {kind: rank for rank, kind in enumerate(APPLY_ORDER)}


def kind_rank(kind: str) -> int:
    return _RANK.get(kind, len(APPLY_ORDER))


def apply_order(items: Iterable[T], kind: Callable[[T], str], name: Callable[[T], str]) -> list[T]:
    """Stable within a kind by name, so two spokes given the same bundle do the same thing."""
    return sorted(items, key=lambda item: (kind_rank(kind(item)), kind(item), name(item)))


def prune_order(items: Iterable[T], kind: Callable[[T], str], name: Callable[[T], str]) -> list[T]:
    return list(reversed(apply_order(items, kind, name)))
