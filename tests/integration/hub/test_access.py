"""Who may call the API: every /api/v1 route needs a valid bearer token (401 otherwise, saying what to do),
and a route that changes something needs its role (403 naming the role and the token). Tokens are
made, listed and revoked through the API; the first one with `fleetcast hub token create`. On each
database backend."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.integration.hub.conftest import ADMIN, RunningHub, bearer, unique
from tests.tokens import bootstrap_token
from tests.waiting import eventually_async as eventually

CONFIGMAP = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}]


async def refused(client: httpx.AsyncClient, headers: dict[str, str], path: str = "/api/v1/clusters") -> str:
    """The 401 for a GET with these headers: its message, after checking the response's shape."""
    response = await client.get(path, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["errors"] == [body["detail"]]
    detail: str = body["detail"]
    return detail


async def test_requests_without_a_valid_token_are_refused_with_what_to_do(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=hub.app), base_url="http://hub")
        async with anonymous:
            for path in ("/api/v1/clusters", "/api/v1/applications", "/api/v1/versions", "/api/v1/audit"):
                detail = await refused(anonymous, {}, path)
                assert detail == (
                    "missing bearer token: pass Authorization: Bearer <token> "
                    "(the CLI reads FLEETCAST_TOKEN or ~/.config/fleetcast/config.yaml)"
                )
            response = await anonymous.put("/api/v1/applications/web", json={"manifests": CONFIGMAP, "selector": ""})
            assert response.status_code == 401
            assert "missing bearer token" in await refused(anonymous, {"Authorization": "Basic YWRtaW46YWRtaW4="})
            assert "malformed bearer token: expected fct_<id>_<secret>" in await refused(anonymous, bearer("letmein"))

            token = await hub.token(unique("ops"), "viewer")
            token_id = token.split("_")[1]
            wrong_secret = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
            unknown = "fct_000000000000_" + token.split("_", 2)[2]
            for bad in (wrong_secret, unknown):
                assert "no such token, or a wrong secret" in await refused(anonymous, bearer(bad))
            assert (await anonymous.get("/api/v1/whoami", headers=bearer(token))).status_code == 200

            revoked = await hub.client.delete(f"/api/v1/tokens/{token_id}")
            assert revoked.status_code == 200 and revoked.json()["revoked_at"]
            assert f"token {token_id} (" in (detail := await refused(anonymous, bearer(token)))
            assert "was revoked at" in detail and "fleetcast token create" in detail

            # Probes and Prometheus need no token.
            assert (await anonymous.get("/healthz")).status_code == 200
            assert (await anonymous.get("/metrics")).status_code == 200
            assert (await anonymous.get("/readyz")).status_code in (200, 503)


