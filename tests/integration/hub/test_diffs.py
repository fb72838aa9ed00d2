"""The diff preview API on the real store (SQLite and PostgreSQL) and real Kafka: per cluster enter,
leave and stay against the release placed there, Secret values never shown, nothing published; and the
live dry run's request/reply with the test playing the spokes: an answer, a late answer dropped, a
silent cluster listed as timeout, an unreachable one not asked."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.v1 import (
    DryRunObject,
    DryRunReply,
    DryRunReplyEvent,
    DryRunRequest,
    ObjectRef,
    decode_dry_run_request,
    encode,
)
from schemas.v1.topics import HEARTBEAT_TOPIC, REPLIES_TOPIC, heartbeat_key, reply_key, requests_topic
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import ManualClock, RunningHub, bearer, desired_events, unique
from tests.integration.hub.test_desired_state import register
from tests.integration.hub.test_reports import heartbeat, produce
from tests.kafka import new_consumer, new_producer
from tests.waiting import eventually_async as eventually

OLD_PASSWORD, NEW_PASSWORD = "old-s3cr3t-value-17", "new-s3cr3t-value-18"


def manifests(*, greeting: str, password: str, with_service: bool = False) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "shop"},
            "data": {"GREETING": greeting},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": "shop"},
            "data": {"password": base64.b64encode(password.encode()).decode()},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27.3"}]}}},
        },
    ]
    if with_service:
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}})
    return objects


async def diff(client: httpx.AsyncClient, app: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/applications/{app}/diff", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def clusters_of(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["cluster"]: c for c in result["clusters"]}


def changes(cluster: dict[str, Any]) -> dict[str, str]:
    return {o["identity"]: o["change"] for o in cluster["objects"]}


async def test_diff_per_cluster_against_what_each_has(local_fleet: RunningFleet, running_hub: Any) -> None:
    prod, staging, dev = unique("prod"), unique("staging"), unique("dev")
    app, new_app = unique("app"), unique("app")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        await register(client, prod, env="prod")
        await register(client, staging, env="staging")
        await register(client, dev, env="dev")
        v1 = manifests(greeting="hello", password=OLD_PASSWORD)
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": v1, "selector": "env in (prod,staging)"}
        )
        assert response.status_code == 201, response.text
        await hub.drained()

        v2 = manifests(greeting="hi", password=NEW_PASSWORD, with_service=True)
        result = await diff(client, app, manifests=v2, selector="env in (prod,dev)")
        assert (result["exists"], result["current_revision"], result["new_release"]) == (True, 1, True)
        by = clusters_of(result)
        assert by[prod]["change"] == "stay" and by[prod]["current_revision"] == 1
        assert changes(by[prod]) == {
            "ConfigMap/shop/settings": "changed",
            "Secret/shop/creds": "changed",
            "Service/shop/web": "added",
        }
        greeting = next(o for o in by[prod]["objects"] if o["kind"] == "ConfigMap")["diff"].splitlines()
        assert "-  GREETING: hello" in greeting and "+  GREETING: hi" in greeting
        secret = next(o for o in by[prod]["objects"] if o["kind"] == "Secret")["diff"].splitlines()
        assert "-  password: <redacted>" in secret and "+  password: <changed>" in secret
        assert by[staging]["change"] == "leave" and set(changes(by[staging]).values()) == {"removed"}
        assert by[dev]["change"] == "enter" and by[dev]["current_revision"] is None
        assert set(changes(by[dev]).values()) == {"added"} and len(by[dev]["objects"]) == 4
        assert result["summary"]["entering"] == [dev] and result["summary"]["leaving"] == [staging]
        assert result["summary"]["changed"] and result["summary"]["complete"]
        assert all(c["live"] is None for c in result["clusters"])
        text = json.dumps(result)
        for value in (OLD_PASSWORD, NEW_PASSWORD):
            assert value not in text and base64.b64encode(value.encode()).decode() not in text

        # A preview changes nothing: no release, no desired-state record, nothing in the outbox.
        releases = (await client.get(f"/api/v1/applications/{app}/releases")).json()["items"]
        assert [r["revision"] for r in releases] == [1]
        assert await hub.outbox_counts() == (2, 0)
        assert len(await desired_events(local_fleet.kafka_bootstrap, prod)) == 1

        # The same body again: no new release, nothing changes anywhere; omitted fields keep the current ones.
        same = await diff(client, app, manifests=v1)
        assert not same["new_release"] and not same["summary"]["changed"]
        assert {c["change"] for c in same["clusters"]} == {"stay", "none"}
        assert all(c["objects"] == [] for c in same["clusters"])
        selector_only = await diff(client, app, selector="env=dev")
        assert selector_only["summary"]["entering"] == [dev]
        assert sorted(selector_only["summary"]["leaving"]) == sorted([prod, staging])

        # A new application diffs against nothing.
        fresh = await diff(client, new_app, manifests=v1, selector="")
        assert not fresh["exists"] and fresh["current_revision"] is None
        assert {c["change"] for c in fresh["clusters"]} == {"enter"}


async def test_bad_input_is_refused_like_the_put(local_fleet: RunningFleet, running_hub: Any) -> None:
    app = unique("app")
    async with running_hub() as hub:
        client = hub.client
        cases = [
            ({"manifests": "kind: ConfigMap\nmetadata: {name: x}\n", "selector": ""}, "missing apiVersion"),
            ({"manifests": manifests(greeting="a", password="b")}, "a selector is required for a new application"),
            ({"selector": "env=prod"}, "manifests are required for a new application"),
            ({"manifests": manifests(greeting="a", password="b"), "selector": "env in ("}, "selector"),
            ({"manifests": manifests(greeting="a", password="b"), "selector": "", "strategy": "nope"}, "strategy nope"),
            (
                {"manifests": manifests(greeting="a", password="b"), "selector": "", "timeout_seconds": 0},
                "timeout_seconds",
            ),
        ]
        for body, problem in cases:
            response = await client.post(f"/api/v1/applications/{app}/diff", json=body)
            assert response.status_code == 422, (body, response.text)
            assert problem in response.json()["detail"], response.text
        bad_id = await client.post("/api/v1/applications/Not_An_Id/diff", json={"manifests": [], "selector": ""})
        assert bad_id.status_code == 422

        viewer = await hub.token("someone", "viewer")
        body = {"manifests": manifests(greeting="a", password="b"), "selector": ""}
        forbidden = await client.post(f"/api/v1/applications/{app}/diff", json=body, headers=bearer(viewer))
        assert forbidden.status_code == 403 and "deployer" in forbidden.json()["detail"]
        anonymous = await client.post(f"/api/v1/applications/{app}/diff", json=body, headers={"Authorization": ""})
        assert anonymous.status_code == 401

        operation = (await client.get("/openapi.json")).json()["paths"]["/api/v1/applications/{application_id}/diff"][
            "post"
        ]
        assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])


@contextlib.asynccontextmanager
async def playing_spokes(
    bootstrap: str, clusters: list[str]
) -> AsyncIterator[tuple[AIOKafkaConsumer, AIOKafkaProducer]]:
    """A reader of these clusters' request topics, positioned at their end before anything is asked,
    and a producer of replies: the test answers as the spokes would (or does not)."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False)
    producer = new_producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        partitions = [TopicPartition(requests_topic(c), 0) for c in clusters]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for partition in partitions:
            await consumer.position(partition)
        yield consumer, producer
    finally:
        await consumer.stop()
        await producer.stop()


