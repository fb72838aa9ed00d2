"""Drift detection on a real cluster: the spoke's applier and watches against a real kube-apiserver,
another field manager editing what Fleetcast applied (as kubectl edit/scale or a controller would)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from schemas.v1 import ObjectRef
from schemas.v1.drift import DriftKind, DriftMode, DriftPolicy, IgnoreRule, ObjectDrift
from spoke.applier import Applier
from spoke.drift.detector import DriftDetector
from spoke.kube import Kube
from spoke.objects import ref_of
from spoke.planner import prepare
from spoke.watcher import Watcher
from tests.integration.spoke.conftest import Fleet, deployment, namespace
from tests.kube import apply, checked
from tests.waiting import eventually_async as eventually


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@dataclass
class Recorded:
    """What the detector told the rest of the spoke."""

    reconciles: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    gauges: dict[str, int] = field(default_factory=dict)
    detected: list[str] = field(default_factory=list)
    corrections: int = 0

    def drifted(self, mode: DriftMode, count: int) -> None:
        self.gauges[mode] = count

    def detected_(self, kind: DriftKind) -> None:
        self.detected.append(kind)


@dataclass
class Rig:
    application: str
    ns: str
    policy: DriftPolicy
    kube: Kube
    applier: Applier
    detector: DriftDetector
    recorded: Recorded
    manifests: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # resourceVersions the watch delivered
    deleted: set[str] = field(default_factory=set)  # names of objects the watch saw deleted
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def apply(self, *manifests: dict[str, Any]) -> None:
        self.manifests = [prepare(m, self.application, namespaced=m["kind"] != "Namespace") for m in manifests]
        results = await self.applier.apply_all(self.manifests)
        assert all(r.outcome.action != "failed" for r in results), [r.outcome for r in results]

    def drift(self, ref: ObjectRef) -> ObjectDrift | None:
        return self.detector.object_extras(self.application, ref)[0]

    async def drifted(self, ref: ObjectRef, predicate: Any = lambda d: True, timeout: float = 30.0) -> ObjectDrift:
        async def check() -> ObjectDrift | None:
            drift = self.drift(ref)
            return drift if drift is not None and predicate(drift) else None

        return await eventually(check, timeout, f"drift of {ref}")


@asynccontextmanager
async def rig(fleet: Fleet, policy: DriftPolicy) -> AsyncIterator[Rig]:
    kube = await Kube.connect(fleet.kubeconfig)
    settings = fleet.settings()
    recorded = Recorded()
    holder: list[Rig] = []

    class Metrics:
        def drifted(self, mode: DriftMode, count: int) -> None:
            recorded.drifted(mode, count)

        def detected(self, kind: DriftKind) -> None:
            recorded.detected_(kind)

        def corrected(self) -> None:
            recorded.corrections += 1

    def reconcile_now(application: str, reason: str) -> None:
        recorded.reconciles.append(reason)
        the_rig = holder[0]
        task = asyncio.get_running_loop().create_task(the_rig.applier.apply_all(the_rig.manifests))
        the_rig.tasks.add(task)
        task.add_done_callback(the_rig.tasks.discard)

    application = _name("drift")
    detector = DriftDetector(
        fleet.cluster,
        lambda app: policy if app == application else None,
        reconcile_now,
        recorded.touched.append,
        Metrics(),
        fetch=kube.get,
    )
    applier = Applier(kube, settings, observer=detector)
    the_rig = Rig(application, _name("ns"), policy, kube, applier, detector, recorded)
    holder.append(the_rig)
    try:
        yield the_rig
    finally:
        await asyncio.gather(*the_rig.tasks, return_exceptions=True)
        await detector.close()
        await kube.delete(ObjectRef(api_version="v1", kind="Namespace", name=the_rig.ns))
        await kube.close()


async def watch(rig_: Rig, fleet: Fleet) -> Watcher:
    def on_event(event_type: str, obj: dict[str, Any]) -> None:
        rig_.seen.add(str((obj.get("metadata") or {}).get("resourceVersion")))
        if event_type == "DELETED":
            rig_.deleted.add(str((obj.get("metadata") or {}).get("name")))
        rig_.detector.observe(event_type, obj)

    watcher = Watcher(rig_.kube, fleet.settings(), rig_.detector.observe_list, on_event, lambda _reason: None)
    watcher.ensure({("apps/v1", "Deployment"), ("v1", "ConfigMap")})
    return watcher


async def patch(fleet: Fleet, ref: ObjectRef, body: dict[str, Any], manager: str) -> None:
    """A merge patch as `kubectl edit`/`kubectl patch` sends it: an Update by another field manager."""
    resource = await fleet.client.resources.get(api_version=ref.api_version, kind=ref.kind)
    checked(
        await fleet.client.patch(
            resource,
            body=body,
            name=ref.name,
            namespace=ref.namespace,
            content_type="application/merge-patch+json",
            field_manager=manager,
        )
    )


async def test_edits_by_other_managers_are_drift_naming_the_field_and_the_manager(fleet: Fleet) -> None:
    async with rig(fleet, DriftPolicy(mode="alert")) as r:
        await r.apply(namespace(r.ns), deployment("web", r.ns))
        ref = ref_of(r.manifests[1])
        watcher = await watch(r, fleet)
        try:
            # The deployment controller and kwok work on it (status, a revision annotation): not drift.
            await eventually(lambda: _available(fleet, ref), 60, "the Deployment available")
            assert r.drift(ref) is None and r.recorded.detected == []

            await patch(
                fleet,
                ref,
                {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.99"}]}}}},
                "kubectl-edit",
            )
            drift = await r.drifted(ref)
            assert drift.kind == "modified"
            assert drift.fields == ["spec.template.spec.containers[name=web].image"]
            assert drift.managers == ["kubectl-edit"]
            assert r.recorded.gauges["alert"] == 1 and r.recorded.detected == ["modified"]
            assert r.application in r.recorded.touched
            # Under alert it is left alone: a resync holds it, nothing is re-applied.
            await r.apply(namespace(r.ns), deployment("web", r.ns))
            live = await fleet.get("apps/v1", "Deployment", "web", r.ns)
            assert live.spec.template.spec.containers[0].image == "nginx:1.99"
            assert r.recorded.reconciles == []

            # A second manager takes replicas with a forced server-side apply.
            scale = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": r.ns},
                "spec": {"replicas": 2},
            }
            await apply(fleet.client, scale, manager="someone-else")
            drift = await r.drifted(ref, lambda d: "spec.replicas" in d.fields)
            assert drift.fields == ["spec.replicas", "spec.template.spec.containers[name=web].image"]
            assert drift.managers == ["kubectl-edit", "someone-else"]

            # The image changed back by hand: its owner moved, its value is ours again: not drift.
            await patch(
                fleet,
                ref,
                {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27.3"}]}}}},
                "kubectl-edit",
            )
            drift = await r.drifted(ref, lambda d: len(d.fields) == 1)
            assert drift.fields == ["spec.replicas"] and drift.managers == ["someone-else"]

            # The next release applies: ours again, drift cleared.
            await r.apply(namespace(r.ns), deployment("web", r.ns, image="nginx:1.27.4"))
            await eventually(lambda: _none(r.drift(ref)), 30, "drift cleared")
            assert r.recorded.gauges["alert"] == 0

            # Deleted by hand.
            await r.kube.delete(ref)
            drift = await r.drifted(ref, lambda d: d.kind == "deleted")
            assert drift.fields == [] and r.recorded.detected[-1] == "deleted"
        finally:
            await watcher.close()


async def test_correct_re_applies_at_once_and_counts_it(fleet: Fleet) -> None:
    async with rig(fleet, DriftPolicy(mode="correct")) as r:
        await r.apply(namespace(r.ns), deployment("web", r.ns))
        ref = ref_of(r.manifests[1])
        watcher = await watch(r, fleet)
        try:
            await patch(fleet, ref, {"spec": {"replicas": 3}}, "kubectl-scale")

            async def corrected() -> bool:
                _, corrections, last = r.detector.object_extras(r.application, ref)
                live = await fleet.get("apps/v1", "Deployment", "web", r.ns)
                return corrections == 1 and last is not None and r.drift(ref) is None and live.spec.replicas == 1

            await eventually(corrected, 30, "drift corrected")
            _, _, last = r.detector.object_extras(r.application, ref)
            assert last is not None and last.fields == ["spec.replicas"] and last.managers == ["kubectl-scale"]
            assert len(r.recorded.reconciles) == 1 and r.recorded.corrections == 1
            assert r.recorded.gauges["correct"] == 0

            # Our own prune is not a deletion to report.
            assert (await r.applier.prune(ref)).action == "pruned"
            await eventually(lambda: _true("web" in r.deleted), 30, "the watch saw the prune")
            assert r.recorded.detected == ["modified"] and r.drift(ref) is None
        finally:
            await watcher.close()


async def test_ignored_fields_are_not_drift_and_an_hpa_owned_replicas_survives_re_apply(fleet: Fleet) -> None:
    policy = DriftPolicy(mode="correct", ignore=[IgnoreRule(kind="Deployment", paths=["spec.replicas"])])
    async with rig(fleet, policy) as r:
        await r.apply(namespace(r.ns), deployment("web", r.ns, replicas=1))
        ref = ref_of(r.manifests[1])
        watcher = await watch(r, fleet)
        try:
            # An autoscaler scales it (an Update by its own manager) and someone edits the image.
            await patch(fleet, ref, {"spec": {"replicas": 3}}, "horizontal-pod-autoscaler")
            await patch(
                fleet,
                ref,
                {"metadata": {"annotations": {"note": "not ours: never drift"}}},
                "kubectl-annotate",
            )
            live = await fleet.get("apps/v1", "Deployment", "web", r.ns)
            assert live.spec.replicas == 3
            # Give the watch a chance to deliver both; nothing of it is drift.
            await _watched(r, ref, live.metadata.resourceVersion)
            assert r.drift(ref) is None and r.recorded.reconciles == []

            # A resync re-applies: the autoscaler's replicas stay, our fields are ours.
            await r.apply(namespace(r.ns), deployment("web", r.ns, replicas=1))
            live = await fleet.get("apps/v1", "Deployment", "web", r.ns)
            assert live.spec.replicas == 3
            owners = {e["manager"]: e["fieldsV1"] for e in live.to_dict()["metadata"]["managedFields"]}
            assert "f:replicas" in owners["horizontal-pod-autoscaler"]["f:spec"]
            assert "f:replicas" not in owners["fleetcast"]["f:spec"]
            assert r.drift(ref) is None and r.recorded.detected == []
        finally:
            await watcher.close()


async def _available(fleet: Fleet, ref: ObjectRef) -> bool:
    live = await fleet.get(ref.api_version, ref.kind, ref.name, ref.namespace)
    return live is not None and any(
        c["type"] == "Available" and c["status"] == "True" for c in (live.status or {}).get("conditions") or []
    )


async def _none(value: object) -> bool:
    return value is None


async def _watched(r: Rig, ref: ObjectRef, version: str) -> None:
    """Wait until the watch has delivered `version` of the object (and the detector has decided on it)."""
    await eventually(lambda: _true(version in r.seen), 30, f"watch event {version} of {ref}")


async def _true(value: bool) -> bool:
    return value


async def test_a_removed_managed_by_label_is_a_modification_not_a_deletion(fleet: Fleet) -> None:
    async with rig(fleet, DriftPolicy(mode="alert")) as r:
        await r.apply(namespace(r.ns), deployment("web", r.ns))
        ref = ref_of(r.manifests[1])
        watcher = await watch(r, fleet)
        try:
            # The object leaves the watch's label selector: the watch says DELETED (or a list lacks it).
            await patch(fleet, ref, {"metadata": {"labels": {"app.kubernetes.io/managed-by": None}}}, "kubectl-label")
            drift = await r.drifted(ref)
            assert drift.kind == "modified"
            assert drift.fields == ['metadata.labels["app.kubernetes.io/managed-by"]'] and drift.managers == []
            assert r.recorded.detected == ["modified"]
        finally:
            await watcher.close()
