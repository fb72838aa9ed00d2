"""The spoke on real Kafka and a real cluster: apply, report, prune, uninstall, reject, stale."""

from __future__ import annotations

import uuid

from prometheus_client import CollectorRegistry

from schemas.v1 import Health, RunningImage
from tests.integration.spoke.conftest import (
    Fleet,
    configmap,
    deployment,
    namespace,
    running_spoke,
    service,
)
from tests.waiting import eventually_async as eventually


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_bundle_becomes_available_and_a_new_revision_prunes_only_what_it_dropped(fleet: Fleet) -> None:
    app, ns = _name("web"), _name("ns")
    rev1 = [namespace(ns), configmap("settings", ns, mode="a"), deployment("web", ns), service("web", ns)]
    async with running_spoke(fleet.settings()):
        await fleet.publish_bundle(app, 1, rev1)

        ready = await fleet.status(app, lambda r: r.health is Health.READY and r.last_applied_revision == 1)
        assert ready.images == ["nginx:1.27.3"]
        # Per object and container too (what the hub's version query indexes).
        assert ready.containers == [
            RunningImage(kind="Deployment", namespace=ns, name="web", container="web", image="nginx:1.27.3")
        ]
        assert ready.removed is False
        assert {str(o.ref) for o in ready.objects} == {
            f"Namespace/{ns}",
            f"ConfigMap/{ns}/settings",
            f"Deployment/{ns}/web",
            f"Service/{ns}/web",
        }
        live = await fleet.get("apps/v1", "Deployment", "web", ns)
        assert live.metadata.labels["app.kubernetes.io/managed-by"] == "fleetcast"
        assert live.metadata.labels["fleetcast.io/application"] == app
        assert any(c["type"] == "Available" and c["status"] == "True" for c in live.status.conditions)

        # Someone else's ConfigMap in the same namespace: not in any inventory of ours.
        await fleet.create(configmap("not-ours", ns, owner="someone-else"))

        rev2 = [namespace(ns), deployment("web", ns, image="nginx:1.27.4"), service("web", ns)]
        await fleet.publish_bundle(app, 2, rev2)
        await eventually(lambda: fleet.gone("v1", "ConfigMap", "settings", ns), 30, "settings pruned")
        report = await fleet.status(app, lambda r: r.last_applied_revision == 2 and r.health is Health.READY)
        assert report.images == ["nginx:1.27.4"]
        assert any(o.action == "pruned" and o.ref.name == "settings" for o in report.objects)
        assert await fleet.get("v1", "ConfigMap", "not-ours", ns) is not None
        assert await fleet.get("apps/v1", "Deployment", "web", ns) is not None


async def test_removal_uninstalls_everything_the_application_applied(fleet: Fleet) -> None:
    app, ns = _name("gone"), _name("ns")
    async with running_spoke(fleet.settings()):
        await fleet.publish_bundle(app, 1, [namespace(ns), configmap("c", ns), deployment("d", ns), service("s", ns)])
        await fleet.status(app, lambda r: r.last_applied_revision == 1)

        await fleet.publish_removal(app, 1)
        removed = await fleet.status(app, lambda r: r.removed)
        assert removed.health is Health.MISSING
        for api_version, kind, name, where in [
            ("apps/v1", "Deployment", "d", ns),
            ("v1", "Service", "s", ns),
            ("v1", "ConfigMap", "c", ns),
            ("v1", "Namespace", ns, None),
        ]:
            await eventually(lambda: fleet.gone(api_version, kind, name, where), 60, f"{kind} {name} deleted")  # noqa: B023
        inventory = await fleet.get("v1", "ConfigMap", f"fleetcast-inv-{app}", f"fleetcast-{fleet.cluster}")
        assert inventory is None


