"""Syncing what platform engineers write: a Template, a Policy and an application made from the template
(values checked, rendered by the real Helm per cluster). A second sync changes nothing; a template
published anew in a sync moves its applications in the same sync; a policy synced in denies an
application in the same sync, and nothing is published for it; releases record the origin."""

from __future__ import annotations

from typing import Any

from tests.integration.hub.conftest import RunningHub, unique

ORIGIN = {"repository": "https://git.example.test/platform/fleet.git", "path": ".", "commit": "b" * 40}
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  size: {{ .Values.size | quote }}
  tier: {{ .Values.tier | quote }}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: {{ .Values.image | quote }}}]
"""


def document(kind: str, name: str, spec: dict[str, Any], file: str) -> dict[str, Any]:
    return {"apiVersion": "fleetcast.dev/v1", "kind": kind, "metadata": {"name": name}, "spec": spec, "file": file}


def template(name: str, tier: str = "gold") -> dict[str, Any]:
    return document(
        "Template",
        name,
        {
            "manifests": [CONFIGMAP, DEPLOYMENT],
            "parameters": {
                "type": "object",
                "properties": {"size": {"enum": ["small", "large"]}, "image": {"type": "string"}},
                "required": ["size", "image"],
            },
            "locked": {"tier": tier},
        },
        f"templates/{name}.yaml",
    )


def application(name: str, template_name: str, **values: Any) -> dict[str, Any]:
    return document(
        "Application",
        name,
        {"selector": "", "template": template_name, "values": {"size": "small", "image": "nginx:1.27.5", **values}},
        f"applications/{name}.yaml",
    )


NO_LATEST = {
    "action": "deny",
    "match": {"kinds": ["Deployment"]},
    "validations": [
        {
            "expression": "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))",
            "message": "no :latest images",
        }
    ],
}


async def sync(hub: RunningHub, documents: list[dict[str, Any]]) -> Any:
    return await hub.client.post("/api/v1/sync", json={"origin": ORIGIN, "documents": documents})


def actions(body: dict[str, Any]) -> dict[str, str]:
    return {f"{s['kind']}/{s['name']}": s["action"] for s in body["plan"]}


async def test_templates_policies_and_their_applications_sync(running_hub: Any) -> None:
    hub: RunningHub
    async with running_hub() as hub:
        cluster, web, tpl, policy = unique(), unique("web"), unique("tpl"), unique("pol")
        assert (await hub.client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        documents = [template(tpl), application(web, tpl)]

        first = await sync(hub, documents)
        assert first.status_code == 200, first.text
        assert actions(first.json()) == {f"Template/{tpl}": "create", f"Application/{web}": "create"}
        shown = (await hub.client.get(f"/api/v1/applications/{web}/manifests", params={"cluster": cluster})).json()
        config = next(o for o in shown["manifests"] if o["kind"] == "ConfigMap")
        assert config["data"] == {"size": "small", "tier": "gold"}  # the locked value
        release = (await hub.client.get(f"/api/v1/applications/{web}/releases")).json()["items"][0]
        assert release["source"]["template"] == tpl and release["source"]["template_revision"] == 1
        assert release["origin"] == {**ORIGIN, "file": f"applications/{web}.yaml"}

        second = await sync(hub, documents)
        assert set(actions(second.json()).values()) == {"unchanged"}

        # The template published anew: its application moves to revision 2 of it in the same sync.
        third = await sync(hub, [template(tpl, tier="platinum"), application(web, tpl)])
        assert actions(third.json()) == {f"Template/{tpl}": "update", f"Application/{web}": "update"}
        shown = (await hub.client.get(f"/api/v1/applications/{web}/manifests", params={"cluster": cluster})).json()
        assert next(o for o in shown["manifests"] if o["kind"] == "ConfigMap")["data"]["tier"] == "platinum"
        assert set(
            actions((await sync(hub, [template(tpl, tier="platinum"), application(web, tpl)])).json()).values()
        ) == {"unchanged"}

        # A value outside the template's parameters: a 422 naming the parameter and what is allowed.
        refused = await sync(hub, [template(tpl, tier="platinum"), application(web, tpl, size="huge")])
        assert refused.status_code == 422, refused.text
        assert "parameter size" in refused.text and "small, large" in refused.text

        # A policy synced in denies a :latest image in the same sync; the application keeps its release.
        denied = await sync(
            hub,
            [
                template(tpl, tier="platinum"),
                document("Policy", policy, NO_LATEST, "policies/no-latest.yaml"),
                application(web, tpl, image="nginx:latest"),
            ],
        )
        assert denied.status_code == 422, denied.text
        assert f"policy {policy}, cluster {cluster}" in denied.text and "no :latest images" in denied.text
        releases = (await hub.client.get(f"/api/v1/applications/{web}/releases")).json()["items"]
        assert [r["revision"] for r in releases] == [2, 1]
