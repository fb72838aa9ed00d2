"""The spoke answers live dry-run requests on real Kafka against a real cluster: what a server-side apply
would change (a field changed by hand shows; nothing is written), created, pruned and rejected objects,
Secret values never in the answer, and requests past their deadline skipped."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.v1 import (
    DriftPolicy,
    DryRunObject,
    DryRunReply,
    DryRunRequest,
    DryRunRequestEvent,
    decode_dry_run_reply,
    encode,
)
from schemas.v1.topics import REPLIES_TOPIC, request_key, requests_topic, requests_topic_spec
from tests.integration.spoke.conftest import Fleet, configmap, create_topics, deployment, namespace, running_spoke
from tests.kafka import Record, first_record, read_all_async
from tests.kube import apply

SECRET_VALUE = "s3cr3t-do-not-show-42"
NEW_SECRET_VALUE = "n3w-s3cr3t-do-not-show-43"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def secret(name: str, ns: str, password: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "data": {"password": base64.b64encode(password.encode()).decode()},
    }


async def ask(
    fleet: Fleet,
    producer: AIOKafkaProducer,
    application: str,
    manifests: list[dict[str, Any]],
    *,
    deadline_in: float = 60.0,
    wait: float = 60.0,
) -> DryRunReply:
    """Send one request to the test's cluster and wait for its reply on the real reply topic."""
    request = DryRunRequest(
        request_id=uuid.uuid4(),
        application=application,
        manifests=manifests,
        deadline=datetime.now(UTC) + timedelta(seconds=deadline_in),
    )
    event = DryRunRequestEvent(source="hub", cluster=fleet.cluster, data=request)
    await producer.send_and_wait(requests_topic(fleet.cluster), encode(event), key=request_key(application))
    key = str(request.request_id).encode()

    def ours(record: Record) -> bool:
        return record.key == key

    record = await first_record(fleet.bootstrap, REPLIES_TOPIC, ours, wait, f"reply to {request.request_id}")
    assert record.value is not None
    reply = decode_dry_run_reply(record.value)
    assert reply.source == f"spoke/{fleet.cluster}" and reply.data.cluster == fleet.cluster
    return reply.data


async def listening(fleet: Fleet, producer: AIOKafkaProducer, timeout: float = 120.0) -> None:
    """The spoke starts reading its request topic at the end: probe until it answers, so that the
    requests of the test are not sent before it listens. A probe sent before it listened is lost; one
    it got is answered however long a busy machine makes that take (its deadline is far off), and an
    answer to any probe so far will do."""
    probes: set[bytes] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = DryRunRequest(
            request_id=uuid.uuid4(),
            application="probe",
            manifests=[],
            deadline=datetime.now(UTC) + timedelta(seconds=timeout),
        )
        event = DryRunRequestEvent(source="hub", cluster=fleet.cluster, data=request)
        await producer.send_and_wait(requests_topic(fleet.cluster), encode(event), key=request_key("probe"))
        probes.add(str(request.request_id).encode())
        try:
            await first_record(fleet.bootstrap, REPLIES_TOPIC, lambda r: r.key in probes, 2.0, "probe reply")
            return
        except AssertionError:
            continue
    raise AssertionError(f"the spoke never answered a dry-run request within {timeout:.0f}s")


def by_name(reply: DryRunReply) -> dict[str, DryRunObject]:
    return {f"{o.ref.kind}/{o.ref.name}": o for o in reply.objects}


async def test_a_dry_run_shows_what_apply_would_revert_and_changes_nothing(fleet: Fleet) -> None:
    app, ns = _name("web"), _name("ns")
    await create_topics(fleet.bootstrap, [requests_topic_spec(fleet.cluster)])
    rev1 = [
        namespace(ns),
        configmap("settings", ns, GREETING="hello"),
        secret("creds", ns, SECRET_VALUE),
        deployment("web", ns),
    ]
    async with running_spoke(fleet.settings()):
        await listening(fleet, fleet.producer)
        # Under `alert`: the hand edit below stays (under `correct` the spoke would undo it at once).
        await fleet.publish_bundle(app, 1, rev1, drift=DriftPolicy(mode="alert"))
        await fleet.status(app, lambda r: r.last_applied_revision == 1)

        # Nothing changed: every object unchanged, no diff.
        reply = await ask(fleet, fleet.producer, app, rev1)
        assert reply.error is None
        assert {o.state for o in reply.objects} == {"unchanged"}, reply
        assert all(o.diff == "" for o in reply.objects)

        # Someone changes a field Fleetcast manages, with another field manager.
        await apply(fleet.client, configmap("settings", ns, GREETING="hijacked"), manager="someone-by-hand")
        reply = await ask(fleet, fleet.producer, app, rev1)
        objects = by_name(reply)
        assert objects["ConfigMap/settings"].state == "changed"
        diff = objects["ConfigMap/settings"].diff.splitlines()
        assert "-  GREETING: hijacked" in diff and "+  GREETING: hello" in diff
        assert not any("managedFields" in line or "resourceVersion" in line for line in diff)
        assert {o.state for name, o in objects.items() if name != "ConfigMap/settings"} == {"unchanged"}
        # A dry run: the cluster still has the hand-made change.
        live = await fleet.get("v1", "ConfigMap", "settings", ns)
        assert live.data["GREETING"] == "hijacked"