async def test_tombstone_uninstalls_too(fleet: Fleet) -> None:
    app = _name("tomb")
    async with running_spoke(fleet.settings()):
        # No namespace in the manifest: a namespaced object goes to "default".
        await fleet.publish_bundle(app, 1, [configmap(app, None, k="v")])
        await fleet.status(app, lambda r: r.last_applied_revision == 1)
        assert await fleet.get("v1", "ConfigMap", app, "default") is not None

        await fleet.publish_raw(app.encode(), None)
        await fleet.status(app, lambda r: r.removed)
        assert await fleet.gone("v1", "ConfigMap", app, "default")


async def test_a_rejected_object_is_reported_while_the_others_are_applied(fleet: Fleet) -> None:
    app, ns = _name("bad"), _name("ns")
    async with running_spoke(fleet.settings()):
        await fleet.publish_bundle(app, 1, [namespace(ns), configmap("fine", ns), service("broken", ns, port=70000)])
        report = await fleet.status(app, lambda r: any(o.action == "failed" for o in r.objects))
        (failed,) = [o for o in report.objects if o.action == "failed"]
        assert str(failed.ref) == f"Service/{ns}/broken"
        assert failed.error and "70000" in failed.error
        assert report.health is Health.DEGRADED
        assert report.last_applied_revision is None and report.last_attempted_revision == 1
        assert await fleet.get("v1", "ConfigMap", "fine", ns) is not None


async def test_a_stale_generation_is_ignored(fleet: Fleet) -> None:
    app, marker = _name("stale"), _name("marker")
    registry = CollectorRegistry()
    async with running_spoke(fleet.settings(), registry):
        await fleet.publish_bundle(app, 2, [configmap(app, "default", version="2")], generation=5)
        await fleet.status(app, lambda r: r.observed_generation == 5 and r.last_applied_revision == 2)

        await fleet.publish_bundle(app, 1, [configmap(app, "default", version="1")], generation=4)
        # Records are handled in order: once a later one is reported, the stale one has been seen.
        await fleet.publish_bundle(marker, 1, [configmap(marker, "default")])
        await fleet.status(marker, lambda r: r.last_applied_revision == 1)

        live = await fleet.get("v1", "ConfigMap", app, "default")
        assert live.data["version"] == "2"
        stale = {"cluster": fleet.cluster, "type": "stale"}
        assert registry.get_sample_value("fleetcast_spoke_events_total", stale) == 1
        report = await fleet.status(app, lambda r: True)
        assert report.observed_generation == 5


def _crd(group: str) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                        }
                    },
                }
            ],
        },
    }


async def test_a_crd_and_its_custom_resources_in_one_bundle(fleet: Fleet) -> None:
    app, group = _name("crd"), f"{_name('g')}.example.com"
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}}
    async with running_spoke(fleet.settings()):
        # The custom resource first in the bundle: the spoke orders it after its CRD and waits for it.
        await fleet.publish_bundle(app, 1, [widget, _crd(group)])
        report = await fleet.status(app, lambda r: r.last_applied_revision == 1 and r.health is Health.READY)
        assert [o.ref.kind for o in report.objects] == ["CustomResourceDefinition", "Widget"]
        live = await fleet.get(f"{group}/v1", "Widget", "w", "default")
        assert live.spec["size"] == 3


async def test_the_spoke_waits_for_its_topic_and_sends_heartbeats(fleet: Fleet) -> None:
    late = fleet.with_cluster(f"it-{uuid.uuid4().hex[:8]}")  # its desired topic does not exist yet
    app = _name("late")
    async with running_spoke(late.settings()):
        heartbeat = await late.heartbeat()
        assert heartbeat.kubernetes_version and heartbeat.kubernetes_version.startswith("v1.")
        assert heartbeat.ready_nodes >= 1 and heartbeat.nodes >= heartbeat.ready_nodes
        assert heartbeat.agent_version and heartbeat.interval_seconds == 2.0

        await late.create_topic()
        await late.publish_bundle(app, 1, [configmap(app, "default")])
        await late.status(app, lambda r: r.last_applied_revision == 1)
