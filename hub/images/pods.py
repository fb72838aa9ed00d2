"""Where manifests hold containers: every pod template of every workload kind. Pure.

The spoke has its own copy of this small traversal (spoke/health.py `pod_spec`): hub and spoke never
import each other, and schemas/ holds the wire contract, not Kubernetes manifest knowledge.
tests/unit/test_pod_templates_agree.py keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.v1 import ContainerType

Path = tuple[str | int, ...]

# Kinds whose pod template is at spec.template.spec; any other object is looked at there too, if it
# holds containers (custom workloads such as Argo Rollouts or OpenKruise CloneSets use that shape).
_TEMPLATED = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"})
_LISTS: tuple[tuple[str, ContainerType], ...] = (
    ("initContainers", "init"),
    ("containers", "container"),
    ("ephemeralContainers", "ephemeral"),
)


@dataclass(frozen=True)
class ContainerImage:
    """One container of one manifest: which object, which container, which image, and where.

    `path` leads from the manifest to the container's mapping (`manifest["spec"]["template"]["spec"]
    ["containers"][0]` for `("spec", "template", "spec", "containers", 0)`), so a caller can change
    that container's image in place.
    """

    kind: str
    namespace: str | None
    name: str
    container: str
    container_type: ContainerType
    image: str
    path: Path


def _at(obj: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, str):
            obj = obj.get(step) if isinstance(obj, Mapping) else None
        else:
            obj = obj[step] if isinstance(obj, list) and step < len(obj) else None
    return obj


def pod_spec_path(manifest: Mapping[str, Any]) -> Path | None:
    """Where the manifest's pod spec is, or None if it has none."""
    kind = manifest.get("kind")
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    path: Path = ("spec", "template", "spec")
    spec = _at(manifest, path)
    if not isinstance(spec, Mapping):
        return None
    if kind in _TEMPLATED or any(isinstance(spec.get(field), list) for field, _ in _LISTS):
        return path
    return None


def containers(manifest: Mapping[str, Any]) -> Iterator[ContainerImage]:
    """Every container with an image in the manifest's pod template: init containers, containers,
    ephemeral containers, in that order."""
    spec_path = pod_spec_path(manifest)
    if spec_path is None:
        return
    spec = _at(manifest, spec_path)
    if not isinstance(spec, Mapping):
        return
    metadata = manifest.get("metadata") or {}
    for field, container_type in _LISTS:
        for index, container in enumerate(spec.get(field) or []):
            if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
                continue
            yield ContainerImage(
                kind=str(manifest.get("kind")),
                namespace=metadata.get("namespace"),
                name=str(metadata.get("name", "")),
                container=str(container.get("name", "")),
                container_type=container_type,
                image=container["image"],
                path=(*spec_path, field, index),
            )


def all_containers(manifests: Iterable[Mapping[str, Any]]) -> Iterator[ContainerImage]:
    """`containers` of each manifest, in order."""
    for manifest in manifests:
        yield from containers(manifest)