async def test_an_expired_token_is_refused(running_hub: Any) -> None:
    async with running_hub() as hub:
        response = await hub.client.post(
            "/api/v1/tokens", json={"name": unique("brief"), "roles": ["viewer"], "expires_in_seconds": 1}
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["expires_at"] > created["created_at"]
        headers = bearer(created["token"])

        async def expired() -> str | None:
            response = await hub.client.get("/api/v1/whoami", headers=headers)
            return str(response.json()["detail"]) if response.status_code == 401 else None

        detail = await eventually(expired, 30, "the token expired")
        assert f"token {created['id']} ({created['name']}) expired at" in detail


async def test_a_token_without_the_role_is_forbidden_and_told_which_role(running_hub: Any) -> None:
    async with running_hub() as hub:
        client = hub.client
        cluster, app = unique(), unique("app")
        assert (await client.post("/api/v1/clusters", json={"id": cluster})).status_code == 201
        viewer = bearer(await hub.token("a-viewer", "viewer"))
        deployer = bearer(await hub.token("a-deployer", "deployer"))
        approver = bearer(await hub.token("an-approver", "approver"))
        custom = bearer(await hub.token("a-gatekeeper", "prod-approver"))
        put = {"manifests": CONFIGMAP, "selector": ""}

        for headers, name, roles in ((viewer, "a-viewer", "viewer"), (approver, "an-approver", "approver")):
            response = await client.put(f"/api/v1/applications/{app}", json=put, headers=headers)
            assert response.status_code == 403, response.text
            detail = response.json()["detail"]
            assert detail.startswith(f"PUT /api/v1/applications/{app} needs the deployer role; token {name} (id ")
            assert detail.endswith(f") has roles {roles}")
        response = await client.post("/api/v1/clusters", json={"id": unique()}, headers=deployer)
        assert response.status_code == 403
        assert "POST /api/v1/clusters needs the admin role; token a-deployer" in response.json()["detail"]
        assert "has roles deployer" in response.json()["detail"]
        for method, path in (
            ("PUT", f"/api/v1/clusters/{cluster}/labels"),
            ("DELETE", f"/api/v1/clusters/{cluster}"),
            ("GET", "/api/v1/tokens"),
            ("POST", "/api/v1/tokens"),
            ("DELETE", "/api/v1/tokens/0123456789ab"),
        ):
            body = (
                {"labels": {}} if method == "PUT" else {"name": "x", "roles": ["admin"]} if method == "POST" else None
            )
            response = await client.request(method, path, json=body, headers=deployer)
            assert response.status_code == 403, (method, path, response.text)
            assert f"{method} {path} needs the admin role" in response.json()["detail"]

        # Every valid token reads, a custom role included; a deployer deploys and deletes.
        for headers in (viewer, deployer, approver, custom):
            assert (await client.get("/api/v1/clusters", headers=headers)).status_code == 200
            assert (await client.get("/api/v1/audit", headers=headers)).status_code == 200
        response = await client.put(f"/api/v1/applications/{app}", json=put, headers=deployer)
        assert response.status_code == 201, response.text
        assert (await client.delete(f"/api/v1/applications/{app}", headers=custom)).status_code == 403
        assert (await client.delete(f"/api/v1/applications/{app}", headers=deployer)).status_code == 200


async def test_tokens_are_created_listed_and_revoked_by_an_admin(running_hub: Any) -> None:
    async with running_hub() as hub:
        client = hub.client
        response = await client.post(
            "/api/v1/tokens", json={"name": "ci", "roles": ["deployer", "prod-approver", "deployer"]}
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert (created["name"], created["roles"], created["created_by"]) == (
            "ci",
            ["deployer", "prod-approver"],
            ADMIN,
        )
        assert created["token"].startswith(f"fct_{created['id']}_")
        assert (created["expires_at"], created["revoked_at"], created["last_used_at"]) == (None, None, None)

        me = await client.get("/api/v1/whoami", headers=bearer(created["token"]))
        assert me.json() == {"name": "ci", "roles": ["deployer", "prod-approver"], "token_id": created["id"]}

        listed = (await client.get("/api/v1/tokens")).json()["items"]
        ours = next(t for t in listed if t["id"] == created["id"])
        assert ours["last_used_at"] is not None  # the whoami above
        assert {"token", "secret", "secret_hash"}.isdisjoint(ours)
        assert created["token"].split("_", 2)[2] not in (await client.get("/api/v1/tokens")).text
        assert {t["name"] for t in listed} >= {ADMIN, "ci"}

        response = await client.delete(f"/api/v1/tokens/{created['id']}")
        assert response.status_code == 200 and response.json()["revoked_at"] is not None
        again = await client.delete(f"/api/v1/tokens/{created['id']}")
        assert again.json()["revoked_at"] == response.json()["revoked_at"]  # revoking twice changes nothing
        assert (await client.get("/api/v1/whoami", headers=bearer(created["token"]))).status_code == 401
        missing = await client.delete("/api/v1/tokens/0123456789ab")
        assert missing.status_code == 404 and "does not exist" in missing.json()["detail"]


async def test_bad_token_requests_are_422_naming_the_problem(running_hub: Any) -> None:
    async with running_hub() as hub:
        for body, expected in (
            ({"name": "Bad_Name", "roles": ["viewer"]}, "invalid token name 'Bad_Name'"),
            ({"name": "system:me", "roles": ["viewer"]}, "invalid token name 'system:me'"),
            ({"name": "ok", "roles": []}, "a token needs at least one role"),
            ({"name": "ok", "roles": ["Root"]}, "invalid role(s) 'Root'"),
            ({"name": "ok", "roles": ["viewer"], "expires_in_seconds": 0}, "expires_in_seconds"),
            ({"roles": ["viewer"]}, "name: Field required"),
        ):
            response = await hub.client.post("/api/v1/tokens", json=body)
            assert response.status_code == 422, (body, response.text)
            assert expected in response.json()["detail"], (body, response.text)


async def test_the_bootstrap_command_makes_a_token_the_running_hub_accepts(running_hub: Any, database_url: str) -> None:
    async with running_hub() as hub:
        # Against the database the hub is using, as an operator would recover a lost admin token.
        # In a thread: this loop runs the hub, whose open transactions the command may wait for.
        token = await asyncio.to_thread(bootstrap_token, database_url, "recovery", "admin", "approver")
        me = (await hub.client.get("/api/v1/whoami", headers=bearer(token))).json()
        assert (me["name"], me["roles"]) == ("recovery", ["admin", "approver"])
        events = (await hub.client.get("/api/v1/audit", params={"action": "token.created"})).json()["items"]
        made = next(e for e in events if e["details"]["token_id"] == me["token_id"])
        assert (made["actor"], made["details"]["name"]) == ("system:bootstrap", "recovery")
        assert token.split("_", 2)[2] not in str(events)


async def test_the_openapi_document_shows_the_bearer_scheme_and_the_error_responses(running_hub: Any) -> None:
    async with running_hub() as hub:
        document = (await hub.client.get("/openapi.json")).json()
        assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        put = document["paths"]["/api/v1/applications/{application_id}"]["put"]
        assert put["security"] == [{"bearer": []}]
        for status in ("401", "403", "404", "409", "422"):
            schema = put["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}
        assert "security" not in document["paths"]["/healthz"]["get"]
