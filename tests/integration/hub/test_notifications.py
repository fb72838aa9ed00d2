"""Notifications through the hub API on the real Kafka, on SQLite and PostgreSQL, delivered over real
HTTP to receivers the tests start (aiohttp servers on free ports): rollout events arrive signed, with
the plan and the diff on an approval request; a receiver answering 500 is retried until it answers 200;
receivers that hang or refuse do not hold up a rollout; clusters going unreachable and coming back are
recorded and notified on the hub's (manual) clock; audit ids committing out of order on PostgreSQL are
all notified; and the API's errors and roles."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict
from sqlalchemy import select

from hub.audit.log import record
from hub.auth.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hub.store import models
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import ManualClock, RunningHub, bearer, unique
from tests.integration.hub.test_rollouts import RINGS, Rollouts, fleet_of, put_strategy, release, states, three_waves
from tests.waiting import eventually_async as eventually

SECRET = "integration-test-secret-0123456789"
Start = Callable[..., Any]


@dataclass
class Received:
    path: str
    headers: CIMultiDict[str]
    body: bytes
    at: float  # monotonic

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def event(self) -> str:
        return self.headers["X-Fleetcast-Event"]

    def signed_with(self, secret: str) -> bool:
        problem = verify(
            secret.encode(),
            self.headers[TIMESTAMP_HEADER],
            self.headers[SIGNATURE_HEADER],
            self.body,
            now=time.time(),
            tolerance=300,
        )
        return problem == ""


@dataclass
class Receiver:
    """A webhook receiver: records every request; answers each path with the statuses queued for it
    (then 200), or never (`hang`)."""

    base: str
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(request.path, CIMultiDict(request.headers), await request.read(), time.monotonic())
        )
        if request.path in self.hanging:
            await self.release.wait()  # until the test ends
        queued = self.answers.get(request.path) or []
        code = queued.pop(0) if queued else 200
        return web.Response(status=code, text="no thanks" if code >= 300 else "ok")

    async def wait_for(self, path: str, event: str, count: int = 1, timeout: float = 90) -> list[Received]:
        async def found() -> list[Received] | None:
            matching = [r for r in self.at(path) if r.event == event]
            return matching if len(matching) >= count else None

        return await eventually(found, timeout, f"{count} {event} at {path}")


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver("")
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", hooks.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hooks.base = f"http://{host}:{port}"
    try:
        yield hooks
    finally:
        hooks.release.set()
        await runner.cleanup()


def closed_port() -> int:
    """A port nothing listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def subscribe(hub: RunningHub, **body: Any) -> dict[str, Any]:
    response = await hub.client.post("/api/v1/notifications/subscriptions", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(hub: RunningHub, **filters: Any) -> list[dict[str, Any]]:
    response = await hub.client.get("/api/v1/notifications/deliveries", params={"limit": 1000, **filters})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(hub: RunningHub, subscription: int, count: int, status: str = "delivered") -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        items = await deliveries(hub, subscription=subscription, status=status)
        return items if len(items) >= count else None

    return await eventually(check, 30, f"{count} {status} deliveries of subscription {subscription}")


async def test_rollout_events_arrive_signed_with_the_plan_and_the_diff(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with receiver() as hooks, running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary, prod = (fleet.cluster(r) for r in RINGS)
        app = unique("app")
        spec = three_waves(minHealthy="10s", progressDeadline="10m")
        spec["waves"][2]["before"] = [{"approval": {"role": "approver"}}]
        await put_strategy(hub, "gated", spec)
        await release(hub, app, "web:1.0.0")  # revision 1 everywhere at once: what the diff compares with
        team = await subscribe(hub, url=hooks.url("/team"), events=["rollout.*"], applications=[app], secret=SECRET)
        assert team["secret"] is None  # given, so not echoed
        ops = await subscribe(
            hub,
            url=hooks.url("/ops/T000/B000/XXXX"),
            events=["rollout.wave-passed", "rollout.approval-requested"],
            selector="ring=prod",
            format="slack",
        )
        assert ops["url"] == f"{hooks.base}/ops/***" and len(ops["secret"]) >= 40

        await release(hub, app, "web:1.0.1", strategy="gated")
        await fleet.report(staging, app, 2)
        await fleet.tick(10)
        await fleet.until(app, lambda s: states(s)[canary] == "dispatched", "canary dispatched")
        await fleet.report(canary, app, 2)
        await fleet.tick(10)
        status = await fleet.until(app, lambda s: s["state"] == "waiting-for-approval", "waiting for approval")

        [asked] = await hooks.wait_for("/team", "rollout.approval-requested")
        assert asked.signed_with(SECRET)
        assert asked.headers["Content-Type"] == "application/json"
        note = asked.document
        assert note["type"] == "fleetcast.notification" and note["schema_version"] == "v1"
        assert (note["application"], note["revision"], note["run"]) == (app, 2, status["id"])
        assert note["summary"] == f"{app} revision 2: approval by role approver needed before wave prod"
        plan = note["plan"]
        assert [(w["name"], w["clusters"]) for w in plan["waves"]] == [
            ("staging", [staging]),
            ("canary", [canary]),
            ("prod", [prod]),
        ]
        assert plan["waves"][2]["gates"] == ["before: approval by role approver (open)"]
        assert plan["approve_command"] == f"fleetcast rollout approve {app} --wave prod --revision 2"
        assert plan["approvers"] == "role approver (or admin)"
        diff = note["diff"].splitlines()
        assert diff[:3] == [
            "~ Deployment.apps/shop/web (changed)",
            "--- revision 1/Deployment.apps/shop/web",
            "+++ revision 2/Deployment.apps/shop/web",
        ]
        assert "-      - image: web:1.0.0" in diff and "+      - image: web:1.0.1" in diff
        assert note["links"]["rollout"].endswith(f"/api/v1/applications/{app}/rollout?run={status['id']}")
        # the team got the steps before it (deliveries run side by side: the audit ids give the order)
        team_events = [r.event for r in sorted(hooks.at("/team"), key=lambda r: r.document["id"])]
        assert team_events == [
            "rollout.started",
            "rollout.wave-passed",
            "rollout.wave-passed",
            "rollout.approval-requested",
        ]

        # ops (ring=prod, Slack) got the approval request for the prod wave, not the staging and canary waves
        [slack] = await hooks.wait_for("/ops/T000/B000/XXXX", "rollout.approval-requested")
        assert slack.signed_with(ops["secret"]) and not slack.signed_with(SECRET)
        message = slack.document
        assert message["text"] == note["summary"]
        sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
        assert f"*prod* (in progress): {prod}" in sections[1]
        assert sections[2].startswith("*What changes*\n```~ Deployment.apps/shop/web (changed)")
        assert "+      - image: web:1.0.1" in sections[2]
        assert [d["event"] for d in await deliveries(hub, subscription=ops["id"])] == ["rollout.approval-requested"]

        logged = await settled(hub, team["id"], 4)
        assert {d["attempts"] for d in logged} == {1} and {d["response_status"] for d in logged} == {200}
        assert {r.headers["X-Fleetcast-Delivery"] for r in hooks.at("/team")} >= {str(d["id"]) for d in logged}

        approved = await hub.client.post(f"/api/v1/applications/{app}/rollout/approve", json={"wave": "prod"})
        assert approved.status_code == 200, approved.text
        await fleet.report(prod, app, 2)
        await fleet.tick(10)
        await fleet.until(app, lambda s: s["state"] == "succeeded", "succeeded")
        [done] = await hooks.wait_for("/team", "rollout.succeeded")
        assert done.document["summary"] == f"{app} revision 2: rollout succeeded: 3 cluster(s) passed"
        # started, 3 x wave-passed, approval-requested, approved, succeeded
        assert len(await settled(hub, team["id"], 7)) == 7
        assert "rollout.approved" in [r.event for r in hooks.at("/team")]
        assert hub.metric("fleetcast_hub_notification_deliveries_total", {"result": "delivered"}) >= 8


async def test_a_receiver_answering_500_is_retried_until_it_answers(running_hub: Start) -> None:
    fast = {"backoff_initial_seconds": 0.05, "backoff_max_seconds": 0.2, "max_attempts": 3}
    async with receiver() as hooks, running_hub(notifications=fast) as hub:
        hooks.answers["/flaky"] = [500, 503]
        hooks.answers["/broken"] = [500, 500, 500]
        hooks.answers["/gone"] = [410]
        flaky = await subscribe(hub, url=hooks.url("/flaky"), events=["*"], secret=SECRET)
        broken = await subscribe(hub, url=hooks.url("/broken"), events=["*"], secret=SECRET)
        gone = await subscribe(hub, url=hooks.url("/gone"), events=["*"], secret=SECRET)
        for subscription in (flaky, broken, gone):
            response = await hub.client.post(f"/api/v1/notifications/subscriptions/{subscription['id']}/test")
            assert response.status_code == 202, response.text
            assert response.json()["status"] == "pending"

        [delivered] = await settled(hub, flaky["id"], 1)
        assert (delivered["attempts"], delivered["response_status"]) == (3, 200)
        assert delivered["last_error"] == "the receiver answered 503: no thanks"  # the error before it worked
        attempts = hooks.at("/flaky")
        assert len(attempts) == 3 and all(a.signed_with(SECRET) for a in attempts)
        assert len({a.headers["X-Fleetcast-Delivery"] for a in attempts}) == 1  # one delivery, three tries
        assert {a.body for a in attempts} == {attempts[0].body}  # the same body each time
        assert attempts[0].document["event"] == "notification.test"

        [failed] = await settled(hub, broken["id"], 1, "failed")
        assert failed["attempts"] == 3
        assert failed["last_error"] == "the receiver answered 500: no thanks (gave up after 3 attempt(s))"
        [refused] = await settled(hub, gone["id"], 1, "failed")
        assert (refused["attempts"], refused["response_status"]) == (1, 410)  # refused: not tried again
        assert hub.metric("fleetcast_hub_notification_deliveries_total", {"result": "retried"}) == 4
        assert hub.metric("fleetcast_hub_notification_deliveries_total", {"result": "failed"}) == 2
        assert hub.metric("fleetcast_hub_notification_deliveries_total", {"result": "delivered"}) == 1

        listed = (await hub.client.get("/api/v1/notifications/subscriptions")).json()["items"]
        assert {s["id"]: s["deliveries"] for s in listed} == {
            flaky["id"]: {"delivered": 1},
            broken["id"]: {"failed": 1},
            gone["id"]: {"failed": 1},
        }
        only_failed = await deliveries(hub, status="failed")
        assert {d["subscription"] for d in only_failed} == {broken["id"], gone["id"]}


async def test_receivers_that_hang_or_refuse_do_not_hold_up_a_rollout(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    # Receivers get ten minutes to answer: the whole rollout below happens while the first ones still hang,
    # however slow a busy machine makes it (the hub cancels the hanging request when it stops).
    # Two deliveries at a time, one per receiver: the hanging receiver's backlog (older than anything the
    # good receiver gets) must not keep the good one waiting.
    slow = {"timeout_seconds": 600, "concurrency": 2, "per_receiver_concurrency": 1}
    async with receiver() as hooks, running_hub(clock=clock, notifications=slow) as hub:
        hooks.hanging.add("/hang")
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        hanging = await subscribe(hub, url=hooks.url("/hang"), events=["*"], secret=SECRET)
        refusing = await subscribe(hub, url=f"http://127.0.0.1:{closed_port()}/hook", events=["*"], secret=SECRET)
        healthy = await subscribe(hub, url=hooks.url("/ok"), events=["rollout.*"], secret=SECRET)
        await put_strategy(hub, "steady", three_waves(minHealthy="10s", progressDeadline="10m"))
        app = unique("app")
        await release(hub, app, "web:2.0.0", strategy="steady")
        for ring in RINGS:
            cluster = fleet.cluster(ring)
            await fleet.until(app, lambda s, c=cluster: states(s)[c] == "dispatched", f"{ring} dispatched")
            await fleet.report(cluster, app, 1)
            await fleet.tick(10)
        await fleet.until(app, lambda s: s["state"] == "succeeded", "succeeded")

        # The run went through every wave while the hanging receiver has not answered a single request:
        # one is held open (its limit), the rest wait their turn; nothing of it reached the rollout.
        held = await deliveries(hub, subscription=hanging["id"])
        assert len(held) >= 5 and all(d["status"] == "pending" and d["attempts"] == 0 for d in held)
        assert len(hooks.at("/hang")) == 1

        # The refusing receiver's attempts failed and were recorded, to be tried again later.
        async def refused_recorded() -> list[dict[str, Any]] | None:
            items = await deliveries(hub, subscription=refusing["id"])
            return items if items and all(d["attempts"] >= 1 for d in items) else None

        refused = await eventually(refused_recorded, 30, "refused attempts recorded")
        assert all(d["status"] == "pending" and "ConnectError" in (d["last_error"] or "") for d in refused)
        # A good receiver next to them got everything, in time.
        [succeeded] = await hooks.wait_for("/ok", "rollout.succeeded")
        assert succeeded.signed_with(SECRET)
        await settled(hub, healthy["id"], len(await deliveries(hub, subscription=healthy["id"])))


async def reachability(hub: RunningHub) -> dict[str, str]:
    async with hub.context.reading() as session:
        return {r.cluster_id: r.state for r in await session.scalars(select(models.ClusterReachability))}


async def test_a_cluster_going_unreachable_and_back_is_recorded_and_notified(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with receiver() as hooks, running_hub(clock=clock, notifications={"monitor_interval_seconds": 0.1}) as hub:
        fleet: Rollouts = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary, prod = (fleet.cluster(r) for r in RINGS)

        async def known() -> bool:
            states_ = await reachability(hub)
            return all(states_.get(c) == "ready" for c in fleet.clusters)

        await eventually(known, 30, "the monitor knows every cluster ready")
        watching = await subscribe(hub, url=hooks.url("/prod"), events=["cluster.*"], selector="ring=prod")

        # prod goes silent; the others keep sending heartbeats
        await fleet.tick(45, silent=(prod,))
        [gone] = await hooks.wait_for("/prod", "cluster.unreachable")
        assert gone.signed_with(watching["secret"])
        assert gone.document["cluster"] == prod and gone.document["actor"] == "system:hub"
        assert gone.document["summary"].startswith(f"cluster {prod} unreachable: no heartbeat for ")
        assert gone.document["details"]["unreachable_after"] == "30s"
        assert (await reachability(hub))[prod] == "unreachable"

        await fleet.heartbeats([prod])
        [back] = await hooks.wait_for("/prod", "cluster.reachable")
        assert back.document["cluster"] == prod
        assert [r.event for r in hooks.at("/prod")] == ["cluster.unreachable", "cluster.reachable"]

        page = (await hub.client.get("/api/v1/audit", params={"actor": "system:hub"})).json()["items"]
        recorded = [(e["action"], e["cluster"], e["actor"]) for e in reversed(page)]
        assert recorded == [("cluster.unreachable", prod, "system:hub"), ("cluster.reachable", prod, "system:hub")]
        assert staging not in [e["cluster"] for e in page] and canary not in [e["cluster"] for e in page]


# PostgreSQL only: SQLite commits one writer at a time, so its ids appear in order.
@pytest.mark.parametrize("database_server", ["postgres"], indirect=True)
async def test_audit_ids_committing_out_of_order_are_all_notified(running_hub: Start) -> None:
    async with receiver() as hooks, running_hub(notifications={"settle_seconds": 120}) as hub:
        await subscribe(hub, url=hooks.url("/campaigns"), events=["campaign.finished"], secret=SECRET)
        ctx = hub.context

        def finished(campaign: int) -> dict[str, Any]:
            return {
                "campaign": campaign,
                "image": "nginx",
                "to": "1.27.4",
                "applications": ["web"],
                "vulnerable_clusters": 0,
            }

        async with ctx.sessions() as first:
            async with first.begin():
                await record(first, time=ctx.clock(), actor="lead", action="campaign.finished", details=finished(1))
                await first.flush()  # takes its id now; commits later
                async with ctx.sessions() as second, second.begin():
                    await record(
                        second, time=ctx.clock(), actor="lead", action="campaign.finished", details=finished(2)
                    )
                ctx.audit_signal.set()
                [later] = await hooks.wait_for("/campaigns", "campaign.finished")
                assert later.document["details"]["campaign"] == 2
            ctx.audit_signal.set()  # the earlier id commits after the later one was notified
        both = await hooks.wait_for("/campaigns", "campaign.finished", 2)
        assert [r.document["details"]["campaign"] for r in both] == [2, 1]
        assert (
            both[1].document["summary"] == "campaign 1 finished: nginx -> 1.27.4 on web; 0 cluster(s) still vulnerable"
        )
        assert both[1].document["id"] < both[0].document["id"]


async def test_subscriptions_need_admin_are_checked_and_never_show_their_secret(running_hub: Start) -> None:
    async with running_hub() as hub:
        viewer = bearer(await hub.token("watcher", "viewer"))
        deployer = bearer(await hub.token("shipper", "deployer"))
        body = {"url": "https://hooks.example.com/services/T1/B2/SECRETPART", "events": ["rollout.*"]}
        for headers in (viewer, deployer):
            refused = await hub.client.post("/api/v1/notifications/subscriptions", json=body, headers=headers)
            assert refused.status_code == 403, refused.text
            assert "needs the admin role" in refused.json()["detail"]
        unauthenticated = await hub.client.post(
            "/api/v1/notifications/subscriptions", json=body, headers={"Authorization": "Bearer nope"}
        )
        assert unauthenticated.status_code == 401

        bad = await hub.client.post(
            "/api/v1/notifications/subscriptions",
            json={"url": "gopher://x", "events": ["rollout.nope"], "selector": "env in (", "secret": "short"},
        )
        assert bad.status_code == 422
        assert bad.json()["detail"].startswith("invalid subscription: url 'gopher://x' must start with http")
        assert len(bad.json()["errors"]) == 4
        assert (await hub.client.post("/api/v1/notifications/subscriptions", json={"url": "x"})).status_code == 422

        created = await subscribe(hub, **body, description="chat-ops")
        secret = created["secret"]
        assert created["url"] == "https://hooks.example.com/services/***"
        listed = await hub.client.get("/api/v1/notifications/subscriptions", headers=viewer)
        assert listed.status_code == 200
        shown = await hub.client.get(f"/api/v1/notifications/subscriptions/{created['id']}", headers=viewer)
        for text in (listed.text, shown.text, (await hub.client.get("/api/v1/audit")).text):
            assert secret not in text and "SECRETPART" not in text
        assert (await hub.client.get("/api/v1/notifications/events", headers=viewer)).status_code == 200
        log = await hub.client.get("/api/v1/notifications/deliveries", headers=viewer)
        assert log.status_code == 200 and log.json() == {"items": [], "next_before": None}
        assert (await hub.client.get("/api/v1/notifications/deliveries", params={"status": "lost"})).status_code == 422
        test_refused = await hub.client.post(
            f"/api/v1/notifications/subscriptions/{created['id']}/test", headers=viewer
        )
        assert test_refused.status_code == 403

        assert (await hub.client.get("/api/v1/notifications/subscriptions/9999")).status_code == 404
        # what the database cannot hold is refused, not failed on
        assert (await hub.client.get(f"/api/v1/notifications/subscriptions/{2**40}")).status_code == 422
        nul = await hub.client.post("/api/v1/notifications/subscriptions", json={**body, "description": "a\x00b"})
        assert nul.status_code == 422 and nul.json()["errors"] == ["description: must not contain control characters"]
        for params in ({"event": "rollout.\x00"}, {"before": 2**70}, {"subscription": 0}):
            assert (await hub.client.get("/api/v1/notifications/deliveries", params=params)).status_code == 422
        assert (await hub.client.delete("/api/v1/notifications/subscriptions/9999")).status_code == 404
        assert (
            await hub.client.get("/api/v1/notifications/deliveries", params={"subscription": 9999})
        ).status_code == 404

        # a pending delivery is cancelled with its subscription (the URL does not resolve, so it stays pending)
        queued = await hub.client.post(f"/api/v1/notifications/subscriptions/{created['id']}/test")
        assert queued.status_code == 202
        removed = await hub.client.delete(f"/api/v1/notifications/subscriptions/{created['id']}")
        assert removed.status_code == 200, removed.text
        [cancelled] = await deliveries(hub, subscription=created["id"])
        assert cancelled["status"] == "cancelled"
        assert (await hub.client.get(f"/api/v1/notifications/subscriptions/{created['id']}")).status_code == 404
        actions = [
            e["action"]
            for e in (await hub.client.get("/api/v1/audit", params={"action": "notification."})).json()["items"]
        ]
        assert actions == ["notification.unsubscribed", "notification.tested", "notification.subscribed"]
