"""The version query on both databases: status reports produced to the real report topic fill the image
index, which the query reads; a new report replaces its rows, a removal or a deregistration drops them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hub.images.references import normalise_name
from hub.images.store import count_clusters_running, count_clusters_unordered, selector_condition
from hub.images.tags import version_key
from hub.selectors import parse_selector
from hub.store import models
from schemas.v1 import Health, RunningImage, StatusEvent, StatusReport, encode
from schemas.v1.topics import STATUS_TOPIC, status_key
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, unique
from tests.integration.hub.test_reports import produce
from tests.waiting import eventually_async as eventually

DIGEST = "sha256:" + "e" * 64
NGINX = "docker.io/library/nginx"


def container(kind: str, name: str, container: str, image: str, **extra: Any) -> RunningImage:
    return RunningImage(kind=kind, namespace="shop", name=name, container=container, image=image, **extra)


def report(
    cluster: str,
    app: str,
    generation: int,
    containers: list[RunningImage] | None,
    images: list[str] | None = None,
    removed: bool = False,
) -> StatusEvent:
    data = StatusReport(
        cluster=cluster,
        application=app,
        observed_generation=generation,
        observed_revision=generation,
        health=Health.MISSING if removed else Health.READY,
        removed=removed,
        images=images if images is not None else sorted({c.image for c in containers or []}),
        containers=containers,
        time=datetime.now(UTC),
    )
    return StatusEvent(source=f"spoke/{cluster}", cluster=cluster, data=data)


async def send(kafka: str, *events: StatusEvent) -> None:
    await produce(kafka, [(STATUS_TOPIC, status_key(e.data.cluster, e.data.application), encode(e)) for e in events])


def rows(body: dict[str, Any], key: str = "items") -> set[tuple[Any, ...]]:
    return {(r["cluster"], r["application"], r["kind"], r["name"], r["container"], r["tag"]) for r in body[key]}


async def test_reports_fill_the_index_and_the_query_reads_it(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    c1, c2, c3, c4 = (unique("img") for _ in range(4))
    app, other = unique("app"), unique("app")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        for name, env in ((c1, "prod"), (c2, "prod"), (c3, "staging"), (c4, "staging")):
            assert (await client.post("/api/v1/clusters", json={"id": name, "labels": {"env": env}})).status_code == 201

        await send(
            kafka,
            report(
                c1,
                app,
                1,
                [
                    container("Deployment", "web", "setup", "busybox:1.36", container_type="init"),
                    container("Deployment", "web", "web", "nginx:1.27.3"),
                    container("CronJob", "backup", "dump", "nginx:1.27.3-alpine"),
                ],
            ),
            report(c2, app, 1, [container("Deployment", "web", "web", "docker.io/library/nginx:1.27.10")]),
            report(
                c3,
                app,
                1,
                [
                    container("Deployment", "web", "web", "index.docker.io/nginx:v1.26"),
                    container("Pod", "debug", "latest", "nginx"),
                    container("Pod", "pinned", "web", f"nginx@{DIGEST}", digest=DIGEST),
                ],
            ),
            # An older spoke: image names only.
            report(c4, app, 1, None, images=["nginx:1.25.0"]),
            # Another repository whose last segment is nginx too: never matched.
            report(c3, other, 1, [container("Deployment", "proxy", "nginx", "ghcr.io/acme/nginx:1.0")]),
        )

        async def query(**params: Any) -> dict[str, Any]:
            response = await client.get("/api/v1/images/nginx/versions", params=params)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async def older_than_1_27_4() -> dict[str, Any] | None:
            body = await query(older_than="1.27.4")
            return body if body["totals"]["rows"] == 4 and body["unordered_totals"]["rows"] == 2 else None

        body = await eventually(older_than_1_27_4, 60, "the reports indexed")
        assert body["image"] == NGINX
        assert body["summary"] == f"3 clusters, 1 application run {NGINX} older than 1.27.4"
        assert body["totals"] == {"clusters": 3, "applications": 1, "rows": 4}
        # Oldest first: 1.25.0 (object unknown), v1.26, then both 1.27.3 tags of c1.
        assert [r["tag"] for r in body["items"]] == ["1.25.0", "v1.26", "1.27.3", "1.27.3-alpine"]
        assert rows(body) == {
            (c4, app, None, None, None, "1.25.0"),
            (c3, app, "Deployment", "web", "web", "v1.26"),
            (c1, app, "Deployment", "web", "web", "1.27.3"),
            (c1, app, "CronJob", "backup", "dump", "1.27.3-alpine"),
        }
        alpine = next(r for r in body["items"] if r["tag"] == "1.27.3-alpine")
        assert (alpine["variant"], alpine["reference"], alpine["container_type"]) == (
            "alpine",
            "nginx:1.27.3-alpine",
            "container",
        )
        # Apart, never ordered: `latest` (no tag written) and a digest-only reference.
        assert rows(body, "unordered") == {
            (c3, app, "Pod", "debug", "latest", "latest"),
            (c3, app, "Pod", "pinned", "web", None),
        }
        pinned = next(r for r in body["unordered"] if r["name"] == "pinned")
        assert pinned["digest"] == DIGEST
        assert body["next_cursor"] is None and body["unordered_next_cursor"] is None

        newer = await query(newer_than="1.27.4")
        assert rows(newer) == {(c2, app, "Deployment", "web", "web", "1.27.10")}
        assert newer["summary"] == f"1 cluster, 1 application runs {NGINX} newer than 1.27.4"
        between = await query(newer_than="1.25", older_than="1.27.4", **{"not": ["1.27.3", DIGEST]})
        assert {r["tag"] for r in between["items"]} == {"v1.26", "1.27.3-alpine"}
        assert [r["tag"] for r in between["unordered"]] == ["latest"]
        prod = await query(older_than="1.27.4", selector="env=prod")
        assert prod["totals"] == {"clusters": 1, "applications": 1, "rows": 2}
        assert {r["cluster"] for r in prod["items"]} == {c1}
        assert (await query(older_than="1.27.4", application=other))["totals"]["rows"] == 0
        everything = await query()
        assert everything["totals"]["rows"] == 5

        # Pages of 1: every row once, in the same order, totals exact on every page.
        seen: list[str] = []
        cursor = None
        while True:
            page = await query(older_than="1.27.4", limit=1, **({"cursor": cursor} if cursor else {}))
            assert page["totals"]["rows"] == 4
            seen.extend(r["tag"] for r in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["1.25.0", "v1.26", "1.27.3", "1.27.3-alpine"]
        prod_pages = await query(older_than="1.27.4", selector="env=prod", limit=1)
        assert len(prod_pages["items"]) == 1 and prod_pages["next_cursor"]
        rest = await query(older_than="1.27.4", selector="env=prod", limit=1, cursor=prod_pages["next_cursor"])
        assert [r["tag"] for r in prod_pages["items"] + rest["items"]] == ["1.27.3", "1.27.3-alpine"]
        assert rest["next_cursor"] is None

        # Other names of the same repository; a registry with a port is its own repository.
        for name in ("docker.io/nginx", "library/nginx", "docker.io/library/nginx"):
            response = await client.get(f"/api/v1/images/{name}/versions", params={"older_than": "1.27.4"})
            assert response.json()["totals"]["rows"] == 4, name
        assert (await client.get("/api/v1/images/ghcr.io/acme/nginx/versions")).json()["totals"]["rows"] == 1

        # Bad input: a 422 naming the problem.
        bad: list[tuple[dict[str, Any], str]] = [
            ({"older_than": "latest"}, "older_than: 'latest' is not a version"),
            ({"newer_than": "2.0", "older_than": "1.0"}, "no version is both newer than 2.0 and older than 1.0"),
            ({"cursor": "not-a-cursor"}, "cursor: 'not-a-cursor' is not a cursor"),
            ({"selector": "env in (prod"}, "selector"),
            ({"limit": 0}, "limit"),
        ]
        for params, message in bad:
            response = await client.get("/api/v1/images/nginx/versions", params=params)
            assert response.status_code == 422, (params, response.text)
            assert message in response.json()["detail"], (message, response.text)
        response = await client.get("/api/v1/images/Nginx:1/versions")
        assert response.status_code == 422 and "image:" in response.json()["detail"]

        # The service the fix campaigns count with.
        async with hub.context.reading() as session:
            assert await count_clusters_running(session, normalise_name("nginx"), older_than=version_key("1.27.4")) == 3
            assert await count_clusters_running(session, NGINX, newer_than=version_key("1.27.4")) == 1
            assert (
                await count_clusters_running(session, NGINX, older_than=version_key("1.27.4"), excluded=["1.25.0"]) == 2
            )
            assert await count_clusters_unordered(session, NGINX) == 1
            prod = parse_selector("env=prod")
            assert await count_clusters_running(session, NGINX, older_than=version_key("1.27.4"), selector=prod) == 1

        # A newer report replaces the cluster's rows; one with the same containers leaves them; a
        # removal leaves none.
        await send(
            kafka,
            report(c1, app, 2, [container("Deployment", "web", "web", "nginx:1.27.4")]),
            report(c2, app, 2, [container("Deployment", "web", "web", "docker.io/library/nginx:1.27.10")]),
            report(c3, app, 2, [], removed=True),
        )

        async def replaced() -> dict[str, Any] | None:
            body = await query(older_than="1.27.4")
            return body if body["totals"]["rows"] == 1 and body["unordered_totals"]["rows"] == 0 else None

        body = await eventually(replaced, 60, "c1 and c3 re-indexed")
        assert rows(body) == {(c4, app, None, None, None, "1.25.0")}
        newer = await query(newer_than="1.27.4")
        assert rows(newer) == {(c2, app, "Deployment", "web", "web", "1.27.10")}

        # Deregistering a cluster drops its statuses, and with them its rows.
        assert (await client.delete(f"/api/v1/clusters/{c4}")).status_code == 200
        body = await query(older_than="1.27.4")
        assert body["totals"] == {"clusters": 0, "applications": 0, "rows": 0}
        assert body["summary"] == f"0 clusters, 0 applications run {NGINX} older than 1.27.4"
        async with hub.context.reading() as session:
            left = await session.scalar(
                select(func.count()).select_from(models.ImageIndexEntry).where(models.ImageIndexEntry.cluster_id == c4)
            )
            assert left == 0


async def test_selectors_in_sql_match_as_in_python(running_hub: Any) -> None:
    """The query matches label selectors in SQL (JSON labels): the same clusters as hub/selectors.py."""
    labelled = {
        unique("sel"): {"env": "prod", "topology.kubernetes.io/zone": "eu-1"},
        unique("sel"): {"env": "staging", "tier": ""},
        unique("sel"): {"tier": "web"},
        unique("sel"): {},
    }
    selectors = [
        "env=prod",
        "env!=prod",
        "env in (prod,staging)",
        "env notin (prod)",
        "tier",
        "!tier",
        "tier=",
        "topology.kubernetes.io/zone=eu-1",
        "env,!tier",
        "",
    ]
    hub: RunningHub
    async with running_hub() as hub:
        for name, labels in labelled.items():
            response = await hub.client.post("/api/v1/clusters", json={"id": name, "labels": labels})
            assert response.status_code == 201, response.text
        async with hub.context.reading() as session:
            for text in selectors:
                selector = parse_selector(text)
                in_sql = set(
                    await session.scalars(
                        select(models.Cluster.id).where(
                            models.Cluster.id.in_(list(labelled)), selector_condition(selector)
                        )
                    )
                )
                in_python = {name for name, labels in labelled.items() if selector.matches(labels)}
                assert in_sql == in_python, text
