"""The shipped baseline policies on passing and failing objects, for every kind with a pod template."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hub.policies.baseline import baseline
from hub.policies.evaluate import evaluate
from hub.policies.spec import Action
from hub.sources.facts import ClusterFacts

pytestmark = pytest.mark.unit

CLUSTER = ClusterFacts("prod-1", {"env": "prod"})
LABELS = {"app.kubernetes.io/name": "web"}


def container(name: str = "app", image: str = "nginx:1.27.4", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
        **extra,
    }


def pod_spec(*containers: dict[str, Any], init: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers or [container()])}
    if init is not None:
        spec["initContainers"] = init
    return spec


def wrap(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """An object of `kind` whose pod template has `spec`."""
    metadata = {"name": "web", "namespace": "shop", "labels": dict(LABELS)}
    template = {"metadata": {"labels": dict(LABELS)}, "spec": spec}
    match kind:
        case "Pod":
            return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
        case "CronJob":
            body = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
            return {"apiVersion": "batch/v1", "kind": kind, "metadata": metadata, "spec": body}
        case "Job":
            return {"apiVersion": "batch/v1", "kind": kind, "metadata": metadata, "spec": {"template": template}}
        case _:
            return {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata, "spec": {"template": template}}


KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]


def findings(name: str, obj: dict[str, Any]) -> list[str]:
    result = evaluate([baseline()[name]], [(CLUSTER, [obj])])
    assert all(f.action is Action.DENY for f in result)
    assert not any(f.message.startswith("evaluation error") for f in result), result
    return [f.message for f in result]


def test_the_set() -> None:
    assert list(baseline()) == [
        "no-latest-images",
        "no-privileged",
        "required-labels",
        "resource-requests",
        "run-as-non-root",
    ]
    assert all(p.description for p in baseline().values())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["no-latest-images", "no-privileged", "required-labels", "resource-requests",
                                  "run-as-non-root"])  # fmt: skip
def test_a_good_workload_passes_every_policy(kind: str, name: str) -> None:
    good = pod_spec(container(), container("sidecar", "ghcr.io/acme/proxy@sha256:" + "a" * 64), init=[container("i")])
    assert findings(name, wrap(kind, good)) == []


# Each case: the policy, a change that breaks it, and whether the break is in an init container.
Change = Callable[[dict[str, Any]], None]


def _set(path: list[str], value: Any) -> Change:
    def change(c: dict[str, Any]) -> None:
        target = c
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value

    return change


def _drop(path: list[str]) -> Change:
    def change(c: dict[str, Any]) -> None:
        target = c
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


BREAKS: list[tuple[str, str, Change]] = [
    ("no-latest-images", "latest tag", _set(["image"], "nginx:latest")),
    ("no-latest-images", "untagged", _set(["image"], "nginx")),
    ("no-latest-images", "untagged with a registry port", _set(["image"], "registry.local:5000/team/api")),
    ("no-latest-images", "latest with a registry port", _set(["image"], "registry.local:5000/api:latest")),
    ("resource-requests", "no cpu", _drop(["resources", "requests", "cpu"])),
    ("resource-requests", "no memory", _drop(["resources", "requests", "memory"])),
    ("resource-requests", "no resources", _drop(["resources"])),
    ("no-privileged", "privileged", _set(["securityContext", "privileged"], True)),
    ("no-privileged", "escalation", _set(["securityContext", "allowPrivilegeEscalation"], True)),
    ("run-as-non-root", "no securityContext", _drop(["securityContext"])),
    ("run-as-non-root", "runAsNonRoot false", _set(["securityContext", "runAsNonRoot"], False)),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "what", "change"), BREAKS, ids=[f"{b[0]}:{b[1]}" for b in BREAKS])
@pytest.mark.parametrize("where", ["container", "init container"])
def test_each_break_is_found(kind: str, name: str, what: str, change: Change, where: str) -> None:
    broken = container("bad")
    change(broken)
    spec = pod_spec(container(), broken) if where == "container" else pod_spec(container(), init=[broken])
    assert len(findings(name, wrap(kind, spec))) == 1


def test_digest_pinned_and_tagged_images_with_registry_ports_pass() -> None:
    for image in ["registry.local:5000/team/api:1.2", "nginx@sha256:" + "b" * 64, "nginx:1.27@sha256:" + "c" * 64]:
        assert findings("no-latest-images", wrap("Deployment", pod_spec(container(image=image)))) == []


def test_run_as_non_root_from_the_pod_and_overridden_by_a_container() -> None:
    bare = container()
    del bare["securityContext"]
    spec = pod_spec(bare)
    spec["securityContext"] = {"runAsNonRoot": True}
    assert findings("run-as-non-root", wrap("Deployment", spec)) == []
    overriding = copy.deepcopy(spec)
    overriding["containers"][0]["securityContext"] = {"runAsNonRoot": False}
    assert findings("run-as-non-root", wrap("Deployment", overriding)) == [
        "every container needs securityContext.runAsNonRoot: true (on the pod or on the container)"
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_required_labels(kind: str) -> None:
    obj = wrap(kind, pod_spec())
    obj["metadata"]["labels"] = {"app": "web"}
    assert findings("required-labels", obj) == ["workloads need the label app.kubernetes.io/name (metadata.labels)"]
    del obj["metadata"]["labels"]
    assert len(findings("required-labels", obj)) == 1


def test_objects_without_pod_templates_are_out_of_scope() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}
    assert evaluate(list(baseline().values()), [(CLUSTER, [service])]) == []
