"""Policies through the API, on each database backend: the platform role publishes (a deployer gets a
403 naming the role), any token reads, an unchanged PUT records nothing, a bad expression is a 422
naming the policy and the validation, the baseline set can be enabled, and `active` is what a release
is checked against."""

from __future__ import annotations

from typing import Any

from hub.policies.evaluate import evaluate
from hub.sources.facts import ClusterFacts
from tests.integration.hub.conftest import ADMIN, RunningHub, bearer, unique

SPEC: dict[str, Any] = {
    "description": "two replicas in prod",
    "action": "deny",
    "match": {"kinds": ["apps/Deployment"], "clusterSelector": {"matchLabels": {"env": "prod"}}},
    "validations": [{"expression": "object.spec.replicas >= 2", "message": "at least two replicas"}],
}
ORIGIN = {"repository": "/srv/fleet.git", "path": ".", "commit": "a" * 40, "file": "policies/replicas.yaml"}


async def audit(hub: RunningHub) -> list[dict[str, Any]]:
    response = await hub.client.get("/api/v1/audit", params={"action": "policy."})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_publish_read_change_delete(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        platform = bearer(await hub.token(unique("platform"), "platform"))
        created = await hub.client.put("/api/v1/policies/replicas", json=SPEC | {"origin": ORIGIN}, headers=platform)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["name"] == "replicas" and body["enabled"] is True and body["action"] == "deny"
        assert body["description"] == "two replicas in prod"
        assert body["spec"]["match"] == {"kinds": ["apps/Deployment"], "namespaces": [], "clusterSelector": "env=prod"}
        assert body["origin"] == ORIGIN
        assert body["created_by"].startswith("platform-")

        # The same policy spelt another way: unchanged, 200, nothing recorded.
        same = SPEC | {"match": {"kinds": ["apps/Deployment"], "clusterSelector": "env=prod"}}
        again = await hub.client.put("/api/v1/policies/replicas", json=same, headers=platform)
        assert again.status_code == 200, again.text
        entries = await audit(hub)
        assert [e["action"] for e in entries] == ["policy.changed"]
        assert entries[0]["details"]["origin"] == ORIGIN and entries[0]["details"]["policy"] == "replicas"

        viewer = bearer(await hub.token(unique("viewer"), "viewer"))
        listed = await hub.client.get("/api/v1/policies", headers=viewer)
        assert [p["name"] for p in listed.json()["items"]] == ["replicas"]
        shown = await hub.client.get("/api/v1/policies/replicas", headers=viewer)
        assert shown.status_code == 200 and shown.json()["spec"] == body["spec"]

        disabled = await hub.client.put("/api/v1/policies/replicas", json=SPEC | {"enabled": False}, headers=platform)
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False
        async with hub.context.reading() as session:
            assert await hub.app.state.services.policies.active(session) == []

        deleted = await hub.client.delete("/api/v1/policies/replicas", headers=platform)
        assert deleted.status_code == 200 and deleted.json()["name"] == "replicas"
        missing = await hub.client.get("/api/v1/policies/replicas")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "policy replicas does not exist (fleetcast policy list shows those that do)"
        assert [e["action"] for e in await audit(hub)] == ["policy.deleted", "policy.changed", "policy.changed"]


async def test_only_the_platform_role_publishes(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        deployer = bearer(await hub.token("ci", "deployer"))
        for method, path, json in [
            ("PUT", "/api/v1/policies/replicas", SPEC),
            ("DELETE", "/api/v1/policies/replicas", None),
            ("POST", "/api/v1/policies/baseline/no-latest-images", None),
        ]:
            response = await hub.client.request(method, path, json=json, headers=deployer)
            assert response.status_code == 403, response.text
            assert response.json()["detail"].startswith(f"{method} {path} needs the platform role; token ci (id ")
            assert response.json()["detail"].endswith("has roles deployer")
        # Admin implies every role.
        assert (await hub.client.put("/api/v1/policies/replicas", json=SPEC)).status_code == 201
        assert (await audit(hub))[0]["actor"] == ADMIN


async def test_a_bad_policy_is_a_422_naming_each_problem(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        bad = SPEC | {
            "match": {"kinds": ["apps/Deployment"], "clusterSelector": "env in ("},
            "validations": [
                {"expression": "object.spec.replicas >= 2", "message": "fine"},
                {"expression": "object.spec.(", "message": "broken"},
                {"expression": "object.spec.replicas.frob() > 1", "message": "unknown function"},
            ],
        }
        response = await hub.client.put("/api/v1/policies/replicas", json=bad)
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
        assert errors[0].startswith("policy replicas: match.clusterSelector: invalid selector 'env in (': ")
        assert errors[1].startswith("policy replicas: validations[1].expression: Failed to parse expression")
        assert errors[2] == (
            "policy replicas: validations[2].expression: unknown function(s) frob: CEL here has the standard "
            "functions and the strings, lists, math, sets and encoders extensions (docs/policies.md lists them)"
        )
        assert len(errors) == 3
        shape = await hub.client.put("/api/v1/policies/replicas", json={"action": "block", "validations": []})
        assert shape.status_code == 422
        assert "action" in shape.json()["detail"] and "validations" in shape.json()["detail"]
        reserved = await hub.client.put("/api/v1/policies/baseline", json=SPEC)
        assert reserved.status_code == 422 and "reserved" in reserved.json()["detail"]
        assert (await hub.client.get("/api/v1/policies")).json()["items"] == []
        assert await audit(hub) == []


async def test_the_baseline_set_is_shipped_and_enabled_one_by_one(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        shipped = (await hub.client.get("/api/v1/policies/baseline")).json()["items"]
        names = [p["name"] for p in shipped]
        assert names == ["no-latest-images", "no-privileged", "required-labels", "resource-requests", "run-as-non-root"]
        assert not any(p["enabled"] for p in shipped)
        platform = bearer(await hub.token(unique("platform"), "platform"))
        enabled = await hub.client.post("/api/v1/policies/baseline/no-latest-images", headers=platform)
        assert enabled.status_code == 201, enabled.text
        again = await hub.client.post("/api/v1/policies/baseline/no-latest-images", headers=platform)
        assert again.status_code == 200
        shipped = (await hub.client.get("/api/v1/policies/baseline")).json()["items"]
        assert [p["name"] for p in shipped if p["enabled"]] == ["no-latest-images"]
        unknown = await hub.client.post("/api/v1/policies/baseline/nope", headers=platform)
        assert unknown.status_code == 404 and "no-latest-images, no-privileged" in unknown.json()["detail"]

        # What the lead's release path calls: the active policies, then the pure evaluation.
        pod = {"containers": [{"name": "web", "image": "nginx:latest"}]}
        latest = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"spec": pod}},
        }
        async with hub.context.reading() as session:
            active = await hub.app.state.services.policies.active(session)
        [finding] = evaluate(active, [(ClusterFacts("prod-1", {"env": "prod"}), [latest])])
        assert finding.describe() == (
            "policy no-latest-images, cluster prod-1, apps/Deployment shop/web: "
            "every container image needs a tag other than :latest, or a digest (image@sha256:...)"
        )
