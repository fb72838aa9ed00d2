"""The API's changes reach the real desired topics: the right events, generations and revisions, and
nothing for a change that changes nothing or is refused."""

from __future__ import annotations

from typing import Any

import httpx

from schemas.v1 import BundleEvent, RemovalEvent
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, desired_events, unique, wait_desired

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: {mode}\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: "nginx:{tag}"}}]}}
"""


def manifests(tag: str = "1.25", mode: str = "a") -> str:
    return CONFIGMAP.format(mode=mode) + "---\n" + DEPLOYMENT.format(tag=tag)


async def register(client: httpx.AsyncClient, cluster: str, **labels: str) -> dict[str, Any]:
    response = await client.post("/api/v1/clusters", json={"id": cluster, "labels": labels})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bundle(event: BundleEvent | RemovalEvent) -> BundleEvent:
    assert isinstance(event, BundleEvent), event
    return event


def removal(event: BundleEvent | RemovalEvent) -> RemovalEvent:
    assert isinstance(event, RemovalEvent), event
    return event


async def test_application_lifecycle_on_the_desired_topics(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    prod, staging, dev = unique(), unique(), unique()
    app = unique("app")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        await register(client, prod, env="prod")
        await register(client, staging, env="staging")
        await register(client, dev, env="dev")

        # Create: a bundle on each matching cluster, generation 1, revision 1.
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests(), "selector": "env in (staging,prod)"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["revision"], body["selector"]) == (1, "env in (prod,staging)")
        assert sorted(c["cluster"] for c in body["clusters"]) == sorted([prod, staging])
        for cluster in (prod, staging):
            (event,) = await wait_desired(kafka, cluster, 1)
            created = bundle(event)
            assert (created.cluster, created.data.application) == (cluster, app)
            assert (created.data.generation, created.data.revision) == (1, 1)
            assert [m["kind"] for m in created.data.manifests] == ["ConfigMap", "Deployment"]
            assert created.data.digest == body["digest"]

        # Update: a new revision, the next generation.
        response = await client.put(f"/api/v1/applications/{app}", json={"manifests": manifests(tag="1.27")})
        assert response.status_code == 201, response.text
        assert response.json()["revision"] == 2
        for cluster in (prod, staging):
            updated = bundle((await wait_desired(kafka, cluster, 2))[-1])
            assert (updated.data.generation, updated.data.revision) == (2, 2)
            assert updated.data.manifests[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"

        # Unchanged (the selector spelled differently): 200, no release, nothing queued or published.
        await hub.drained()
        outbox_before = await hub.outbox_counts()
        response = await client.put(
            f"/api/v1/applications/{app}",
            json={"manifests": manifests(tag="1.27"), "selector": "env in ( prod, staging )"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["revision"] == 2
        assert await hub.outbox_counts() == outbox_before
        releases = (await client.get(f"/api/v1/applications/{app}/releases")).json()["items"]
        assert [r["revision"] for r in releases] == [2, 1]

        # Relabel: staging leaves (removal, "unselected"), dev joins (bundle at the current revision).
        response = await client.put(f"/api/v1/clusters/{staging}/labels", json={"labels": {"env": "qa"}})
        assert response.status_code == 200, response.text
        response = await client.put(f"/api/v1/clusters/{dev}/labels", json={"labels": {"env": "staging"}})
        assert response.status_code == 200, response.text
        left = removal((await wait_desired(kafka, staging, 3))[-1])
        assert (left.data.generation, left.data.revision, left.data.reason) == (3, 2, "unselected")
        joined = bundle((await wait_desired(kafka, dev, 1))[-1])
        assert (joined.data.generation, joined.data.revision) == (1, 2)

        # Delete: removals (reason "deleted") wherever it is installed, and only there.
        response = await client.delete(f"/api/v1/applications/{app}")
        assert response.status_code == 200, response.text
        assert sorted(r["cluster"] for r in response.json()["removed"]) == sorted([prod, dev])
        gone = removal((await wait_desired(kafka, prod, 3))[-1])
        assert (gone.data.generation, gone.data.reason) == (3, "deleted")
        assert removal((await wait_desired(kafka, dev, 2))[-1]).data.generation == 2
        await hub.drained()
        assert len(await desired_events(kafka, staging)) == 3
        assert (await client.get(f"/api/v1/applications/{app}")).status_code == 404

        # Re-created: revisions and generations go on, so spokes that hold the old ones accept it.
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests(), "selector": "env=prod"}
        )
        assert response.status_code == 201, response.text
        again = bundle((await wait_desired(kafka, prod, 4))[-1])
        assert (again.data.generation, again.data.revision) == (4, 3)
        assert hub.metric("fleetcast_hub_published_total") == 9  # 4 + 3 + 2 records
        assert hub.metric("fleetcast_hub_publish_latency_seconds_count") == 9


async def test_deregistering_a_cluster_removes_everything_placed_there(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    async with running_hub() as hub:
        await register(hub.client, cluster, tier="edge")
        response = await hub.client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests(), "selector": "tier"}
        )
        assert response.status_code == 201, response.text
        await wait_desired(kafka, cluster, 1)

        response = await hub.client.delete(f"/api/v1/clusters/{cluster}")
        assert response.status_code == 200, response.text
        assert response.json() == {"id": cluster, "removed": [{"application": app, "revision": 1, "generation": 2}]}
        events = await wait_desired(kafka, cluster, 2)
        assert removal(events[-1]).data.reason == "deregistered"
        assert (await hub.client.get(f"/api/v1/clusters/{cluster}")).status_code == 404

        # Registered again: it gets the application back with a generation its spoke will accept.
        await register(hub.client, cluster, tier="edge")
        back = bundle((await wait_desired(kafka, cluster, 3))[-1])
        assert (back.data.generation, back.data.revision) == (3, 1)


async def test_bad_input_is_refused_and_nothing_is_published(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    cluster, app = unique(), unique("app")
    async with running_hub() as hub:
        client = hub.client
        await register(client, cluster, env="prod")
        assert (await client.post("/api/v1/clusters", json={"id": cluster})).status_code == 409
        response = await client.post("/api/v1/clusters", json={"id": "Not_A_Label"})
        assert response.status_code == 422 and "DNS-1123" in response.json()["detail"]
        response = await client.post("/api/v1/clusters", json={"id": unique(), "labels": {"env": "a b"}})
        assert response.status_code == 422 and "label env='a b'" in response.json()["detail"]

        bad = manifests() + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        response = await client.put(f"/api/v1/applications/{app}", json={"manifests": bad, "selector": "env=prod"})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            "document 3 (Deployment/shop/web): duplicate of document 2 (same group, kind, namespace and name)"
        ]
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": "kind: [", "selector": "env=prod"}
        )
        assert response.status_code == 422 and response.json()["detail"].startswith(
            "invalid manifests: document 1: not valid YAML or JSON"
        )
        response = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests(), "selector": "env in prod"}
        )
        assert response.status_code == 422 and "invalid selector" in response.json()["detail"]
        response = await client.put(f"/api/v1/applications/{app}", json={"manifests": manifests()})
        assert response.status_code == 422 and "selector is required" in response.json()["detail"]
        response = await client.put("/api/v1/applications/Bad_Id", json={"manifests": manifests(), "selector": ""})
        assert response.status_code == 422

        assert (await client.get(f"/api/v1/applications/{app}")).status_code == 404
        assert await hub.outbox_counts() == (0, 0)
        assert await desired_events(kafka, cluster) == []
        assert (await client.get("/api/v1/clusters/nope")).status_code == 404
        assert (await client.get("/api/v1/clusters", params={"selector": "env in ("})).status_code == 422
