"""Image overrides, fix campaigns (planning and starting) and auto-update through the hub API on the
real Kafka, on SQLite and PostgreSQL; what clusters get is read back from their real desired topics."""

from __future__ import annotations

import json
import time
from typing import Any

from hub.auth.signatures import signed_headers
from schemas.v1 import BundleEvent
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import bearer, desired_events, unique
from tests.integration.hub.test_rollouts import Start, manifests, put_strategy

DIGEST = "sha256:" + "b" * 64


def images(bundle_manifests: list[dict[str, Any]]) -> list[str]:
    return [c["image"] for m in bundle_manifests for c in m["spec"]["template"]["spec"]["containers"]]


async def newest_bundle(kafka: str, cluster: str, app: str) -> BundleEvent:
    events = [e for e in await desired_events(kafka, cluster) if isinstance(e, BundleEvent)]
    return [e for e in events if e.data.application == app][-1]


async def test_image_overrides_make_a_release_whose_bundle_runs_the_override(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    async with running_hub() as hub:
        client = hub.client
        cluster = unique("c")
        assert (await client.post("/api/v1/clusters", json={"id": cluster, "labels": {}})).status_code == 201
        app = unique("app")
        created = await client.put(
            f"/api/v1/applications/{app}", json={"manifests": manifests("nginx:1.27.3"), "selector": ""}
        )
        assert created.status_code == 201, created.text

        # The preview of an override change shows only the image lines.
        await hub.drained()
        preview = await client.post(f"/api/v1/applications/{app}/diff", json={"image_overrides": {"nginx": "1.27.4"}})
        assert preview.status_code == 200, preview.text
        (reached,) = [c for c in preview.json()["clusters"] if c["cluster"] == cluster]
        (changed,) = reached["objects"]
        changes = [
            line for line in changed["diff"].splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert [(line[0], line[1:].strip()) for line in changes] == [
            ("-", "- image: nginx:1.27.3"),
            ("+", "- image: nginx:1.27.4"),
        ], changed["diff"]

        overridden = await client.put(f"/api/v1/applications/{app}", json={"image_overrides": {"nginx": "1.27.4"}})
        assert overridden.status_code == 201, overridden.text
        assert overridden.json()["image_overrides"] == {"docker.io/library/nginx": "1.27.4"}
        assert overridden.json()["revision"] == 2
        same = await client.put(
            f"/api/v1/applications/{app}", json={"image_overrides": {"docker.io/library/nginx": "1.27.4"}}
        )
        assert same.status_code == 200 and same.json()["revision"] == 2

        # New manifests keep the override; the release records both forms and who made it.
        renewed = await client.put(f"/api/v1/applications/{app}", json={"manifests": manifests("nginx:1.27.2") * 1})
        assert renewed.status_code == 201 and renewed.json()["revision"] == 3
        releases = (await client.get(f"/api/v1/applications/{app}/releases")).json()["items"]
        newest = releases[0]
        assert images(newest["manifests"]) == ["nginx:1.27.4"]
        assert images(newest["source_manifests"]) == ["nginx:1.27.2"]
        assert newest["image_overrides"] == {"docker.io/library/nginx": "1.27.4"} and newest["created_by"]
        assert releases[-1]["source_manifests"] is None

        await hub.drained()
        bundle = await newest_bundle(local_fleet.kafka_bootstrap, cluster, app)
        assert bundle.data.revision == 3 and images(bundle.data.manifests) == ["nginx:1.27.4"]

        pinned = await client.put(f"/api/v1/applications/{app}", json={"image_overrides": {"nginx": DIGEST}})
        assert pinned.status_code == 201
        cleared = await client.put(f"/api/v1/applications/{app}", json={"image_overrides": {}})
        assert cleared.status_code == 201 and cleared.json()["image_overrides"] == {}
        await hub.drained()
        assert images((await newest_bundle(local_fleet.kafka_bootstrap, cluster, app)).data.manifests) == [
            "nginx:1.27.2"
        ]

        unused = await client.put(f"/api/v1/applications/{app}", json={"image_overrides": {"redis": "7"}})
        assert unused.status_code == 422 and "docker.io/library/redis" in unused.json()["detail"]
        bad = await client.put(f"/api/v1/applications/{app}", json={"image_overrides": {"nginx": "no good!"}})
        assert bad.status_code == 422 and "not a tag" in bad.json()["detail"]
        assert (await client.get(f"/api/v1/applications/{app}")).json()["revision"] == 5


async def test_a_fix_plans_releases_and_starts_each_rollout_under_its_strategy(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    async with running_hub() as hub:
        client = hub.client
        ring = unique("ring")
        cluster = unique("c")
        assert (
            await client.post("/api/v1/clusters", json={"id": cluster, "labels": {"ring": ring}})
        ).status_code == 201
        strategy = unique("s")
        await put_strategy(hub, strategy, {"waves": [{"name": "all", "selector": f"ring={ring}"}]})
        image = f"registry.example:5000/{unique('img')}"
        apps = {unique("waves"): strategy, unique("once"): None, unique("fresh"): None, unique("latest"): None}
        tags = dict(zip(apps, ["1.27.3", "1.20.0-alpine", "1.27.10", "latest"], strict=True))
        for app, app_strategy in apps.items():
            body = {
                "manifests": manifests(f"{image}:{tags[app]}"),
                "selector": f"ring={ring}",
                "strategy": app_strategy,
            }
            assert (await client.put(f"/api/v1/applications/{app}", json=body)).status_code == 201
        waves, once, fresh, latest = apps

        viewer = bearer(await hub.token(unique("v"), "viewer"))
        dry = await client.post(
            "/api/v1/campaigns", json={"image": image, "to": "1.27.4", "dry_run": True}, headers=viewer
        )
        assert dry.status_code == 200, dry.text
        plan = dry.json()["plan"]
        assert {f["application"]: f["image_override"] for f in plan["fixes"]} == {
            waves: "1.27.4",
            once: "1.27.4-alpine",
        }
        assert plan["current"] == [fresh] and [s["application"] for s in plan["skipped"]] == [latest]
        assert dry.json()["campaign"] is None
        assert (await client.get(f"/api/v1/applications/{waves}")).json()["revision"] == 1

        refused = await client.post("/api/v1/campaigns", json={"image": image, "to": "1.27.4"}, headers=viewer)
        assert refused.status_code == 403
        started = await client.post("/api/v1/campaigns", json={"image": image, "to": "1.27.4"})
        assert started.status_code == 201, started.text
        campaign = started.json()["campaign"]
        assert campaign["state"] == "running"
        members = {a["application"]: a for a in campaign["applications"]}
        assert set(members) == {waves, once}
        assert members[waves]["run_id"] is not None and members[once]["run_id"] is None
        assert members[waves]["desired_vulnerable"] is False
        rollout = (await client.get(f"/api/v1/applications/{waves}/rollout")).json()
        assert rollout["id"] == members[waves]["run_id"] and rollout["revision"] == 2

        releases = (await client.get(f"/api/v1/applications/{once}/releases")).json()["items"]
        assert releases[0]["cause"].startswith(f"campaign {campaign['id']}")
        assert images(releases[0]["manifests"]) == [f"{image}:1.27.4-alpine"]
        audit = (await client.get("/api/v1/audit", params={"action": "campaign."})).json()["items"]
        assert any(e["action"] == "campaign.started" and e["details"]["campaign"] == campaign["id"] for e in audit)
        listed = (await client.get("/api/v1/campaigns", params={"active": "true"})).json()["items"]
        assert campaign["id"] in [c["id"] for c in listed]

        for body, problem in [
            ({"image": image, "to": "latest"}, "not a version"),
            ({"image": image, "to": "1.2", "older_than": "1.3"}, "itself older"),
            ({"image": "Not An Image", "to": "1"}, "Not An Image"),
            ({"image": image, "to": "1.3", "strategy": unique("nope")}, "does not exist"),
        ]:
            bad = await client.post("/api/v1/campaigns", json=body)
            assert bad.status_code == 422 and problem in bad.json()["detail"], bad.text
        assert (await client.get("/api/v1/campaigns/999999")).status_code == 404


async def test_an_announced_version_releases_opted_in_applications_by_token_or_signature(
    local_fleet: RunningFleet, running_hub: Start
) -> None:
    secret = "webhook-secret"
    async with running_hub(image_webhook_secret=secret) as hub:
        client = hub.client
        ring = unique("ring")
        assert (
            await client.post("/api/v1/clusters", json={"id": unique("c"), "labels": {"ring": ring}})
        ).status_code == 201
        staging = unique("staging")
        await put_strategy(hub, staging, {"waves": [{"name": "staging", "selector": f"ring={ring}"}]})
        image = f"ghcr.io/acme/{unique('api')}"
        follower, bystander = unique("follow"), unique("still")
        policy = [{"image": image, "constraint": "~1.27", "strategy": staging}]
        body = {"manifests": manifests(f"{image}:1.27.3"), "selector": f"ring={ring}", "auto_update": policy}
        assert (await client.put(f"/api/v1/applications/{follower}", json=body)).status_code == 201
        plain = {"manifests": manifests(f"{image}:1.27.3"), "selector": f"ring={ring}"}
        assert (await client.put(f"/api/v1/applications/{bystander}", json=plain)).status_code == 201
        assert (await client.get(f"/api/v1/applications/{follower}")).json()["auto_update"][0]["image"] == image

        ci = bearer(await hub.token(unique("ci"), "deployer"))
        outside = await client.post("/api/v1/image-versions", json={"image": image, "version": "1.28.0"}, headers=ci)
        assert outside.status_code == 200 and outside.json()["applications"][0]["updated"] is False
        announced = await client.post("/api/v1/image-versions", json={"image": image, "version": "1.27.5"}, headers=ci)
        assert announced.status_code == 200, announced.text
        (update,) = announced.json()["applications"]
        assert update["application"] == follower and update["updated"] and update["revision"] == 2
        assert (await client.get(f"/api/v1/applications/{bystander}")).json()["revision"] == 1
        rollout = (await client.get(f"/api/v1/applications/{follower}/rollout")).json()
        assert rollout["strategy"] == staging and rollout["revision"] == 2
        audit = (
            await client.get("/api/v1/audit", params={"application": follower, "action": "release.created"})
        ).json()
        assert audit["items"][0]["actor"] == "system:auto-update" and "auto-update" in audit["items"][0]["reason"]

        payload = json.dumps({"image": image, "version": "1.27.6"}).encode()
        signed = signed_headers(secret.encode(), int(time.time()), payload)
        no_token = {"Authorization": "", "Content-Type": "application/json"}
        by_hook = await client.post("/api/v1/image-versions", content=payload, headers={**no_token, **signed})
        assert by_hook.status_code == 200, by_hook.text
        assert by_hook.json()["applications"][0]["revision"] == 3
        forged = {**signed, "X-Fleetcast-Signature": "sha256=" + "0" * 64}
        refused = await client.post("/api/v1/image-versions", content=payload, headers={**no_token, **forged})
        assert refused.status_code == 401 and "does not match" in refused.json()["detail"]
        viewer = bearer(await hub.token(unique("v"), "viewer"))
        assert (
            await client.post("/api/v1/image-versions", json={"image": image, "version": "1.27.7"}, headers=viewer)
        ).status_code == 403
        not_version = await client.post("/api/v1/image-versions", json={"image": image, "version": "latest"})
        assert not_version.status_code == 422 and "not a version" in not_version.json()["detail"]
        bad_policy = await client.put(
            f"/api/v1/applications/{follower}", json={"auto_update": [{"image": image, "constraint": "~~1"}]}
        )
        assert bad_policy.status_code == 422 and "auto_update.0.constraint" in bad_policy.json()["detail"]
