"""How healthy a live object is, judged from its status the way kubectl rollout status and Flux's
kstatus do. Pure: objects in, (Health, message) out. Absent objects are Missing; kinds without a
notion of readiness are Ready once they exist."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from schemas.v1 import ContainerType, Health, ObjectRef, RunningImage
from schemas.v1.reports import MAX_CONDITION_MESSAGE, MAX_CONDITIONS, Condition
from spoke.objects import bounded, timestamp

Obj = Mapping[str, Any]
Verdict = tuple[Health, str]

# Worst last. An application is as healthy as its least healthy object.
_SEVERITY = {Health.READY: 0, Health.PROGRESSING: 1, Health.UNKNOWN: 2, Health.MISSING: 3, Health.DEGRADED: 4}


def worst(healths: Iterable[Health]) -> Health:
    return max(healths, key=lambda health: _SEVERITY[health], default=Health.READY)


def _status(obj: Obj) -> Mapping[str, Any]:
    return obj.get("status") or {}


def _spec(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _condition(obj: Obj, kind: str) -> Mapping[str, Any] | None:
    for condition in _status(obj).get("conditions") or []:
        if condition.get("type") == kind:
            return condition  # type: ignore[no-any-return]
    return None


def _is_true(obj: Obj, kind: str) -> bool:
    condition = _condition(obj, kind)
    return condition is not None and condition.get("status") == "True"


def _generation_observed(obj: Obj) -> bool:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = _status(obj).get("observedGeneration")
    return generation is None or (observed is not None and observed >= generation)


def deployment(obj: Obj) -> Verdict:
    if not _generation_observed(obj):
        return Health.PROGRESSING, "waiting for the controller to observe the new generation"
    progressing = _condition(obj, "Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health.DEGRADED, str(progressing.get("message") or "progress deadline exceeded")
    status = _status(obj)
    want = _spec(obj).get("replicas", 1)
    updated, available = status.get("updatedReplicas", 0), status.get("availableReplicas", 0)
    if updated < want:
        return Health.PROGRESSING, f"{updated} of {want} replicas updated"
    if status.get("replicas", 0) > updated:
        return Health.PROGRESSING, f"{status.get('replicas', 0) - updated} old replicas pending termination"
    if available < want or not _is_true(obj, "Available"):
        return Health.PROGRESSING, f"{available} of {want} updated replicas available"
    return Health.READY, f"{available} of {want} replicas available"


def statefulset(obj: Obj) -> Verdict:
    if not _generation_observed(obj):
        return Health.PROGRESSING, "waiting for the controller to observe the new generation"
    status, want = _status(obj), _spec(obj).get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < want:
        return Health.PROGRESSING, f"{ready} of {want} replicas ready"
    strategy = (_spec(obj).get("updateStrategy") or {}).get("type", "RollingUpdate")
    if strategy == "RollingUpdate":
        if status.get("updatedReplicas", 0) < want:
            return Health.PROGRESSING, f"{status.get('updatedReplicas', 0)} of {want} replicas updated"
        if status.get("updateRevision") and status.get("currentRevision") != status.get("updateRevision"):
            return Health.PROGRESSING, "rolling update in progress"
    return Health.READY, f"{ready} of {want} replicas ready"


def daemonset(obj: Obj) -> Verdict:
    if not _generation_observed(obj):
        return Health.PROGRESSING, "waiting for the controller to observe the new generation"
    status = _status(obj)
    want = status.get("desiredNumberScheduled", 0)
    updated, available = status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0)
    if updated < want:
        return Health.PROGRESSING, f"{updated} of {want} pods updated"
    if available < want:
        return Health.PROGRESSING, f"{available} of {want} pods available"
    return Health.READY, f"{available} of {want} pods available"


def job(obj: Obj) -> Verdict:
    if _is_true(obj, "Failed"):
        return Health.DEGRADED, str((_condition(obj, "Failed") or {}).get("message") or "job failed")
    if _is_true(obj, "Complete"):
        return Health.READY, "complete"
    if _spec(obj).get("suspend"):
        return Health.READY, "suspended"
    return Health.PROGRESSING, f"{_status(obj).get('active', 0)} pods active"


_BAD_WAITING = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
}


def pod(obj: Obj) -> Verdict:
    status = _status(obj)
    phase = status.get("phase", "Pending")
    if phase == "Succeeded":
        return Health.READY, "succeeded"
    if phase == "Failed":
        return Health.DEGRADED, str(status.get("message") or status.get("reason") or "pod failed")
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in _BAD_WAITING:
            return Health.DEGRADED, f"{container.get('name')}: {waiting['reason']}"
    if phase == "Running" and _is_true(obj, "Ready"):
        return Health.READY, "running and ready"
    return Health.PROGRESSING, f"{phase}"


def persistentvolumeclaim(obj: Obj) -> Verdict:
    phase = _status(obj).get("phase", "Pending")
    if phase == "Bound":
        return Health.READY, "bound"
    if phase == "Lost":
        return Health.DEGRADED, "claim lost its volume"
    return Health.PROGRESSING, phase


def service(obj: Obj) -> Verdict:
    if _spec(obj).get("type") == "LoadBalancer" and not (_status(obj).get("loadBalancer") or {}).get("ingress"):
        return Health.PROGRESSING, "waiting for a load balancer address"
    return Health.READY, ""


def customresourcedefinition(obj: Obj) -> Verdict:
    names_accepted = _condition(obj, "NamesAccepted")
    if names_accepted is not None and names_accepted.get("status") == "False":
        return Health.DEGRADED, str(names_accepted.get("message") or "names not accepted")
    if _is_true(obj, "Established"):
        return Health.READY, "established"
    return Health.PROGRESSING, "not established yet"


def namespace(obj: Obj) -> Verdict:
    phase = _status(obj).get("phase", "Active")
    if phase == "Terminating":
        return Health.PROGRESSING, "terminating"
    return Health.READY, ""


_BY_KIND: dict[str, Callable[[Obj], Verdict]] = {
    "Deployment": deployment,
    "StatefulSet": statefulset,
    "DaemonSet": daemonset,
    "Job": job,
    "Pod": pod,
    "PersistentVolumeClaim": persistentvolumeclaim,
    "Service": service,
    "CustomResourceDefinition": customresourcedefinition,
    "Namespace": namespace,
}


def object_health(kind: str, obj: Obj | None) -> Verdict:
    if obj is None:
        return Health.MISSING, "not found"
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return Health.PROGRESSING, "being deleted"
    summarize = _BY_KIND.get(kind)
    return summarize(obj) if summarize else (Health.READY, "")


# Where pod templates are. The hub has its own copy of this traversal (hub/images/pods.py): hub and
# spoke never import each other, and schemas/ is the wire contract, not manifest knowledge.
# tests/unit/test_pod_templates_agree.py keeps the two in step.
_TEMPLATED = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"})
_CONTAINER_LISTS: tuple[tuple[str, str, ContainerType], ...] = (
    ("initContainers", "initContainerStatuses", "init"),
    ("containers", "containerStatuses", "container"),
    ("ephemeralContainers", "ephemeralContainerStatuses", "ephemeral"),
)
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")


def pod_spec(kind: str, obj: Obj) -> Mapping[str, Any] | None:
    """The object's pod spec: a Pod's spec, a CronJob's job template's, the pod template of the
    workload kinds and of any other object whose spec.template.spec holds containers."""
    spec = _spec(obj)
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return template.get("spec") or {}
    template_spec = (spec.get("template") or {}).get("spec") if isinstance(spec.get("template"), Mapping) else None
    if not isinstance(template_spec, Mapping):
        return None
    if kind in _TEMPLATED or any(isinstance(template_spec.get(field), list) for field, _, _ in _CONTAINER_LISTS):
        return template_spec
    return None


def _digest(image: str, image_id: object) -> str | None:
    """The digest that runs: from the container status's imageID (`repo@sha256:...`; a bare `sha256:`
    there is the image's config id under some runtimes, not a registry digest) or the spec's `@digest`."""
    for text in (image_id, image):
        if isinstance(text, str) and "@" in text:
            digest = text.rpartition("@")[2]
            if _DIGEST.match(digest):
                return digest
    return None


def running_images(kind: str, obj: Obj | None, ref: ObjectRef | None = None) -> list[RunningImage]:
    """Per container of the object's pod template (init, regular, ephemeral): the image, and the digest
    running when the cluster says (a Pod's container statuses; a workload's template has none). The
    object is named by `ref` if given (what was applied), else by its metadata."""
    if obj is None:
        return []
    spec = pod_spec(kind, obj)
    if not spec:
        return []
    metadata = obj.get("metadata") or {}
    namespace, name = (ref.namespace, ref.name) if ref else (metadata.get("namespace"), str(metadata.get("name", "")))
    status = _status(obj) if kind == "Pod" else {}
    found: list[RunningImage] = []
    for field, statuses_field, container_type in _CONTAINER_LISTS:
        image_ids = {
            s.get("name"): s.get("imageID") for s in status.get(statuses_field) or [] if isinstance(s, Mapping)
        }
        for container in spec.get(field) or []:
            if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
                continue
            container_name = str(container.get("name", ""))
            found.append(
                RunningImage(
                    kind=kind,
                    namespace=namespace,
                    name=name,
                    container=container_name,
                    container_type=container_type,
                    image=container["image"],
                    digest=_digest(container["image"], image_ids.get(container_name)),
                )
            )
    return found


def images(kind: str, obj: Obj | None) -> list[str]:
    """Container images a workload runs, init and ephemeral containers included, as its live spec says."""
    return sorted({running.image for running in running_images(kind, obj)})


def conditions_of(obj: Obj | None) -> list[Condition]:
    """The live object's status conditions as the cluster reports them, bounded (the first
    MAX_CONDITIONS, messages cut at MAX_CONDITION_MESSAGE); malformed entries are skipped."""
    found: list[Condition] = []
    for raw in (_status(obj) if obj else {}).get("conditions") or []:
        if len(found) >= MAX_CONDITIONS:
            break
        if not isinstance(raw, Mapping) or not raw.get("type") or not raw.get("status"):
            continue
        found.append(
            Condition(
                type=bounded(raw["type"], 316),
                status=bounded(raw["status"], 32),
                reason=bounded(raw.get("reason"), 1024),
                message=bounded(raw.get("message"), MAX_CONDITION_MESSAGE),
                last_transition_time=timestamp(raw.get("lastTransitionTime")),
            )
        )
    return found
