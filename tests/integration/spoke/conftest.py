"""Helpers for spoke tests on the real fleet: topics, a producer of desired state, a reader of the
status topic, a client of the real cluster, and the spoke itself (in-process or as a subprocess).

Every test runs its own spoke with a cluster id of its own (`it-<random>`) against cluster-1, with its
own applications, namespaces and inventory namespace, so tests never see each other's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.dynamic import DynamicClient
from prometheus_client import CollectorRegistry

from schemas.v1 import (
    Bundle,
    BundleEvent,
    Heartbeat,
    HeartbeatEvent,
    Removal,
    RemovalEvent,
    StatusReport,
    decode_report,
    encode,
)
from schemas.v1.topics import (
    HEARTBEAT_TOPIC,
    STATUS_TOPIC,
    TopicSpec,
    desired_key,
    desired_topic_spec,
    heartbeat_key,
    shared_topic_specs,
    status_key,
)
from spoke.main import run
from spoke.settings import SpokeSettings
from tests.integration.conftest import RunningFleet
from tests.kafka import Record, first_record
from tests.kube import checked, get_live

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[3]


async def create_topics(bootstrap: str, specs: list[TopicSpec]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for spec in specs:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.configs)])
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def shared_topics(local_fleet: RunningFleet) -> str:
    asyncio.run(create_topics(local_fleet.kafka_bootstrap, shared_topic_specs()))
    return local_fleet.kafka_bootstrap


@dataclass
class Fleet:
    """One test's view: its cluster id, Kafka, and the real cluster it applies to."""

    bootstrap: str
    cluster: str
    kubeconfig: Path
    client: DynamicClient
    producer: AIOKafkaProducer
    generation: dict[str, int] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> SpokeSettings:
        values: dict[str, Any] = {
            "cluster_id": self.cluster,
            "kubeconfig": self.kubeconfig,
            "kafka_bootstrap": self.bootstrap,
            "inventory_namespace": f"fleetcast-{self.cluster}",
            "heartbeat_interval": 2.0,
            "requeue_delay": 1.0,
            **overrides,
        }
        return SpokeSettings(**values)

    @property
    def topic(self) -> str:
        return desired_topic_spec(self.cluster).name

    def with_cluster(self, cluster: str) -> Fleet:
        return Fleet(self.bootstrap, cluster, self.kubeconfig, self.client, self.producer)

    async def create_topic(self) -> None:
        await create_topics(self.bootstrap, [desired_topic_spec(self.cluster)])

    async def heartbeat(self, timeout: float = 30.0) -> Heartbeat:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(HEARTBEAT_TOPIC, p) for p in consumer.partitions_for_topic(HEARTBEAT_TOPIC) or {0}
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if record.key == heartbeat_key(self.cluster) and record.value is not None:
                            event = decode_report(record.value)
                            assert isinstance(event, HeartbeatEvent) and event.source == f"spoke/{self.cluster}"
                            return event.data
            raise AssertionError(f"no heartbeat from {self.cluster} in {timeout}s")
        finally:
            await consumer.stop()

    def next_generation(self, application: str) -> int:
        self.generation[application] = self.generation.get(application, 0) + 1
        return self.generation[application]

    async def publish_bundle(
        self, application: str, revision: int, manifests: list[dict[str, Any]], generation: int | None = None
    ) -> Bundle:
        bundle = Bundle.build(application, revision, generation or self.next_generation(application), manifests)
        event = BundleEvent(source="hub", cluster=self.cluster, data=bundle)
        await self.producer.send_and_wait(self.topic, encode(event), key=desired_key(application))
        return bundle

    async def publish_removal(self, application: str, revision: int) -> None:
        removal = Removal(
            application=application, revision=revision, generation=self.next_generation(application), reason="deleted"
        )
        event = RemovalEvent(source="hub", cluster=self.cluster, data=removal)
        await self.producer.send_and_wait(self.topic, encode(event), key=desired_key(application))

    async def publish_raw(self, key: bytes, value: bytes | None) -> None:
        await self.producer.send_and_wait(self.topic, value, key=key)

    async def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return await get_live(self.client, api_version, kind, name, namespace)

    async def create(self, body: dict[str, Any]) -> Any:
        resource = await self.client.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        return checked(await self.client.create(resource, body=body))

    async def gone(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        return await self.get(api_version, kind, name, namespace) is None

    async def status(
        self, application: str, predicate: Callable[[StatusReport], bool], timeout: float = 60.0
    ) -> StatusReport:
        """The first status report of `application` (from the start of the topic) that satisfies `predicate`."""
        key = status_key(self.cluster, application)
        seen: list[StatusReport] = []

        def matches(record: Record) -> bool:
            if record.key != key or record.value is None:
                return False
            report = decode_report(record.value).data
            assert isinstance(report, StatusReport)
            seen.append(report)
            return predicate(report)

        try:
            await first_record(self.bootstrap, STATUS_TOPIC, matches, timeout)
        except AssertionError:
            last = seen[-1].model_dump_json(indent=1) if seen else "none"
            raise AssertionError(f"no matching status report for {application} in {timeout}s; last: {last}") from None
        return seen[-1]


@pytest.fixture
async def fleet(local_fleet: RunningFleet, shared_topics: str) -> AsyncIterator[Fleet]:
    cluster = f"it-{uuid.uuid4().hex[:8]}"
    await create_topics(shared_topics, [desired_topic_spec(cluster)])
    producer = AIOKafkaProducer(bootstrap_servers=shared_topics, acks="all", enable_idempotence=True)
    await producer.start()
    api = await k8s_config.new_client_from_config(config_file=str(local_fleet.clusters[0].kubeconfig))
    try:
        async with api:
            client = await DynamicClient(api)
            yield Fleet(shared_topics, cluster, local_fleet.clusters[0].kubeconfig, client, producer)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def running_spoke(settings: SpokeSettings, registry: CollectorRegistry | None = None) -> AsyncIterator[None]:
    """The spoke in-process, as a task; stopped the way SIGTERM stops it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop, registry))
    try:
        yield
        assert not task.done(), f"the spoke stopped early: {task.exception() if task.done() else ''}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@contextlib.contextmanager
def spoke_process(fleet: Fleet, log: Path, metrics_port: int = 0) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m spoke` as a separate process, as it runs in production."""
    env = {**os.environ, "FLEETCAST_SPOKE_INVENTORY_NAMESPACE": f"fleetcast-{fleet.cluster}"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spoke",
                "--cluster-id",
                fleet.cluster,
                "--kubeconfig",
                str(fleet.kubeconfig),
                "--kafka-bootstrap",
                fleet.bootstrap,
                "--metrics-port",
                str(metrics_port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str, ns: str | None, **data: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if ns is not None:
        metadata["namespace"] = ns
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def deployment(name: str, ns: str, image: str = "nginx:1.27.3", replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


def service(name: str, ns: str, port: int = 80) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": name}, "ports": [{"port": port, "targetPort": 8080}]},
    }