async def test_created_pruned_rejected_and_secrets_in_a_new_bundle(fleet: Fleet) -> None:
    app, ns, new_ns = _name("web"), _name("ns"), _name("new")
    await create_topics(fleet.bootstrap, [requests_topic_spec(fleet.cluster)])
    rev1 = [namespace(ns), configmap("old", ns, a="1"), secret("creds", ns, SECRET_VALUE), deployment("web", ns)]
    broken = deployment("broken", ns)
    broken["spec"]["replicas"] = -1  # the API server refuses it
    rev2 = [
        namespace(ns),
        configmap("added", ns, b="2"),
        secret("creds", ns, NEW_SECRET_VALUE),
        deployment("web", ns, image="nginx:1.27.4"),
        broken,
        namespace(new_ns),
        configmap("in-new-namespace", new_ns, c="3"),
    ]
    async with running_spoke(fleet.settings()):
        await listening(fleet, fleet.producer)
        await fleet.publish_bundle(app, 1, rev1)
        await fleet.status(app, lambda r: r.last_applied_revision == 1)

        reply = await ask(fleet, fleet.producer, app, rev2)
        objects = by_name(reply)
        states = {name: o.state for name, o in objects.items()}
        assert states == {
            f"Namespace/{ns}": "unchanged",
            f"Namespace/{new_ns}": "created",
            "ConfigMap/added": "created",
            "ConfigMap/in-new-namespace": "created",
            "Secret/creds": "changed",
            "Deployment/web": "changed",
            "Deployment/broken": "rejected",
            "ConfigMap/old": "pruned",
        }
        assert objects["Deployment/broken"].error and "replicas" in objects["Deployment/broken"].error
        assert objects["ConfigMap/in-new-namespace"].note and new_ns in objects["ConfigMap/in-new-namespace"].note
        assert "+      - image: nginx:1.27.4" in objects["Deployment/web"].diff.splitlines()
        assert "+  password: <changed>" in objects["Secret/creds"].diff.splitlines()
        everything = reply.model_dump_json()
        for value in (SECRET_VALUE, NEW_SECRET_VALUE):
            assert value not in everything
            assert base64.b64encode(value.encode()).decode() not in everything

        # Nothing was written: no new objects, nothing pruned.
        assert await fleet.gone("v1", "ConfigMap", "added", ns)
        assert await fleet.gone("v1", "Namespace", new_ns)
        assert not await fleet.gone("v1", "ConfigMap", "old", ns)

        # Leaving the cluster: everything the application applied would be pruned.
        reply = await ask(fleet, fleet.producer, app, [])
        assert {name: o.state for name, o in by_name(reply).items()} == {
            f"Namespace/{ns}": "pruned",
            "ConfigMap/old": "pruned",
            "Secret/creds": "pruned",
            "Deployment/web": "pruned",
        }
        assert SECRET_VALUE not in reply.model_dump_json()


async def test_a_request_past_its_deadline_is_skipped(fleet: Fleet) -> None:
    await create_topics(fleet.bootstrap, [requests_topic_spec(fleet.cluster)])
    async with running_spoke(fleet.settings()):
        await listening(fleet, fleet.producer)
        expired = DryRunRequest(
            request_id=uuid.uuid4(), application="late", manifests=[], deadline=datetime.now(UTC) - timedelta(seconds=1)
        )
        event = DryRunRequestEvent(source="hub", cluster=fleet.cluster, data=expired)
        await fleet.producer.send_and_wait(requests_topic(fleet.cluster), encode(event), key=request_key("late"))
        # Requests are handled in order: once a later one is answered, the expired one was skipped.
        await ask(fleet, fleet.producer, "later", [])
        expired_key = str(expired.request_id).encode()
        assert expired_key not in {r.key for r in await read_all_async(fleet.bootstrap, REPLIES_TOPIC)}
