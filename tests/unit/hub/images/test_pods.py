from __future__ import annotations

from typing import Any

from hub.images.pods import ContainerImage, all_containers, containers, pod_spec_path


def _pod_spec(image: str = "nginx:1.27.3") -> dict[str, Any]:
    return {
        "initContainers": [{"name": "setup", "image": "busybox:1.36"}],
        "containers": [{"name": "web", "image": image}, {"name": "no-image"}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox:1.37"}],
    }


def _workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w", "namespace": "ns"}, "spec": spec}


def test_every_workload_kind() -> None:
    template = {"template": {"spec": _pod_spec()}}
    manifests = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w", "namespace": "ns"}, "spec": _pod_spec()},
        *(_workload(kind, **template) for kind in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]),
        _workload("CronJob", jobTemplate={"spec": template}),
        _workload("Rollout", **template),  # a custom workload with a pod template
    ]
    for manifest in manifests:
        found = list(containers(manifest))
        assert [(c.container, c.container_type, c.image) for c in found] == [
            ("setup", "init", "busybox:1.36"),
            ("web", "container", "nginx:1.27.3"),
            ("debug", "ephemeral", "busybox:1.37"),
        ], manifest["kind"]
        assert all((c.kind, c.namespace, c.name) == (manifest["kind"], "ns", "w") for c in found)


def test_paths_lead_to_the_container() -> None:
    manifest = _workload("CronJob", jobTemplate={"spec": {"template": {"spec": _pod_spec()}}})
    for found in containers(manifest):
        node: Any = manifest
        for step in found.path:
            node = node[step]
        assert node["image"] == found.image
    web = next(c for c in containers(manifest) if c.container == "web")
    assert web.path == ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)


def test_objects_without_pod_templates() -> None:
    assert list(containers({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}})) == []
    assert list(containers({"kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": []}})) == []
    # A custom object with spec.template.spec but no containers is not taken for a workload.
    assert pod_spec_path({"kind": "Thing", "spec": {"template": {"spec": {"replicas": 2}}}}) is None
    assert list(containers({"kind": "Deployment", "metadata": {"name": "d"}, "spec": {}})) == []
    assert list(containers({"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": None}})) == []


def test_all_containers_of_a_release() -> None:
    manifests = [
        _workload("Deployment", template={"spec": {"containers": [{"name": "a", "image": "nginx:1"}]}}),
        {"kind": "ConfigMap", "metadata": {"name": "c"}},
        _workload("DaemonSet", template={"spec": {"containers": [{"name": "b", "image": "redis:7"}]}}),
    ]
    assert [c.image for c in all_containers(manifests)] == ["nginx:1", "redis:7"]
    assert isinstance(next(all_containers(manifests)), ContainerImage)
