"""Small in-memory stand-ins for the controllers' dependencies (their protocols), for unit tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry

from schemas.v1 import Bundle, BundleEvent, ObjectRef, WireError, encode
from spoke.desired import Desired
from spoke.errors import ErrorClass
from spoke.metrics import ClusterMetrics, SpokeMetrics
from spoke.reconciler import Outcome
from spoke.reports import ObjectOutcome
from spoke.watcher import Kind

CLUSTER = "c1"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def metrics(cluster: str = CLUSTER) -> ClusterMetrics:
    return SpokeMetrics(CollectorRegistry()).for_cluster(cluster)


def sample(view: ClusterMetrics, name: str, **labels: str) -> float:
    return view.registry.get_sample_value(name, {"cluster": view.cluster, **labels}) or 0.0


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": {}}


def ref(name: str) -> ObjectRef:
    return ObjectRef(api_version="v1", kind="ConfigMap", name=name, namespace="default")


def bundle(application: str, generation: int = 1) -> Bundle:
    return Bundle.build(application, generation, generation, [configmap(application)])


def record(offset: int, key: bytes | None, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="fleetcast.desired.c1",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[],
    )


def bundle_record(offset: int, desired: Bundle, cluster: str = CLUSTER) -> ConsumerRecord[bytes, bytes]:
    event = BundleEvent(source="hub", cluster=cluster, data=desired)
    return record(offset, desired.application.encode(), encode(event))


@dataclass
class FakeTopic:
    """The desired topic: `records` are there from the start; `later` arrive one batch per poll after."""

    records: list[ConsumerRecord[bytes, bytes]]
    later: list[list[ConsumerRecord[bytes, bytes]]] = field(default_factory=list)
    topic: str = "fleetcast.desired.c1"
    at: int = 0
    committed: list[int] = field(default_factory=list)

    async def wait_for_topic(self) -> None:
        pass

    async def rewind(self) -> int:
        self.at = 0
        return len(self.records)

    async def position(self) -> int:
        return self.at

    async def poll(self) -> list[ConsumerRecord[bytes, bytes]]:
        if self.at < len(self.records):
            batch = self.records[self.at : self.at + 2]
            self.at += len(batch)
            return batch
        if self.later:
            batch = self.later.pop(0)
            self.records.extend(batch)
            self.at += len(batch)
            return batch
        raise StopPolling

    async def commit(self, offset: int) -> None:
        self.committed.append(offset)

    async def lag(self) -> int | None:
        return len(self.records) - self.at


class StopPolling(Exception):
    """Ends a test's consume loop once the fake topic has nothing more."""


@dataclass
class FakeDeadLetters:
    letters: list[tuple[int, str]] = field(default_factory=list)

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], error: WireError) -> None:
        self.letters.append((record.offset, error.reason))


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes, bytes | None]] = field(default_factory=list)
    failing: bool = False

    async def send(
        self, topic: str, key: bytes, value: bytes | None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.sent.append((topic, key, value))


@dataclass
class FakeReconciler:
    """Applies every manifest of a bundle as `action`; raises `error` instead when set."""

    action: Literal["applied", "failed"] = "applied"
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    async def reconcile(self, desired: Desired) -> Outcome:
        self.calls.append(desired.application)
        if self.error is not None:
            raise self.error
        outcome = Outcome(desired.application, desired)
        if isinstance(desired, Bundle):
            for manifest in desired.manifests:
                r = ref(str(manifest["metadata"]["name"]))
                if self.action == "failed":
                    outcome.objects.append(ObjectOutcome(r, "failed", "invalid", ErrorClass.TERMINAL))
                else:
                    outcome.objects.append(ObjectOutcome(r, "applied"))
                outcome.live[r] = {**manifest, "metadata": {**manifest["metadata"], "managedFields": [{}]}}
        return outcome


@dataclass
class FakeLiveCache:
    remembered: dict[ObjectRef, dict[str, Any]] = field(default_factory=dict)
    kinds: set[Kind] = field(default_factory=set)

    def mark(self) -> int:
        return 0

    def remember(self, read_back: Mapping[ObjectRef, dict[str, Any]], since: int) -> None:
        self.remembered.update(read_back)

    def forget(self, refs: Iterable[ObjectRef]) -> None:
        for r in refs:
            self.remembered.pop(r, None)

    def ensure(self, kinds: Iterable[Kind]) -> None:
        self.kinds |= set(kinds)
