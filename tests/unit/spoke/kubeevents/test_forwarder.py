"""The forwarder's two halves without a cluster: offer (select, dedup, limit) and flush (batches on the
events topic, as the hub decodes them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.dynamic.exceptions import ForbiddenError

from schemas.v1 import ObjectRef
from schemas.v1.envelope import decode_kube_events
from schemas.v1.topics import EVENTS_TOPIC, events_key
from spoke.kube import Kube
from spoke.kubeevents.forwarder import KubeEventsForwarder, Result
from spoke.settings import SpokeSettings
from tests.unit.spoke.kubeevents.test_select import WEB, application_of, core_event


class Counts:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {"forwarded": 0, "dropped": 0}

    def counted(self, result: Result, count: int) -> None:
        self.counts[result] = self.counts.get(result, 0) + count

    def batch_sent(self) -> None:
        self.counts["batches"] = self.counts.get("batches", 0) + 1


async def test_offer_then_flush_sends_one_decodable_batch_per_application() -> None:
    sent: list[tuple[str, bytes, bytes]] = []

    async def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, value))

    counts = Counts()
    settings = SpokeSettings(cluster_id="c1", events_per_second=1.0, events_burst=2)
    forwarder = KubeEventsForwarder(
        "c1",
        cast(Kube, None),  # the loops are not run here
        settings,
        application_of,
        send,
        counts,
        clock=lambda: 100.0,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert await forwarder.offer(core_event(count=1))
    assert not await forwarder.offer(core_event(count=1))  # the same occurrence again (a relist)
    assert not await forwarder.offer(core_event("Normal", count=7))  # Normal: not configured
    assert await forwarder.offer(core_event(count=2))
    assert not await forwarder.offer(core_event(count=3))  # over the burst
    assert not await forwarder.offer(
        core_event(count=9), not_before=datetime(2027, 1, 1, tzinfo=UTC)
    )  # history from before the spoke watched

    assert await forwarder.flush() == 2
    assert counts.counts == {"forwarded": 2, "dropped": 1, "batches": 1}
    [(topic, key, value)] = sent
    assert topic == EVENTS_TOPIC and key == events_key("c1")
    event = decode_kube_events(value)
    assert event.source == "spoke/c1" and event.data.application == "shop" and event.data.dropped == 1
    assert [e.count for e in event.data.events] == [1, 2]
    assert await forwarder.flush() == 0 and len(sent) == 1


async def test_a_batch_that_cannot_be_sent_is_said_as_dropped_next_time() -> None:
    attempts: list[bytes] = []

    async def send(topic: str, key: bytes, value: bytes) -> Any:
        attempts.append(value)
        if len(attempts) == 1:
            raise ConnectionError("broker away")

    counts = Counts()
    forwarder = KubeEventsForwarder(
        "c1", cast(Kube, None), SpokeSettings(cluster_id="c1"), application_of, send, counts, clock=lambda: 1.0
    )
    await forwarder.offer(core_event(count=1))
    assert await forwarder.flush() == 0
    await forwarder.offer(core_event(count=2))
    assert await forwarder.flush() == 1
    assert decode_kube_events(attempts[-1]).data.dropped == 1
    assert counts.counts == {"forwarded": 1, "dropped": 1, "batches": 1}


# -- events about objects a managed one owns ------------------------------------------------------

WEB_REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u-deploy", "controller": True}
RS_REF = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9", "uid": "u-rs", "controller": True}


def live(api_version: str, kind: str, name: str, uid: str, owner: dict[str, Any] | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "shop", "uid": uid}
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


class Cluster:
    """Objects by (kind, name), read as the API server would answer a GET; every read is recorded."""

    def __init__(self, *objects: dict[str, Any], failure: Exception | None = None) -> None:
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in objects}
        self.failure = failure
        self.reads: list[str] = []

    async def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        self.reads.append(f"{ref.kind}/{ref.name}")
        if self.failure is not None:
            raise self.failure
        return self.objects.get((ref.kind, ref.name))


def pod_event(reason: str = "BackOff", count: int = 1, pod: str = "web-7d4b9-x2", uid: str = "u-pod") -> dict[str, Any]:
    raw = core_event(count=count)
    raw["metadata"] = {"name": f"{pod}.{reason}", "namespace": "shop", "uid": f"uid-{pod}-{reason}"}
    raw["involvedObject"] = {"apiVersion": "v1", "kind": "Pod", "name": pod, "namespace": "shop", "uid": uid}
    raw["reason"] = reason
    raw["source"] = {"component": "kubelet"}
    return raw


def owned_forwarder(cluster: Cluster, counts: Counts, sent: list[bytes]) -> KubeEventsForwarder:
    async def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append(value)

    return KubeEventsForwarder(
        "c1",
        cast(Kube, None),
        SpokeSettings(cluster_id="c1"),
        application_of,
        send,
        counts,
        clock=lambda: 1.0,
        fetch=cluster.get,
    )


def a_replicaset_of_web() -> Cluster:
    return Cluster(
        live("v1", "Pod", "web-7d4b9-x2", "u-pod", RS_REF),
        live("apps/v1", "ReplicaSet", "web-7d4b9", "u-rs", WEB_REF),
    )


async def test_an_event_about_a_pod_is_forwarded_for_the_deployment_that_owns_it() -> None:
    cluster, counts, sent = a_replicaset_of_web(), Counts(), []
    forwarder = owned_forwarder(cluster, counts, sent)
    assert await forwarder.offer(pod_event("BackOff", count=1))
    assert cluster.reads == ["Pod/web-7d4b9-x2", "ReplicaSet/web-7d4b9"]
    # The same pod again (next occurrence, another reason): its owners come from the cache.
    assert await forwarder.offer(pod_event("BackOff", count=2))
    assert await forwarder.offer(pod_event("Unhealthy", count=1))
    assert len(cluster.reads) == 2
    assert await forwarder.flush() == 3
    [value] = sent
    batch = decode_kube_events(value).data
    assert batch.application == "shop"
    first = batch.events[0]
    assert (first.object.kind, first.object.name, first.reason, first.source) == (
        "Pod",
        "web-7d4b9-x2",
        "BackOff",
        "kubelet",
    )
    assert first.owner == WEB


async def test_an_event_about_an_unmanaged_kind_or_chain_reads_as_little_as_it_can() -> None:
    cluster = Cluster(
        live("v1", "Pod", "other-5c-x", "u-other", {**RS_REF, "name": "other-5c", "uid": "u-other-rs"}),
        live("apps/v1", "ReplicaSet", "other-5c", "u-other-rs", {**WEB_REF, "name": "other", "uid": "u-o"}),
    )
    counts, sent = Counts(), []
    forwarder = owned_forwarder(cluster, counts, sent)
    config = core_event(count=1)
    config["involvedObject"] = {"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": "shop"}
    assert not await forwarder.offer(config)
    assert cluster.reads == []  # a ConfigMap cannot be owned by a managed workload: no lookup at all
    assert not await forwarder.offer(pod_event(pod="other-5c-x", uid="u-other"))
    assert not await forwarder.offer(pod_event(pod="other-5c-x", uid="u-other", count=2))
    assert cluster.reads == ["Pod/other-5c-x", "ReplicaSet/other-5c"]  # owned by an unmanaged Deployment
    assert await forwarder.flush() == 0 and counts.counts == {"forwarded": 0, "dropped": 0}


async def test_an_owner_that_cannot_be_read_loses_the_event_and_counts_it() -> None:
    forbidden = ForbiddenError(ApiException(status=403, reason="Forbidden"))
    for cluster in (Cluster(), Cluster(failure=forbidden), Cluster(failure=TimeoutError())):
        counts, sent = Counts(), []
        forwarder = owned_forwarder(cluster, counts, sent)
        assert not await forwarder.offer(pod_event(count=1))
        assert not await forwarder.offer(pod_event(count=2))  # not remembered: tried again
        assert len(cluster.reads) == 2
        assert counts.counts == {"forwarded": 0, "dropped": 0, "unresolved": 2}
    # A pod recreated under the same name is not the one the event is about: its owner would be a guess.
    recreated = a_replicaset_of_web()
    recreated.objects[("Pod", "web-7d4b9-x2")]["metadata"]["uid"] = "u-pod-2"
    counts = Counts()
    assert not await owned_forwarder(recreated, counts, []).offer(pod_event())
    assert counts.counts["unresolved"] == 1


async def test_an_event_offered_before_its_owner_was_known_to_be_managed_goes_out_when_offered_again() -> None:
    cluster, counts, sent = a_replicaset_of_web(), Counts(), []
    managed: set[ObjectRef] = set()

    async def send(topic: str, key: bytes, value: bytes) -> None:
        sent.append(value)

    forwarder = KubeEventsForwarder(
        "c1",
        cast(Kube, None),
        SpokeSettings(cluster_id="c1"),
        lambda ref: "shop" if ref in managed else None,
        send,
        counts,
        clock=lambda: 1.0,
        fetch=cluster.get,
    )
    assert not await forwarder.offer(pod_event())  # at start: the applier has not said what is managed yet
    managed.add(WEB)
    assert await forwarder.offer(pod_event())  # the relist: the same occurrence, now attributed
    assert not await forwarder.offer(pod_event())  # and only once
    assert len(cluster.reads) == 2  # the owners were remembered from the first time
