"""POST /api/v1/sync on each database backend: creates, a second sync changes nothing (no release, no
version), prune deletes only what this source manages, a dry run changes nothing, roles per kind."""

from __future__ import annotations

from typing import Any

from tests.integration.hub.conftest import RunningHub, bearer, unique

ORIGIN = {"repository": "/srv/git/fleet", "path": "prod", "commit": "a" * 40}


def configmap(name: str, mode: str = "1") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "shop"},
        "data": {"m": mode},
    }


def application(name: str, mode: str = "1", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "fleetcast.dev/v1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {"selector": "env=prod", "manifests": [configmap(name, mode)], **spec},
        "file": f"prod/applications/{name}.yaml",
    }


def strategy(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "fleetcast.dev/v1",
        "kind": "Strategy",
        "metadata": {"name": name},
        "spec": {"waves": [{"name": "all", "selector": "env=prod"}]},
        "file": "prod/strategies.yaml",
    }


async def sync(hub: RunningHub, documents: list[dict[str, Any]], token: str | None = None, **options: Any) -> Any:
    headers = bearer(token) if token else {}
    response = await hub.client.post(
        "/api/v1/sync", json={"origin": ORIGIN, "documents": documents, **options}, headers=headers
    )
    return response


def actions(body: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(s["kind"], s["name"], s["action"], s["skipped"]) for s in body["plan"]]


async def releases(hub: RunningHub, app: str) -> list[int]:
    response = await hub.client.get(f"/api/v1/applications/{app}/releases")
    return [r["revision"] for r in response.json()["items"]]


async def test_sync_creates_then_changes_nothing_then_prunes_only_what_it_manages(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        web, api, by_hand, waves = unique("web"), unique("api"), unique("hand"), unique("waves")
        made = await hub.client.put(
            f"/api/v1/applications/{by_hand}", json={"manifests": [configmap(by_hand)], "selector": ""}
        )
        assert made.status_code == 201
        documents = [application(web, strategy=waves), application(api), strategy(waves)]

        first = await sync(hub, documents)
        assert first.status_code == 200, first.text
        assert actions(first.json()) == [
            ("Strategy", waves, "create", False),
            ("Application", api, "create", False),
            ("Application", web, "create", False),
        ]
        assert (await hub.client.get(f"/api/v1/applications/{web}")).json()["strategy"] == waves

        second = await sync(hub, documents)
        assert {s["action"] for s in second.json()["plan"]} == {"unchanged"}
        assert await releases(hub, web) == [1] and await releases(hub, api) == [1]
        versions = (await hub.client.get(f"/api/v1/strategies/{waves}/versions")).json()["items"]
        assert len(versions) == 1

        changed = await sync(hub, [application(web, "2", strategy=waves), strategy(waves)])
        assert actions(changed.json()) == [
            ("Strategy", waves, "unchanged", False),
            ("Application", web, "update", False),
            ("Application", api, "delete", True),
        ]
        assert changed.json()["plan"][1]["detail"] == "changed: manifests"
        assert await releases(hub, web) == [2, 1]
        assert (await hub.client.get(f"/api/v1/applications/{api}")).status_code == 200

        pruned = await sync(hub, [application(web, "2", strategy=waves), strategy(waves)], prune=True)
        assert ("Application", api, "delete", False) in actions(pruned.json())
        assert (await hub.client.get(f"/api/v1/applications/{api}")).status_code == 404
        assert (await hub.client.get(f"/api/v1/applications/{by_hand}")).status_code == 200  # not ours

        audit = (await hub.client.get("/api/v1/audit", params={"action": "fleet.synced"})).json()["items"]
        assert len(audit) == 4 and audit[0]["details"]["origin"]["commit"] == "a" * 40
        assert audit[0]["details"]["counts"]["delete"] == 1
        applied = (await hub.client.get("/api/v1/audit", params={"application": web})).json()["items"]
        synced = [e for e in applied if e["action"] == "fleet.applied"]
        assert synced[0]["details"]["origin"] == {**ORIGIN, "file": f"prod/applications/{web}.yaml"}


async def test_dry_run_changes_nothing_and_bad_documents_change_nothing(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        web, waves = unique("web"), unique("waves")
        dry = await sync(hub, [application(web), strategy(waves)], dry_run=True)
        assert dry.status_code == 200 and dry.json()["applied"] is False
        assert [s["action"] for s in dry.json()["plan"]] == ["create", "create"]
        assert (await hub.client.get(f"/api/v1/applications/{web}")).status_code == 404
        assert (await hub.client.get(f"/api/v1/strategies/{waves}")).status_code == 404

        bad = await sync(
            hub,
            [
                application(web, selector="env in ("),
                {**strategy(waves), "spec": {"waves": [{"name": "w", "maxConcurrency": "lots"}]}},
                {**application("x"), "kind": "Gadget"},
            ],
        )
        assert bad.status_code == 422, bad.text
        text = bad.text
        assert f"Application {web}: selector" in text and f"Strategy {waves}: waves.0.maxConcurrency" in text
        assert "unknown kind 'Gadget'" in text
        assert (await hub.client.get(f"/api/v1/applications/{web}")).status_code == 404


async def test_roles_per_kind(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        web, waves = unique("web"), unique("waves")
        deployer = await hub.token("ci-deployer", "deployer")
        refused = await sync(hub, [application(web), strategy(waves)], token=deployer)
        assert refused.status_code == 403
        assert f"Strategy {waves} needs the admin role" in refused.text
        assert (await hub.client.get(f"/api/v1/applications/{web}")).status_code == 404
        allowed = await sync(hub, [application(web)], token=deployer)
        assert allowed.status_code == 200, allowed.text
        assert (await sync(hub, [application(web)], token=await hub.token("looker", "viewer"))).status_code == 403

        # An admin gives it a strategy; a deployer's sync may not take it away (the approval gates).
        assert (await sync(hub, [application(web, strategy=waves), strategy(waves)])).status_code == 200
        api = unique("api")
        stripped = await sync(hub, [application(api), application(web)], token=deployer)
        assert stripped.status_code == 403
        assert f"Application {web}: changing its strategy {waves} needs the admin role" in stripped.text
        assert (await hub.client.get(f"/api/v1/applications/{api}")).status_code == 404  # nothing changed


def subscription(name: str, events: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "fleetcast.dev/v1",
        "kind": "Subscription",
        "metadata": {"name": name},
        "spec": {"url": "http://127.0.0.1:9/hook", "events": events, "secret": "s" * 32},
        "file": "prod/notifications.yaml",
    }


async def test_subscriptions_are_made_kept_replaced_and_pruned(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        oncall = unique("oncall")

        async def live() -> list[list[str]]:
            items = (await hub.client.get("/api/v1/notifications/subscriptions")).json()["items"]
            return [s["events"] for s in items]

        assert actions((await sync(hub, [subscription(oncall, ["rollout.*"])])).json()) == [
            ("Subscription", oncall, "create", False)
        ]
        assert actions((await sync(hub, [subscription(oncall, ["rollout.*"])])).json()) == [
            ("Subscription", oncall, "unchanged", False)
        ]
        assert await live() == [["rollout.*"]]
        replaced = await sync(hub, [subscription(oncall, ["cluster.unreachable"])])
        assert actions(replaced.json()) == [("Subscription", oncall, "update", False)]
        assert await live() == [["cluster.unreachable"]]
        assert actions((await sync(hub, [], prune=True)).json()) == [("Subscription", oncall, "delete", False)]
        assert await live() == []
