"""The hub (hub/images/pods.py) and the spoke (spoke/health.py) each walk pod templates: they never
import each other. Both must find the same containers in the same manifests."""

from __future__ import annotations

from typing import Any

import pytest

from hub.images.pods import containers
from spoke.health import running_images


def _spec(image: str) -> dict[str, Any]:
    return {
        "initContainers": [{"name": "i", "image": "init:1"}],
        "containers": [{"name": "c", "image": image}, {"name": "no-image"}],
        "ephemeralContainers": [{"name": "e", "image": "debug:1"}],
    }


MANIFESTS: list[dict[str, Any]] = [
    {"kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": _spec("pod:1")},
    *(
        {
            "kind": kind,
            "metadata": {"name": "w", "namespace": "n"},
            "spec": {"template": {"spec": _spec(f"{kind.lower()}:1")}},
        }
        for kind in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController", "Rollout"]
    ),
    {
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": _spec("cron:1")}}}},
    },
    {"kind": "Deployment", "metadata": {"name": "empty"}, "spec": {"template": {"spec": {}}}},
    {"kind": "Thing", "metadata": {"name": "t"}, "spec": {"template": {"spec": {"size": 1}}}},
    {"kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}},
    {"kind": "Service", "metadata": {"name": "s"}, "spec": {"template": "not a mapping"}},
]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: f"{m['kind']}/{m['metadata']['name']}")
def test_hub_and_spoke_find_the_same_containers(manifest: dict[str, Any]) -> None:
    hub = [(c.kind, c.namespace, c.name, c.container, c.container_type, c.image) for c in containers(manifest)]
    spoke = [
        (r.kind, r.namespace, r.name, r.container, r.container_type, r.image)
        for r in running_images(manifest["kind"], manifest)
    ]
    assert hub == spoke
