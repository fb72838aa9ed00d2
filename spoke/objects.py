"""How the spoke names and marks the Kubernetes objects it manages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.v1 import ObjectRef

FIELD_MANAGER = "fleetcast"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "fleetcast"
APPLICATION_LABEL = "fleetcast.io/application"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"

Manifest = dict[str, Any]


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Identity of an object regardless of the API version it is served at: apps/v1 and
    apps/v1beta2 Deployments of the same name are the same object."""

    group: str
    kind: str
    namespace: str  # "" for cluster-scoped objects (or a namespace not resolved yet)
    name: str


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def ref_of(manifest: Mapping[str, Any]) -> ObjectRef:
    metadata = manifest.get("metadata") or {}
    return ObjectRef(
        api_version=str(manifest.get("apiVersion", "")),
        kind=str(manifest.get("kind", "")),
        name=str(metadata.get("name", "")),
        namespace=metadata.get("namespace") or None,
    )


def key_of_ref(ref: ObjectRef) -> ObjectKey:
    return ObjectKey(group_of(ref.api_version), ref.kind, ref.namespace or "", ref.name)


def key_of(manifest: Mapping[str, Any]) -> ObjectKey:
    return key_of_ref(ref_of(manifest))


def labels_of(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    if not obj:
        return {}
    return (obj.get("metadata") or {}).get("labels") or {}


def owned_by(obj: Mapping[str, Any] | None, application: str) -> bool:
    return labels_of(obj).get(APPLICATION_LABEL) == application


def timestamp(value: Any) -> datetime | None:
    """A Kubernetes timestamp (RFC 3339, `Z` for UTC) as an aware datetime; None if absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def bounded(value: Any, most: int) -> str:
    """`value` as text of at most `most` characters (cut ones end in an ellipsis); None is empty."""
    text = "" if value is None else str(value)
    return text if len(text) <= most else text[: most - 1] + "…"
