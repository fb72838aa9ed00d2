"""Health summarizers per kind, the worst-of rule, and the images a workload runs."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.v1 import Health
from spoke.health import images, object_health, running_images, worst


def cond(kind: str, status: str = "True", **extra: str) -> dict[str, str]:
    return {"type": kind, "status": status, **extra}


def deployment(**status: Any) -> dict[str, Any]:
    return {"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": {"observedGeneration": 2, **status}}


READY_DEPLOYMENT = dict(replicas=2, updatedReplicas=2, availableReplicas=2, conditions=[cond("Available")])


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [
        ("Deployment", deployment(**READY_DEPLOYMENT), Health.READY),
        ("Deployment", {**deployment(**READY_DEPLOYMENT), "status": {"observedGeneration": 1}}, Health.PROGRESSING),
        ("Deployment", deployment(replicas=2, updatedReplicas=1, availableReplicas=2), Health.PROGRESSING),
        ("Deployment", deployment(replicas=3, updatedReplicas=2, availableReplicas=2), Health.PROGRESSING),
        (
            "Deployment",
            deployment(conditions=[cond("Progressing", "False", reason="ProgressDeadlineExceeded")]),
            Health.DEGRADED,
        ),
        ("StatefulSet", {"spec": {"replicas": 1}, "status": {"readyReplicas": 1, "updatedReplicas": 1}}, Health.READY),
        (
            "StatefulSet",
            {
                "spec": {"replicas": 1},
                "status": {"readyReplicas": 1, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"},
            },
            Health.PROGRESSING,
        ),
        ("StatefulSet", {"spec": {"replicas": 2}, "status": {"readyReplicas": 1}}, Health.PROGRESSING),
        (
            "DaemonSet",
            {"status": {"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 2}},
            Health.READY,
        ),
        (
            "DaemonSet",
            {"status": {"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 1}},
            Health.PROGRESSING,
        ),
        ("Job", {"status": {"conditions": [cond("Complete")]}}, Health.READY),
        ("Job", {"status": {"conditions": [cond("Failed", message="BackoffLimitExceeded")]}}, Health.DEGRADED),
        ("Job", {"status": {"active": 1}}, Health.PROGRESSING),
        ("Pod", {"status": {"phase": "Running", "conditions": [cond("Ready")]}}, Health.READY),
        ("Pod", {"status": {"phase": "Running", "conditions": [cond("Ready", "False")]}}, Health.PROGRESSING),
        (
            "Pod",
            {
                "status": {
                    "phase": "Pending",
                    "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}],
                }
            },
            Health.DEGRADED,
        ),
        ("Pod", {"status": {"phase": "Failed"}}, Health.DEGRADED),
        ("Pod", {"status": {"phase": "Succeeded"}}, Health.READY),
        ("PersistentVolumeClaim", {"status": {"phase": "Bound"}}, Health.READY),
        ("PersistentVolumeClaim", {"status": {"phase": "Pending"}}, Health.PROGRESSING),
        ("PersistentVolumeClaim", {"status": {"phase": "Lost"}}, Health.DEGRADED),
        ("Service", {"spec": {"type": "ClusterIP"}}, Health.READY),
        ("Service", {"spec": {"type": "LoadBalancer"}, "status": {}}, Health.PROGRESSING),
        (
            "Service",
            {"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}},
            Health.READY,
        ),
        ("CustomResourceDefinition", {"status": {"conditions": [cond("Established")]}}, Health.READY),
        ("CustomResourceDefinition", {"status": {}}, Health.PROGRESSING),
        ("CustomResourceDefinition", {"status": {"conditions": [cond("NamesAccepted", "False")]}}, Health.DEGRADED),
        ("Namespace", {"status": {"phase": "Active"}}, Health.READY),
        ("Namespace", {"status": {"phase": "Terminating"}}, Health.PROGRESSING),
        ("ConfigMap", {"data": {}}, Health.READY),
        ("ConfigMap", None, Health.MISSING),
        ("ConfigMap", {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}}, Health.PROGRESSING),
    ],
)
def test_object_health(kind: str, obj: dict[str, Any] | None, expected: Health) -> None:
    assert object_health(kind, obj)[0] is expected


def test_an_application_is_as_healthy_as_its_worst_object() -> None:
    assert worst([]) is Health.READY
    assert worst([Health.READY, Health.PROGRESSING]) is Health.PROGRESSING
    assert worst([Health.READY, Health.MISSING, Health.PROGRESSING]) is Health.MISSING
    assert worst([Health.MISSING, Health.DEGRADED, Health.READY]) is Health.DEGRADED


def pod_spec(*images_: str, init: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images_)]}
    if init:
        spec["initContainers"] = [{"name": "init", "image": init}]
    return spec


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "Job"])
def test_images_of_workloads(kind: str) -> None:
    obj = {"spec": {"template": {"spec": pod_spec("b:2", "a:1", init="i:0")}}}
    assert images(kind, obj) == ["a:1", "b:2", "i:0"]


def test_images_of_cronjobs_pods_and_others() -> None:
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec("cron:1")}}}}}
    assert images("CronJob", cronjob) == ["cron:1"]
    assert images("Pod", {"spec": pod_spec("p:1", "p:1")}) == ["p:1"]
    assert images("ConfigMap", {"data": {}}) == []
    assert images("Deployment", None) == []


DIGEST = "sha256:" + "c" * 64


def test_running_images_per_container_with_the_digest_a_pod_reports() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "initContainers": [{"name": "setup", "image": "busybox:1.36"}],
            "containers": [{"name": "web", "image": "nginx:1.27.3"}, {"name": "pinned", "image": f"redis@{DIGEST}"}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox:1.37"}],
        },
        "status": {
            "initContainerStatuses": [{"name": "setup", "imageID": "docker.io/library/busybox@" + DIGEST}],
            # A bare config id (some runtimes) is not a registry digest.
            "containerStatuses": [{"name": "web", "imageID": "sha256:" + "d" * 64}],
        },
    }
    running = running_images("Pod", pod)
    assert [(r.container, r.container_type, r.image, r.digest) for r in running] == [
        ("setup", "init", "busybox:1.36", DIGEST),
        ("web", "container", "nginx:1.27.3", None),
        ("pinned", "container", f"redis@{DIGEST}", DIGEST),
        ("debug", "ephemeral", "busybox:1.37", None),
    ]
    assert {(r.kind, r.namespace, r.name) for r in running} == {("Pod", "ns", "p")}


def test_running_images_of_a_cronjob_and_a_custom_workload() -> None:
    cronjob = {"metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec("cron:1")}}}}}
    assert [(r.kind, r.name, r.image) for r in running_images("CronJob", cronjob)] == [("CronJob", "c", "cron:1")]
    rollout = {"metadata": {"name": "r"}, "spec": {"template": {"spec": pod_spec("app:2")}}}
    assert [r.image for r in running_images("Rollout", rollout)] == ["app:2"]
    assert running_images("Thing", {"spec": {"template": {"spec": {"replicas": 1}}}}) == []


def test_conditions_are_forwarded_bounded_and_malformed_ones_skipped() -> None:
    from datetime import UTC, datetime

    from schemas.v1.reports import MAX_CONDITION_MESSAGE, MAX_CONDITIONS
    from spoke.health import conditions_of

    obj = {
        "status": {
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "message": "m" * 5000,
                    "lastTransitionTime": "2026-01-01T10:00:00Z",
                },
                {"type": "NoStatus"},
                "not a condition",
            ]
            + [{"type": f"T{i}", "status": "True"} for i in range(40)]
        }
    }
    found = conditions_of(obj)
    assert len(found) == MAX_CONDITIONS
    assert found[0].type == "Available" and found[0].reason == "MinimumReplicasUnavailable"
    assert len(found[0].message) == MAX_CONDITION_MESSAGE
    assert found[0].last_transition_time == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert found[1].type == "T0"
    assert conditions_of(None) == [] and conditions_of({}) == []
