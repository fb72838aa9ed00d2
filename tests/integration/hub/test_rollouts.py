"""Staged rollouts through the hub API on the real Kafka, on SQLite and PostgreSQL: waves and soak with
time driven explicitly (the hub's clock is the test's), approvals with roles, failure and rollback to
the baseline, silence, supersede, restart, and the errors the API answers. Reports come over the real
report topics, as spokes send them; bundles are read back from the real desired topics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.v1 import BundleEvent, Health, ObjectRef, ObjectStatus, StatusEvent, StatusReport, encode
from schemas.v1.topics import HEARTBEAT_TOPIC, STATUS_TOPIC, heartbeat_key, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import ManualClock, RunningHub, bearer, desired_events, unique
from tests.integration.hub.test_reports import heartbeat, produce
from tests.waiting import eventually_async as eventually

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}
RINGS = ("staging", "canary", "prod")


def manifests(image: str) -> list[dict[str, Any]]:
    return [{**DEPLOYMENT, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}]


@dataclass
class Rollouts:
    hub: RunningHub
    kafka: str
    clock: ManualClock
    rings: dict[str, str]  # cluster -> ring
    sent: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def clusters(self) -> list[str]:
        return list(self.rings)

    def cluster(self, ring: str) -> str:
        return next(c for c, r in self.rings.items() if r == ring)

    async def heartbeats(self, clusters: list[str] | None = None) -> None:
        names = self.clusters if clusters is None else clusters
        now = self.clock.now
        await produce(self.kafka, [(HEARTBEAT_TOPIC, heartbeat_key(c), encode(heartbeat(c, now))) for c in names])

        async def seen() -> bool:
            for name in names:
                found = (await self.hub.client.get(f"/api/v1/clusters/{name}")).json()
                if found.get("last_seen") is None or datetime.fromisoformat(found["last_seen"]) < now:
                    return False
            return True

        await eventually(seen, 30, "heartbeats ingested")

    async def tick(self, seconds: float, *, step: float = 10, silent: tuple[str, ...] = ()) -> None:
        """Move the hub's clock, with heartbeats every `step` seconds from every cluster not `silent`."""
        left = seconds
        while left > 0:
            moved = min(step, left)
            self.clock.now += timedelta(seconds=moved)
            left -= moved
            await self.heartbeats([c for c in self.clusters if c not in silent])
        self.hub.context.rollout_signal.set()

    async def generation(self, cluster: str, app: str) -> int:
        status = (await self.hub.client.get(f"/api/v1/applications/{app}")).json()
        entry = next(c for c in status["clusters"] if c["cluster"] == cluster)
        generation: int = entry["generation"]
        return generation

    async def report(
        self,
        cluster: str,
        app: str,
        revision: int,
        health: Health = Health.READY,
        error: str | None = None,
        removed: bool = False,
    ) -> None:
        """What the cluster's spoke reports about the newest message it got for `app`."""
        generation = await self.generation(cluster, app)
        ref = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="shop")
        data = StatusReport(
            cluster=cluster,
            application=app,
            observed_generation=generation,
            observed_revision=revision,
            last_applied_revision=None if error else revision,
            last_attempted_revision=revision,
            health=health,
            removed=removed,
            objects=[ObjectStatus(ref=ref, action="failed" if error else "applied", health=health, error=error)],
            time=datetime.now(UTC),
        )
        event = StatusEvent(source=f"spoke/{cluster}", cluster=cluster, data=data)
        await produce(self.kafka, [(STATUS_TOPIC, status_key(cluster, app), encode(event))])

        async def stored() -> bool:
            status = (await self.hub.client.get(f"/api/v1/applications/{app}")).json()
            entry = next(c for c in status["clusters"] if c["cluster"] == cluster)
            return bool(entry["observed_generation"] == generation and entry["health"] == health.value)

        await eventually(stored, 30, f"report of {cluster} stored")

    async def rollout(self, app: str) -> dict[str, Any]:
        response = await self.hub.client.get(f"/api/v1/applications/{app}/rollout")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def until(self, app: str, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            self.hub.context.rollout_signal.set()
            status = await self.rollout(app)
            return status if check(status) else None

        return await eventually(probe, 30, what)

    async def bundles(self, cluster: str, app: str) -> list[int]:
        """Revisions of the bundles for `app` on the cluster's desired topic, in order, once the relay has
        published everything committed so far."""
        await self.hub.drained()
        events = await desired_events(self.kafka, cluster)
        return [e.data.revision for e in events if isinstance(e, BundleEvent) and e.data.application == app]


def states(status: dict[str, Any]) -> dict[str, str]:
    return {c["cluster"]: c["state"] for c in status["clusters"]}


async def fleet_of(hub: RunningHub, kafka: str, clock: ManualClock) -> Rollouts:
    rollouts = Rollouts(hub, kafka, clock, {unique(ring): ring for ring in RINGS})
    for cluster, ring in rollouts.rings.items():
        response = await hub.client.post("/api/v1/clusters", json={"id": cluster, "labels": {"ring": ring}})
        assert response.status_code == 201, response.text
    await rollouts.heartbeats()
    return rollouts


async def put_strategy(hub: RunningHub, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    response = await hub.client.put(f"/api/v1/strategies/{name}", json=spec)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def three_waves(**wave: Any) -> dict[str, Any]:
    return {"waves": [{"name": ring, "selector": f"ring={ring}", **wave} for ring in RINGS]}


async def release(hub: RunningHub, app: str, image: str, strategy: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"manifests": manifests(image), "selector": "ring"}
    if strategy is not None:
        body["strategy"] = strategy
    response = await hub.client.put(f"/api/v1/applications/{app}", json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


Start = Callable[..., Any]


async def test_waves_soak_and_an_approval_take_a_release_out_in_order(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary, prod = (fleet.cluster(r) for r in RINGS)
        spec = three_waves(minHealthy="60s", progressDeadline="10m")
        spec["waves"][2]["before"] = [{"approval": {"role": "approver"}}]
        await put_strategy(hub, "careful", spec)
        app = unique("app")
        applied = await release(hub, app, "web:1.0.1", strategy="careful")
        assert applied["strategy"] == "careful"
        assert applied["rollout"]["state"] == "running"

        # only staging has the release; the driver went no further
        status = await fleet.rollout(app)
        assert states(status) == {staging: "dispatched", canary: "pending", prod: "pending"}
        assert status["wave"] == "staging"
        assert await fleet.bundles(staging, app) == [1]
        assert await fleet.bundles(canary, app) == [] and await fleet.bundles(prod, app) == []

        # healthy, then 50 s of the 60 s soak: still dispatched, and the view says how long is left
        await fleet.report(staging, app, 1)
        await fleet.tick(50)
        status = await fleet.until(app, lambda s: s["clusters"][0]["progress"] == "healthy", "staging soaking")
        assert states(status)[staging] == "dispatched"
        assert "10s of soak left" in status["clusters"][0]["detail"]
        # the soak ends: staging passes and canary gets the release at once
        await fleet.tick(10)
        status = await fleet.until(app, lambda s: states(s)[canary] == "dispatched", "canary dispatched")
        assert states(status)[staging] == "passed"
        await fleet.report(canary, app, 1)
        await fleet.tick(60)
        status = await fleet.until(app, lambda s: s["state"] == "waiting-for-approval", "waiting for approval")
        assert status["waiting_for"].startswith("approval by role approver before wave prod")
        assert await fleet.bundles(prod, app) == []

        # a deployer cannot approve; an approver can, bound to what they looked at
        deployer = bearer(await hub.token("dana", "deployer"))
        approver = bearer(await hub.token("alice", "approver"))
        url = f"/api/v1/applications/{app}/rollout/approve"
        refused = await hub.client.post(url, json={}, headers=deployer)
        assert refused.status_code == 403
        assert "needs role approver" in refused.json()["detail"]
        stale = await hub.client.post(url, json={"revision": 2}, headers=approver)
        assert stale.status_code == 409 and "carries revision 1, not 2" in stale.json()["detail"]
        approved = await hub.client.post(
            url, json={"comment": "canary looks good", "wave": "prod", "revision": 1}, headers=approver
        )
        assert approved.status_code == 200, approved.text
        # the approval dispatches prod within the request
        assert states(approved.json())[prod] == "dispatched"
        assert approved.json()["approvals"][0] | {"decided_at": None} == {
            "wave": "prod",
            "phase": "before",
            "gate": 0,
            "revision": 1,
            "digest": applied["digest"],
            "actor": "alice",
            "role": "approver",
            "decided_at": None,
            "comment": "canary looks good",
        }
        again = await hub.client.post(url, json={}, headers=approver)
        assert again.status_code == 409 and "nothing is waiting for approval" in again.json()["detail"]

        await fleet.report(prod, app, 1)
        await fleet.tick(60)
        status = await fleet.until(app, lambda s: s["state"] == "succeeded", "rollout succeeded")
        assert status["reason"] == "3 cluster(s) passed"
        assert (await hub.client.get(f"/api/v1/applications/{app}")).json()["stable_revision"] == 1
        for cluster in (staging, canary, prod):
            assert await fleet.bundles(cluster, app) == [1]

        # the audit log tells the story, in order, with who did what
        audit = await hub.client.get("/api/v1/audit", params={"application": app, "limit": 1000})
        entries = sorted(audit.json()["items"], key=lambda e: e["id"])
        story = [(e["action"], e["actor"], e.get("cluster")) for e in entries if e["action"] != "rollout.wave-started"]
        dispatched = [c for action, _actor, c in story if action == "rollout.dispatched"]
        assert dispatched == [staging, canary, prod]
        assert ("release.created", "test-admin", None) in story
        assert ("rollout.approved", "alice", None) in story
        assert story.index(("rollout.approved", "alice", None)) < story.index(
            ("rollout.dispatched", "system:rollouts", prod)
        )
        assert story[-1] == ("rollout.succeeded", "system:rollouts", None)


async def test_a_failing_wave_rolls_back_to_the_baseline_in_reverse_order(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary, prod = (fleet.cluster(r) for r in RINGS)
        app = unique("app")
        # revision 1 goes everywhere at once and is healthy: that is every cluster's baseline
        await release(hub, app, "web:1.0.0")
        for cluster in fleet.clusters:
            await fleet.report(cluster, app, 1)
        spec = three_waves(progressDeadline="2m")
        spec["onFailure"] = "rollback"
        await put_strategy(hub, "fix", spec)
        await release(hub, app, "web:1.0.1", strategy="fix")

        await fleet.report(staging, app, 2)
        await fleet.tick(1)
        await fleet.until(app, lambda s: states(s)[canary] == "dispatched", "canary dispatched")
        # canary rejects the release: it fails at once and the rollback starts with canary itself
        await fleet.report(canary, app, 2, Health.DEGRADED, error="422: spec.replicas: Invalid value")
        status = await fleet.until(app, lambda s: s["state"] == "rolling-back", "rolling back")
        assert "rejected by the cluster" in status["reason"]
        assert await fleet.bundles(canary, app) == [1, 2, 1]
        assert await fleet.bundles(staging, app) == [1, 2]  # staging waits for canary to be restored
        assert await fleet.bundles(prod, app) == [1]

        await fleet.report(canary, app, 1)
        await fleet.until(
            app,
            lambda s: (
                states(s)[canary] == "failed" and len([c for c in s["clusters"] if c["restore"] == "restored"]) == 1
            ),
            "canary restored",
        )
        assert await fleet.bundles(staging, app) == [1, 2, 1]
        await fleet.report(staging, app, 1)
        status = await fleet.until(app, lambda s: s["state"] == "rolled-back", "rolled back")
        assert status["reason"] == "baseline healthy again on 2 cluster(s)"
        assert {c["cluster"]: c["restore"] for c in status["clusters"]} == {
            staging: "restored",
            canary: "restored",
            prod: None,
        }
        assert {w["name"]: w["state"] for w in status["waves"]} == {
            "staging": "restored",
            "canary": "restored",
            "prod": "pending",
        }
        assert status["clusters"][0]["restore_detail"] == "revision 1 healthy again"
        app_view = (await hub.client.get(f"/api/v1/applications/{app}")).json()
        assert app_view["revision"] == 2 and app_view["stable_revision"] == 1


async def test_silence_fails_the_gate_and_pauses_and_resume_judges_again(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary = fleet.cluster("staging"), fleet.cluster("canary")
        await put_strategy(hub, "steady", three_waves(minHealthy="30s", progressDeadline="90s"))
        app = unique("app")
        await release(hub, app, "web:1.0.1", strategy="steady")
        # staging reports Ready, then goes silent: its heartbeats stop, so the soak never completes
        await fleet.report(staging, app, 1)
        await fleet.tick(100, silent=(staging,))
        status = await fleet.until(app, lambda s: s["state"] == "paused", "paused at the deadline")
        assert states(status)[staging] == "failed"
        assert "not healthy within 1m30s: unreachable" in status["clusters"][0]["detail"]
        assert status["waiting_for"].startswith("an operator: paused (wave staging: 1 of 1 cluster(s) failed")
        assert await fleet.bundles(canary, app) == []

        # it comes back; the operator resumes: judged again with a fresh deadline, and passes after its soak
        await fleet.tick(10)
        resumed = await hub.client.post(f"/api/v1/applications/{app}/rollout/resume", json={"comment": "back"})
        assert resumed.status_code == 200, resumed.text
        assert states(resumed.json())[staging] == "dispatched"
        await fleet.tick(30)
        status = await fleet.until(app, lambda s: states(s)[canary] == "dispatched", "canary dispatched")
        assert states(status)[staging] == "passed"


async def test_a_new_release_supersedes_the_run_and_starts_over_with_fresh_approvals(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary = fleet.cluster("staging"), fleet.cluster("canary")
        spec = three_waves()
        spec["waves"][1]["before"] = [{"approval": {}}]
        await put_strategy(hub, "gated", spec)
        app = unique("app")
        await release(hub, app, "web:1.0.1", strategy="gated")
        await fleet.report(staging, app, 1)
        await fleet.tick(1)
        first = await fleet.until(app, lambda s: s["state"] == "waiting-for-approval", "waiting for approval")
        approved = await hub.client.post(f"/api/v1/applications/{app}/rollout/approve", json={})
        assert approved.status_code == 200
        assert states(approved.json())[canary] == "dispatched"

        await release(hub, app, "web:1.0.2", strategy="gated")
        second = await fleet.rollout(app)
        assert second["id"] != first["id"] and second["revision"] == 2
        assert states(second) == {staging: "dispatched", canary: "pending", fleet.cluster("prod"): "pending"}
        assert second["approvals"] == []
        old = (await hub.client.get(f"/api/v1/applications/{app}/rollout", params={"run": first["id"]})).json()
        assert old["state"] == "superseded" and old["superseded_by"] == second["id"]
        # canary keeps revision 1 until the new run reaches it; staging got revision 2 at once
        assert await fleet.bundles(canary, app) == [1]
        assert await fleet.bundles(staging, app) == [1, 2]
        await fleet.report(staging, app, 2)
        await fleet.tick(1)
        await fleet.until(app, lambda s: s["state"] == "waiting-for-approval", "the new run asks again")
        history = (await hub.client.get(f"/api/v1/applications/{app}/rollouts")).json()["items"]
        assert [(r["revision"], r["state"]) for r in history] == [(2, "waiting-for-approval"), (1, "superseded")]


async def test_a_restarted_hub_resumes_mid_soak_without_dispatching_again(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    app = unique("app")
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary = fleet.cluster("staging"), fleet.cluster("canary")
        await put_strategy(hub, "soak", three_waves(minHealthy="60s"))
        await release(hub, app, "web:1.0.1", strategy="soak")
        await fleet.report(staging, app, 1)
        await fleet.tick(40)
        await hub.drained()
    # the same database, a new hub process (its report consumer re-reads what the first one stored)
    async with running_hub(clock=clock, report_group_id=hub.settings.report_group_id) as hub:
        fleet.hub = hub
        await fleet.tick(20)
        status = await fleet.until(app, lambda s: states(s)[canary] == "dispatched", "canary dispatched after restart")
        assert states(status)[staging] == "passed"
        await hub.drained()
        assert await fleet.bundles(staging, app) == [1]
        assert await fleet.bundles(canary, app) == [1]


async def test_bad_requests_are_refused_with_the_reason(local_fleet: RunningFleet, running_hub: Start) -> None:
    async with running_hub() as hub:
        client = hub.client
        bad = await client.put("/api/v1/strategies/x", json={"waves": [{"name": "a", "maxConcurency": 2}]})
        assert bad.status_code == 422 and "waves.0.maxConcurency" in bad.json()["detail"]
        bad = await client.put("/api/v1/strategies/x", json={"waves": [{"name": "a", "limit": "150%"}]})
        assert bad.status_code == 422 and "between 0% and 100%" in bad.json()["detail"]
        bad = await client.put("/api/v1/strategies/Bad_Name", json={"waves": [{"name": "a"}]})
        assert bad.status_code == 422 and "DNS-1123" in bad.json()["detail"]
        created = await client.put("/api/v1/strategies/x", json={"waves": [{"name": "a"}]})
        assert created.status_code == 201 and created.json()["version"] == 1
        same = await client.put("/api/v1/strategies/x", json={"waves": [{"name": "a", "maxFailures": 0}]})
        assert same.status_code == 200 and same.json()["version"] == 1

        deployer = bearer(await hub.token("dana", "deployer"))
        refused = await client.put("/api/v1/strategies/y", json={"waves": [{"name": "a"}]}, headers=deployer)
        assert refused.status_code == 403

        cluster = unique("c")
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        app = unique("app")
        missing = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests("a:1"), "selector": "", "strategy": "nope"}
        )
        assert missing.status_code == 422 and "strategy nope does not exist" in missing.json()["detail"]
        created = await client.put(
            f"/api/v1/applications/{app}",
            json={"manifests": manifests("a:1"), "selector": "", "strategy": "x"},
            headers=deployer,
        )
        assert created.status_code == 201, created.text
        # a deployer cannot take an application out from under its strategy's gates
        escape = await client.put(f"/api/v1/applications/{app}", json={"strategy": None}, headers=deployer)
        assert escape.status_code == 403 and "needs the admin role" in escape.json()["detail"]
        in_use = await client.delete("/api/v1/strategies/x")
        assert in_use.status_code == 409 and app in in_use.json()["detail"]

        nothing = await client.post(f"/api/v1/applications/{app}/rollout/resume", json={})
        assert nothing.status_code == 409 and "only a paused run can be resumed" in nothing.json()["detail"]
        unknown = await client.get(f"/api/v1/applications/{unique('nope')}/rollout")
        assert unknown.status_code == 404
        no_token = await client.post(
            f"/api/v1/applications/{app}/rollout/pause", json={}, headers={"Authorization": ""}
        )
        assert no_token.status_code == 401
        paused = await client.post(
            f"/api/v1/applications/{app}/rollout/pause", json={"comment": "hold"}, headers=deployer
        )
        assert paused.status_code == 200 and paused.json()["state"] == "paused"
        assert paused.json()["waiting_for"] == "an operator: paused (pause by dana: hold); resume, abort or roll back"
        aborted = await client.post(f"/api/v1/applications/{app}/rollout/abort", json={}, headers=deployer)
        assert aborted.status_code == 200 and aborted.json()["state"] == "aborted"


async def test_clusters_that_leave_are_skipped_one_that_joins_gets_the_stable_release_and_deletion_ends_the_run(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    clock = ManualClock()
    async with running_hub(clock=clock) as hub:
        fleet = await fleet_of(hub, local_fleet.kafka_bootstrap, clock)
        staging, canary, prod = (fleet.cluster(r) for r in RINGS)
        app = unique("app")
        await release(hub, app, "web:1.0.0")  # revision 1 everywhere: the stable release
        await put_strategy(hub, "members", three_waves())
        await release(hub, app, "web:1.0.1", strategy="members")

        # prod leaves the selector before its wave; canary is deregistered
        relabel = await hub.client.put(f"/api/v1/clusters/{prod}/labels", json={"labels": {"team": "x"}})
        assert relabel.status_code == 200, relabel.text
        assert (await hub.client.delete(f"/api/v1/clusters/{canary}")).status_code == 200
        # a new cluster joins mid-run: it gets revision 1, the stable one, not the one in flight
        joined = unique("joined")
        registered = await hub.client.post("/api/v1/clusters", json={"id": joined, "labels": {"ring": "prod"}})
        assert registered.status_code == 201, registered.text
        assert await fleet.bundles(joined, app) == [1]

        await fleet.report(staging, app, 2)
        status = await fleet.until(app, lambda s: s["state"] == "succeeded", "succeeded without the leavers")
        details = {c["cluster"]: (c["state"], c["detail"]) for c in status["clusters"]}
        assert details[canary] == ("skipped", "cluster deregistered")
        assert details[prod] == ("skipped", "cluster left the release's selector")
        assert joined not in details  # the plan was frozen at the start
        assert status["reason"] == "1 cluster(s) passed, 2 skipped"
        assert await fleet.bundles(joined, app) == [1]

        # a new run, then the application is deleted mid-run: the run ends with it
        await release(hub, app, "web:1.0.2", strategy="members")
        assert (await hub.client.delete(f"/api/v1/applications/{app}")).status_code == 200
        ended = (await hub.client.get("/api/v1/rollouts", params={"active": "false"})).json()["items"]
        mine = [r for r in ended if r["application"] == app]
        assert (mine[0]["revision"], mine[0]["state"], mine[0]["reason"]) == (
            3,
            "aborted",
            "application deleted by test-admin",
        )
        active = (await hub.client.get("/api/v1/rollouts", params={"active": "true"})).json()["items"]
        assert [r for r in active if r["application"] == app] == []
