"""Templates on a running hub, on SQLite and PostgreSQL: published by the platform role only, an unchanged
PUT makes no new revision, the shapes the API answers, every problem a 422, and what the application
side resolves."""

from __future__ import annotations

import base64
from typing import Any

from hub.charts.archive import chart, pack
from hub.selectors import parse_selector
from hub.sources.facts import ClusterFacts
from hub.templates.values import check_values, values_for
from tests.integration.hub.conftest import ADMIN, bearer, unique

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
"""

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image"],
    "properties": {
        "size": {"enum": ["small", "medium", "large"]},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
        "image": {"type": "string", "pattern": "^registry\\.example\\.com/"},
    },
}


def body(**changes: Any) -> dict[str, Any]:
    return {
        "description": "a web service",
        "manifests": {"deployment.yaml": DEPLOYMENT},
        "parameters": PARAMETERS,
        "values": {"size": "small", "replicas": 2},
        "locked": {"securityContext": {"runAsNonRoot": True}},
        "cluster_overridable": ["replicas"],
        "cluster_values": [{"selector": "env=prod", "values": {"replicas": 3}}],
    } | changes


async def test_publish_show_list_and_an_unchanged_publish_makes_no_revision(running_hub: Any) -> None:
    async with running_hub() as hub:
        platform = bearer(await hub.token("platform-eng", "platform"))
        name = unique("web")
        origin = {"repository": "https://git.example.com/fleet", "path": "templates", "commit": "abc123"}
        first = await hub.client.put(f"/api/v1/templates/{name}", json=body(origin=origin), headers=platform)
        assert first.status_code == 201, first.text
        created = first.json()
        assert created["revision"] == 1 and created["created_by"] == "platform-eng"
        assert created["origin"]["commit"] == "abc123"
        assert created["source"]["kind"] == "manifests" and created["source"]["digest"].startswith("sha256:")

        again = await hub.client.put(f"/api/v1/templates/{name}", json=body(), headers=platform)
        assert again.status_code == 200 and again.json()["revision"] == 1

        changed = await hub.client.put(
            f"/api/v1/templates/{name}", json=body(values={"size": "medium", "replicas": 2}), headers=platform
        )
        assert changed.status_code == 201 and changed.json()["revision"] == 2

        shown = (await hub.client.get(f"/api/v1/templates/{name}")).json()
        assert shown["revision"] == 2 and shown["latest_revision"] == 2
        assert shown["parameters"] == PARAMETERS
        assert shown["locked"] == {"securityContext": {"runAsNonRoot": True}}
        assert shown["cluster_overridable"] == ["replicas"]
        assert shown["cluster_values"] == [{"selector": "env=prod", "values": {"replicas": 3}}]
        summary = {p["name"]: p for p in shown["parameter_summary"]}
        assert summary["size"]["allowed"] == "one of small, medium, large" and summary["size"]["default"] == "medium"
        assert summary["image"]["required"] and summary["replicas"]["cluster_overridable"]

        old = (await hub.client.get(f"/api/v1/templates/{name}", params={"revision": 1})).json()
        assert old["revision"] == 1 and old["values"]["size"] == "small" and old["latest_revision"] == 2

        listed = (await hub.client.get("/api/v1/templates")).json()["items"]
        mine = [t for t in listed if t["name"] == name]
        assert [(t["revision"], t["description"]) for t in mine] == [(2, "a web service")]
        assert [p["name"] for p in mine[0]["parameters"]] == ["size", "replicas", "image"]

        audit = (await hub.client.get("/api/v1/audit", params={"action": "template."})).json()["items"]
        published = [e for e in audit if e["details"].get("template") == name]
        assert [e["revision"] for e in published] == [2, 1]
        assert published[-1]["actor"] == "platform-eng"
        assert published[-1]["details"]["origin"] == origin | {"file": None}


async def test_only_the_platform_role_publishes_and_deletes(running_hub: Any) -> None:
    async with running_hub() as hub:
        deployer = bearer(await hub.token("operator", "deployer"))
        name = unique("web")
        refused = await hub.client.put(f"/api/v1/templates/{name}", json=body(), headers=deployer)
        assert refused.status_code == 403
        assert "needs the platform role" in refused.json()["detail"]
        assert (await hub.client.get(f"/api/v1/templates/{name}", headers=deployer)).status_code == 404
        # admin implies platform
        assert (await hub.client.put(f"/api/v1/templates/{name}", json=body())).status_code == 201
        assert (await hub.client.delete(f"/api/v1/templates/{name}", headers=deployer)).status_code == 403
        viewer = bearer(await hub.token("reader", "viewer"))
        assert (await hub.client.get(f"/api/v1/templates/{name}", headers=viewer)).status_code == 200


async def test_every_problem_is_a_422_naming_its_field_and_nothing_is_stored(running_hub: Any) -> None:
    async with running_hub() as hub:
        name = unique("web")
        response = await hub.client.put(
            f"/api/v1/templates/{name}",
            json=body(
                chart={"archive": "bm90IGEgY2hhcnQ="},
                parameters=PARAMETERS | {"properties": PARAMETERS["properties"] | {"size": {"enum": "small"}}},
                locked={"replicas": 4},
                cluster_overridable=["memory"],
                cluster_values=[{"selector": "env in ()", "values": {}}],
            ),
        )
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert errors[0] == f"template {name}: exactly one of chart and manifests must be given"
        assert any("parameters['properties']['size']['enum']" in e for e in errors)
        assert any("locked.replicas: is also a parameter" in e for e in errors)
        assert any("cluster_values[0].selector: invalid selector" in e for e in errors)
        assert (await hub.client.get(f"/api/v1/templates/{name}")).status_code == 404
        unknown = await hub.client.put(f"/api/v1/templates/{name}", json=body(colour="red"))
        assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]


async def test_delete_keeps_revisions_and_publishing_again_continues_them(running_hub: Any) -> None:
    async with running_hub() as hub:
        name = unique("web")
        await hub.client.put(f"/api/v1/templates/{name}", json=body())
        deleted = await hub.client.delete(f"/api/v1/templates/{name}")
        assert deleted.status_code == 200 and deleted.json()["revision"] == 1
        missing = await hub.client.get(f"/api/v1/templates/{name}")
        assert missing.status_code == 404 and f"template {name} does not exist" in missing.json()["detail"]
        assert (await hub.client.delete(f"/api/v1/templates/{name}")).status_code == 404
        assert (await hub.client.get(f"/api/v1/templates/{name}", params={"revision": 1})).status_code == 200
        no_such = await hub.client.get(f"/api/v1/templates/{name}", params={"revision": 7})
        assert no_such.status_code == 404
        assert no_such.json()["detail"] == f"template {name} has no revision 7 (its newest is 1)"
        assert name not in [t["name"] for t in (await hub.client.get("/api/v1/templates")).json()["items"]]
        again = await hub.client.put(f"/api/v1/templates/{name}", json=body())
        assert again.status_code == 201 and again.json()["revision"] == 2
        audit = (await hub.client.get("/api/v1/audit", params={"action": "template.deleted"})).json()["items"]
        assert [(e["actor"], e["revision"]) for e in audit if e["details"]["template"] == name] == [(ADMIN, 1)]


async def test_resolve_gives_the_spec_and_chart_applications_render(running_hub: Any) -> None:
    async with running_hub() as hub:
        archive = chart(
            {
                "Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.2.0\n",
                "templates/deployment.yaml": DEPLOYMENT.encode(),
            }
        )
        name = unique("web")
        upload = {"archive": base64.b64encode(pack(archive)).decode()}
        response = await hub.client.put(f"/api/v1/templates/{name}", json=body(manifests=None, chart=upload))
        assert response.status_code == 201, response.text
        assert response.json()["source"] == {
            "kind": "chart",
            "chart": "web",
            "version": "1.2.0",
            "digest": archive.digest,
        }

        services = hub.app.state.services
        resolved = await services.templates.resolve(name)
        assert resolved.revision == 1 and resolved.chart.digest == archive.digest
        assert resolved.chart.files == archive.files
        assert check_values(resolved.spec, {"image": "registry.example.com/web:1", "size": "huge"}) == [
            "parameter size: 'huge' is not allowed; allowed values: small, medium, large"
        ]
        prod = values_for(
            resolved.spec, {"image": "registry.example.com/web:1"}, [], ClusterFacts("c1", {"env": "prod"})
        )
        assert prod["replicas"] == 3 and prod["securityContext"] == {"runAsNonRoot": True}
        dev_overrides = [(parse_selector("env=dev"), {"replicas": 1})]
        dev = values_for(resolved.spec, {"image": "x"}, dev_overrides, ClusterFacts("c2", {"env": "dev"}))
        assert dev["replicas"] == 1
        try:
            await services.templates.resolve(unique("nothing"))
        except Exception as error:
            assert type(error).__name__ == "NotFound" and "does not exist" in str(error)
        else:
            raise AssertionError("resolving an unknown template must fail")