def reply(request: DryRunRequest, cluster: str) -> bytes:
    ref = ObjectRef(api_version="v1", kind="ConfigMap", name="settings", namespace="shop")
    data = DryRunReply(
        request_id=request.request_id,
        cluster=cluster,
        application=request.application,
        objects=[DryRunObject(ref=ref, state="changed", diff="-  GREETING: hijacked\n+  GREETING: hello")],
        time=datetime.now(UTC),
    )
    return encode(DryRunReplyEvent(source=f"spoke/{cluster}", cluster=cluster, data=data))


# Seconds the hub waits for dry-run answers in the live diff below.
ANSWER = 10


async def test_live_diff_lists_every_cluster_reached_whether_it_answers_or_not(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    answers, late, silent, away = unique("answers"), unique("late"), unique("silent"), unique("away")
    app = unique("app")
    clock = ManualClock()
    async with running_hub(clock=clock, unreachable_after_seconds=30) as hub:
        client = hub.client
        for cluster in (answers, late, silent, away):
            await register(client, cluster, env=cluster.split("-")[0])
        v1 = manifests(greeting="hello", password=OLD_PASSWORD)
        assert (
            await client.put(f"/api/v1/applications/{app}", json={"manifests": v1, "selector": ""})
        ).status_code == 201

        # `away` was heard from once, long ago by the hub's clock: unreachable, so it is not asked.
        await produce(
            local_fleet.kafka_bootstrap, [(HEARTBEAT_TOPIC, heartbeat_key(away), encode(heartbeat(away, clock.now)))]
        )

        async def heard() -> bool:
            return bool((await client.get(f"/api/v1/clusters/{away}")).json()["state"] == "ready")

        await eventually(heard, 60, f"a heartbeat from {away}")
        clock.now += timedelta(seconds=31)

        async with playing_spokes(local_fleet.kafka_bootstrap, [answers, late, silent, away]) as (consumer, producer):
            seen: dict[str, DryRunRequest] = {}

            async def spokes() -> None:
                """`answers` answers at once (and someone answers its request claiming to be `silent`, which is
                dropped); `late` answers only after the hub has given its answer (below); `silent` never does."""
                while len(seen) < 3:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        for record in records:
                            event = decode_dry_run_request(record.value)
                            seen[event.cluster] = event.data
                            if event.cluster == answers:
                                wrong = reply(event.data, silent)
                                await producer.send_and_wait(
                                    REPLIES_TOPIC, wrong, key=reply_key(str(event.data.request_id))
                                )
                                ok = reply(event.data, answers)
                                await producer.send_and_wait(
                                    REPLIES_TOPIC, ok, key=reply_key(str(event.data.request_id))
                                )

            playing = asyncio.create_task(spokes())
            v2 = manifests(greeting="hi", password=OLD_PASSWORD)
            # The window is wide enough for `answers` to answer through the real broker on a busy machine:
            # those that do not answer are kept waiting for all of it, whatever the machine.
            result = await diff(
                client, app, manifests=v2, selector=f"env!={late.split('-')[0]}", live=True, timeout_seconds=ANSWER
            )
            await asyncio.wait_for(playing, 30)
            # `late` answers after the hub gave its answer: the event itself, not a guess at the deadline.
            late_request = seen[late]
            await producer.send_and_wait(
                REPLIES_TOPIC, reply(late_request, late), key=reply_key(str(late_request.request_id))
            )

        by = clusters_of(result)
        assert by[late]["change"] == "leave"
        live = {name: c["live"]["state"] for name, c in by.items()}
        assert live == {answers: "answered", late: "timeout", silent: "timeout", away: "unreachable"}
        (obj,) = by[answers]["live"]["objects"]
        assert (obj["identity"], obj["state"]) == ("ConfigMap/shop/settings", "changed")
        assert "+  GREETING: hello" in obj["diff"]
        assert f"no answer within {ANSWER}s" in by[silent]["live"]["reason"]
        assert away not in seen  # not asked
        # What the clusters were asked: the bundle they would get; nothing for the one the change leaves.
        assert seen[answers].manifests == v2 and seen[late].manifests == []
        assert seen[answers].application == app
        summary = result["summary"]
        assert summary["live"] == {"answered": 1, "timeout": 2, "unreachable": 1, "error": 0}
        assert summary["live_changes"] == 1 and not summary["complete"]

        # The late reply arrived after the answer was given: nothing waits for it, and the hub goes on.
        again = await diff(client, app, manifests=v2, live=True, timeout_seconds=1)
        assert {c["live"]["state"] for c in again["clusters"] if c["live"]} <= {"timeout", "unreachable"}
