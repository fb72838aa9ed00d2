"""What a rendering may know of the cluster it renders for. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClusterFacts:
    """A cluster as charts, templates and policies see it: its id, labels, and what its spoke reported
    (Kubernetes version: `v1.34.1`, None before the first heartbeat)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes_version: str | None = None

    def as_values(self) -> dict[str, Any]:
        """The cluster in values: `{name, labels, kubernetesVersion}` (camelCase like Helm's own)."""
        return {
            "name": self.name,
            "labels": dict(self.labels),
            "kubernetesVersion": self.kubernetes_version,
        }
