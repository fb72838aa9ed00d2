"""Applications the end-to-end tests deploy: each test its own namespace and image, so the fleet-wide
queries (versions by image) see only that test's workloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def web_app(
    namespace: str, image: str, *, with_config: bool = True, extra_configmaps: int = 0, broken: bool = False
) -> list[dict[str, Any]]:
    """`broken`: its pods never become Ready (the local fleet's kwok fault stage), as with a bad probe."""
    labels = {"app": "web"}
    pod_labels = {**labels, "fleetcast.io/fault": "not-ready"} if broken else labels
    objects: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    if with_config:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "web-config", "namespace": namespace},
                "data": {"GREETING": "hello"},
            }
        )
    objects += [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"extra-{index}", "namespace": namespace},
            "data": {"index": str(index)},
        }
        for index in range(extra_configmaps)
    ]
    objects += [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]},
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 80}]},
        },
    ]
    return objects


def write(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path
