"""dependsOn through the hub API on the real Kafka, on SQLite and PostgreSQL: a dependent's bundle is held
until its dependency reports Ready on that cluster (reports come over the real report topics, bundles are
read back from the real desired topics), a removal while held goes out at once, chains release level by
level, a change of dependencies alone makes no release, and cycles are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.store import models
from schemas.v1 import BundleEvent, Health, ObjectRef, ObjectStatus, RemovalEvent, StatusEvent, StatusReport, encode
from schemas.v1.topics import STATUS_TOPIC, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, desired_events, unique
from tests.integration.hub.test_reports import produce
from tests.waiting import eventually_async as eventually

CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}, "data": {}}


def manifests(value: str) -> list[dict[str, Any]]:
    return [{**CONFIG, "data": {"value": value}}]


class Fleet:
    def __init__(self, hub: RunningHub, kafka: str, cluster: str) -> None:
        self.hub, self.kafka, self.cluster = hub, kafka, cluster

    async def put(self, app: str, expect: int = 201, **fields: Any) -> dict[str, Any]:
        body = {"manifests": manifests(app), "selector": "", **fields}
        response = await self.hub.client.put(f"/api/v1/applications/{app}", json=body)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    async def entry(self, app: str) -> dict[str, Any]:
        body = (await self.hub.client.get(f"/api/v1/applications/{app}")).json()
        found: dict[str, Any] = next(c for c in body["clusters"] if c["cluster"] == self.cluster)
        return found

    async def report(self, app: str, health: Health) -> None:
        """What the spoke reports about the newest message it got for `app`."""
        entry = await self.entry(app)
        generation, revision = entry["generation"], entry["desired_revision"]
        ref = ObjectRef(api_version="v1", kind="ConfigMap", name="c", namespace="shop")
        data = StatusReport(
            cluster=self.cluster,
            application=app,
            observed_generation=generation,
            observed_revision=revision,
            last_applied_revision=revision,
            last_attempted_revision=revision,
            health=health,
            objects=[ObjectStatus(ref=ref, action="applied", health=health)],
            time=datetime.now(UTC),
        )
        event = StatusEvent(source=f"spoke/{self.cluster}", cluster=self.cluster, data=data)
        await produce(self.kafka, [(STATUS_TOPIC, status_key(self.cluster, app), encode(event))])

        async def stored() -> bool:
            entry = await self.entry(app)
            return bool(entry["observed_generation"] == generation and entry["health"] == health.value)

        await eventually(stored, 30, f"report of {app} stored")

    async def sent(self) -> list[tuple[str, str, int]]:
        """(application, bundle | removal, generation) of every desired message published to the cluster,
        once the relay has published everything committed so far."""
        await self.hub.drained()
        return [
            (e.data.application, "bundle" if isinstance(e, BundleEvent) else "removal", e.data.generation)
            for e in await desired_events(self.kafka, self.cluster)
            if isinstance(e, BundleEvent | RemovalEvent)
        ]

    async def until_sent(self, app: str) -> list[tuple[str, str, int]]:
        async def check() -> list[tuple[str, str, int]] | None:
            sent = await self.sent()
            return sent if any(a == app for a, _, _ in sent) else None

        return await eventually(check, 30, f"{app} sent to {self.cluster}")

    async def held(self) -> int:
        async with self.hub.context.reading() as session:
            return await session.scalar(select(func.count()).select_from(models.HeldRecord)) or 0

    async def dispatched_events(self, app: str) -> list[dict[str, Any]]:
        params = {"action": "application.dispatched-after-dependencies", "application": app}
        items: list[dict[str, Any]] = (await self.hub.client.get("/api/v1/audit", params=params)).json()["items"]
        return items


async def fleet(hub: RunningHub, kafka: str) -> Fleet:
    cluster = unique()
    assert (await hub.client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
    return Fleet(hub, kafka, cluster)


async def test_a_bundle_waits_until_its_dependency_reports_ready(local_fleet: RunningFleet, running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        f = await fleet(hub, local_fleet.kafka_bootstrap)
        db, web = unique("db"), unique("web")
        await f.put(db)
        created = await f.put(web, depends_on=[db])
        assert created["depends_on"] == [db] and created["missing_dependencies"] == []
        assert await f.sent() == [(db, "bundle", 1)]
        assert (await f.entry(web))["waiting_for"] == [f"{db} (not applied yet)"]
        assert (await f.entry(web))["desired_revision"] == 1  # what it will get, once it may

        await f.report(db, Health.PROGRESSING)
        hub.context.dependencies_signal.set()  # poll now, for the fresh waiting text

        async def progressing() -> bool:
            return (await f.entry(web))["waiting_for"] == [f"{db} (Progressing)"]

        await eventually(progressing, 30, "waiting text refreshed")
        assert await f.sent() == [(db, "bundle", 1)]

        await f.report(db, Health.READY)
        assert await f.until_sent(web) == [(db, "bundle", 1), (web, "bundle", 1)]
        assert (await f.entry(web))["waiting_for"] == []
        assert await f.held() == 0
        (event,) = await f.dispatched_events(web)
        assert (event["cluster"], event["actor"], event["revision"]) == (f.cluster, "system:dependencies", 1)
        assert event["details"]["waited_for"] == [f"{db} (Progressing)"]
        assert event["details"]["held_seconds"] >= 0

        # Ready now: the next release of web goes at once.
        response = await hub.client.put(f"/api/v1/applications/{web}", json={"manifests": manifests("v2")})
        assert response.status_code == 201, response.text
        assert (await f.sent())[-1] == (web, "bundle", 2)


async def test_a_removal_while_held_goes_out_at_once_and_drops_the_held_bundle(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        f = await fleet(hub, local_fleet.kafka_bootstrap)
        web, ghost = unique("web"), unique("ghost")
        created = await f.put(web, depends_on=[ghost])
        assert created["missing_dependencies"] == [ghost]
        assert (await f.entry(web))["waiting_for"] == [f"{ghost} (no such application)"]
        assert await f.held() == 1
        assert (await hub.client.delete(f"/api/v1/applications/{web}")).status_code == 200
        assert await f.held() == 0

        async def removal() -> list[tuple[str, str, int]] | None:
            sent = await f.sent()
            return sent or None

        # Never the bundle; the removal is the newer generation, so a spoke that never had it ignores it.
        assert await eventually(removal, 30, "removal sent") == [(web, "removal", 2)]


async def test_a_chain_releases_level_by_level(local_fleet: RunningFleet, running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        f = await fleet(hub, local_fleet.kafka_bootstrap)
        a, b, c = unique("a"), unique("b"), unique("c")
        # Created in any order: a dependency that does not exist yet only holds its dependents.
        await f.put(a, depends_on=[b])
        await f.put(b, depends_on=[c])

        async def a_waits_for_b_to_wait() -> bool:
            return (await f.entry(a))["waiting_for"] == [f"{b} (waiting for its own dependencies)"]

        await eventually(a_waits_for_b_to_wait, 30, "a's waiting text refreshed once b exists")
        assert (await f.entry(b))["waiting_for"] == [f"{c} (no such application)"]
        await f.put(c)
        assert await f.sent() == [(c, "bundle", 1)]

        await f.report(c, Health.READY)
        await f.until_sent(b)
        hub.context.dependencies_signal.set()

        async def a_waits_for_b() -> bool:
            return (await f.entry(a))["waiting_for"] == [f"{b} (not applied yet)"]

        await eventually(a_waits_for_b, 30, "a waiting for b to be applied")
        assert [s[0] for s in await f.sent()] == [c, b]

        await f.report(b, Health.READY)
        assert [s[0] for s in await f.until_sent(a)] == [c, b, a]
        assert await f.held() == 0


async def test_a_change_of_dependencies_alone_makes_no_release_and_releases_what_it_held(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        f = await fleet(hub, local_fleet.kafka_bootstrap)
        web, db = unique("web"), unique("db")
        await f.put(web, depends_on=[db])
        assert await f.held() == 1
        # Omitted: kept.
        kept = await hub.client.put(f"/api/v1/applications/{web}", json={"manifests": manifests(web)})
        assert kept.status_code == 200 and kept.json()["depends_on"] == [db]
        cleared = await hub.client.put(f"/api/v1/applications/{web}", json={"depends_on": []})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["revision"] == 1 and cleared.json()["depends_on"] == []
        assert await f.held() == 0
        assert await f.until_sent(web) == [(web, "bundle", 1)]
        changes = (
            await hub.client.get(
                "/api/v1/audit", params={"action": "application.dependencies-changed", "application": web}
            )
        ).json()["items"]
        assert [e["details"] for e in changes] == [
            {"previous": [db], "depends_on": []},
            {"previous": [], "depends_on": [db]},
        ]
        (dispatched,) = await f.dispatched_events(web)
        assert dispatched["details"]["waited_for"] == [f"{db} (no such application)"]


async def test_cycles_and_bad_names_are_refused_and_store_nothing(local_fleet: RunningFleet, running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        f = await fleet(hub, local_fleet.kafka_bootstrap)
        web, api = unique("web"), unique("api")
        await f.put(web, depends_on=[api])
        refused = await hub.client.put(
            f"/api/v1/applications/{api}", json={"manifests": manifests(api), "selector": "", "depends_on": [web]}
        )
        assert refused.status_code == 422
        assert f"dependency cycle: {api} -> {web} -> {api}" in refused.text
        assert (await hub.client.get(f"/api/v1/applications/{api}")).status_code == 404

        itself = await hub.client.put(f"/api/v1/applications/{web}", json={"depends_on": [web]})
        assert itself.status_code == 422 and f"dependency cycle: {web} -> {web}" in itself.text
        bad = await hub.client.put(f"/api/v1/applications/{web}", json={"depends_on": ["Not_A_Name"]})
        assert bad.status_code == 422 and "'Not_A_Name'" in bad.text
        assert (await hub.client.get(f"/api/v1/applications/{web}")).json()["depends_on"] == [api]


async def test_each_cluster_is_judged_on_its_own_and_a_joining_cluster_gets_the_dependent_after(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        kafka = local_fleet.kafka_bootstrap
        ready, slow = await fleet(hub, kafka), await fleet(hub, kafka)
        db, web = unique("db"), unique("web")
        await ready.put(db)
        await ready.report(db, Health.READY)
        await slow.report(db, Health.PROGRESSING)
        # One release to both clusters in one transaction: out where db is Ready, held where it is not.
        await ready.put(web, depends_on=[db])
        assert [s[0] for s in await ready.sent()] == [db, web]
        assert [s[0] for s in await slow.sent()] == [db]
        assert (await slow.entry(web))["waiting_for"] == [f"{db} (Progressing)"]

        # A cluster that joins gets db and web in one transaction: web waits for db's report there.
        joining = Fleet(hub, kafka, unique())
        response = await hub.client.post("/api/v1/clusters", json={"id": joining.cluster, "labels": {}})
        assert response.status_code == 201, response.text
        assert [s[0] for s in await joining.sent()] == [db]

        # Held at first as "not on this cluster" (db's placement was being written in the same
        # transaction); the dispatcher re-words it once that committed.
        async def waits_for_db_to_apply() -> bool:
            return (await joining.entry(web))["waiting_for"] == [f"{db} (not applied yet)"]

        await eventually(waits_for_db_to_apply, 30, "web waiting for db on the joining cluster")
        await joining.report(db, Health.READY)
        assert [s[0] for s in await joining.until_sent(web)] == [db, web]
        assert [s[0] for s in await slow.sent()] == [db]
