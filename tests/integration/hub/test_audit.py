"""The audit log: every change recorded in the transaction that makes it, under the name of the token
that made it; read back with filters and pages; and append-only in the database itself. On each
database backend."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.hub.conftest import ADMIN, RunningHub, bearer, unique

CONFIGMAP = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}]


def configmap(mode: str) -> list[dict[str, Any]]:
    return [{**CONFIGMAP[0], "data": {"mode": mode}}]


async def audit(hub: RunningHub, **filters: Any) -> list[dict[str, Any]]:
    response = await hub.client.get("/api/v1/audit", params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_changes_are_recorded_with_the_actor_in_their_own_transaction(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        cluster, app = unique(), unique("app")
        deployer = bearer(await hub.token("ci-bot", "deployer"))

        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {"env": "a"}})).status_code == 201
        first = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": configmap("1"), "selector": "env"}, headers=deployer
        )
        assert first.status_code == 201, first.text
        second = await client.put(f"/api/v1/applications/{app}", json={"manifests": configmap("2")}, headers=deployer)
        assert second.status_code == 201, second.text
        unchanged = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": configmap("2")}, headers=deployer
        )
        assert unchanged.status_code == 200  # no release, so nothing to record
        assert (
            await client.put(f"/api/v1/clusters/{cluster}/labels", json={"labels": {"env": "b"}})
        ).status_code == 200
        assert (
            await client.put(f"/api/v1/clusters/{cluster}/labels", json={"labels": {"env": "b"}})
        ).status_code == 200
        assert (await client.delete(f"/api/v1/applications/{app}", headers=deployer)).status_code == 200
        assert (await client.delete(f"/api/v1/clusters/{cluster}")).status_code == 200

        events = await audit(hub, application=app)
        assert [(e["action"], e["actor"], e["revision"]) for e in events] == [
            ("application.deleted", "ci-bot", 2),
            ("release.created", "ci-bot", 2),
            ("release.created", "ci-bot", 1),
        ]
        deleted, released, _ = events
        assert released["digest"] == second.json()["digest"]
        assert released["details"] == {"selector": "env", "strategy": None, "image_overrides": {}, "drift": None}
        assert deleted["details"] == {"removed_from": [cluster]}
        assert all(e["application"] == app and e["cluster"] is None for e in events)
        assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)  # newest first

        changes = await audit(hub, cluster=cluster)
        assert [(e["action"], e["actor"]) for e in changes] == [
            ("cluster.deregistered", ADMIN),
            ("cluster.relabelled", ADMIN),  # once: the same labels again changed nothing
            ("cluster.registered", ADMIN),
        ]
        deregistered, relabelled, registered = changes
        assert registered["details"] == {"labels": {"env": "a"}, "applications": {"installed": [], "removed": []}}
        assert relabelled["details"] == {
            "old": {"env": "a"},
            "new": {"env": "b"},
            "applications": {"installed": [], "removed": []},
        }
        # Deleted before the cluster left, so nothing was left there to remove.
        assert deregistered["details"] == {"labels": {"env": "b"}, "applications": {"installed": [], "removed": []}}


async def test_a_refused_change_leaves_no_audit_event(running_hub: Any) -> None:
    async with running_hub(max_message_bytes=2048) as hub:
        cluster, app = unique(), unique("app")
        assert (await hub.client.post("/api/v1/clusters", json={"id": cluster})).status_code == 201
        # Refused inside the transaction, after the release and its audit event were added: both roll back.
        # Random, so that it stays too big after compression.
        huge = [{**CONFIGMAP[0], "data": {"blob": os.urandom(3000).hex()}}]
        response = await hub.client.put(f"/api/v1/applications/{app}", json={"manifests": huge, "selector": ""})
        assert response.status_code == 422 and "more than the 2048 bytes" in response.json()["detail"]
        assert await audit(hub, application=app) == []
        assert (await hub.client.post("/api/v1/clusters", json={"id": cluster})).status_code == 409
        assert [e["action"] for e in await audit(hub, cluster=cluster)] == ["cluster.registered"]


async def test_the_log_is_filtered_and_paged(running_hub: Any) -> None:
    async with running_hub() as hub:
        client = hub.client
        app, other = unique("app"), unique("app")
        alice = bearer(await hub.token("alice", "deployer"))
        bob = bearer(await hub.token("bob", "deployer"))
        started = datetime.now(UTC) - timedelta(seconds=1)
        for mode in ("1", "2", "3"):
            put = {"manifests": configmap(mode), "selector": "env=none"}
            assert (await client.put(f"/api/v1/applications/{app}", json=put, headers=alice)).status_code == 201
        put = {"manifests": configmap("1"), "selector": "env=none"}
        assert (await client.put(f"/api/v1/applications/{other}", json=put, headers=bob)).status_code == 201
        assert (await client.delete(f"/api/v1/applications/{other}", headers=bob)).status_code == 200

        assert [e["revision"] for e in await audit(hub, application=app)] == [3, 2, 1]
        by_bob = await audit(hub, actor="bob")
        assert [(e["action"], e["application"]) for e in by_bob] == [
            ("application.deleted", other),
            ("release.created", other),
        ]
        assert [e["application"] for e in await audit(hub, action="application.deleted")] == [other]
        assert [e["application"] for e in await audit(hub, action="application.deleted", actor="alice")] == []
        # A prefix ending in a dot matches a family of actions; without the dot it is an exact action.
        assert {e["action"] for e in await audit(hub, action="token.")} == {"token.created"}
        assert await audit(hub, action="token") == []
        assert len(await audit(hub, action="release.", since=started.isoformat())) == 4
        assert await audit(hub, until=started.isoformat(), application=app) == []
        assert await audit(hub, since=(datetime.now(UTC) + timedelta(hours=1)).isoformat()) == []
        assert await audit(hub, run=12345) == []

        # Pages of two, newest first: `next_before` leads to the older page, and ends with null.
        first = (await client.get("/api/v1/audit", params={"application": app, "limit": 2})).json()
        assert [e["revision"] for e in first["items"]] == [3, 2]
        second = (
            await client.get("/api/v1/audit", params={"application": app, "limit": 2, "before": first["next_before"]})
        ).json()
        assert [e["revision"] for e in second["items"]] == [1]
        assert second["next_before"] is None


async def test_a_bad_filter_is_a_422_naming_it(running_hub: Any) -> None:
    async with running_hub() as hub:
        for params, named in (
            ({"since": "yesterday"}, "query.since"),
            ({"until": "2026-13-01T00:00:00Z"}, "query.until"),
            ({"limit": 5000}, "query.limit"),
            ({"limit": 0}, "query.limit"),
            ({"run": "seven"}, "query.run"),
            ({"before": "x"}, "query.before"),
            ({"action": "Release.*"}, "invalid audit filter: action"),
            ({"since": "2026-11-22T10:00:00Z", "until": "2026-11-22T09:00:00Z"}, "invalid audit filter: since"),
        ):
            response = await hub.client.get("/api/v1/audit", params=params)
            assert response.status_code == 422, (params, response.text)
            assert named in response.json()["detail"], (params, response.text)


async def test_the_database_refuses_to_change_or_delete_audit_events(running_hub: Any) -> None:
    async with running_hub() as hub:
        assert (await hub.client.post("/api/v1/clusters", json={"id": unique()})).status_code == 201
        before = await audit(hub)
        assert before
        for statement in ("UPDATE audit_events SET actor = 'someone-else'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="audit_events is append-only"):
                async with hub.context.sessions.begin() as session:
                    await session.execute(text(statement))
        assert await audit(hub) == before
