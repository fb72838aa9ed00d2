"""Chart applications on a real hub with a real Helm and the real desired topics: each cluster gets its
own rendering (a label referenced in the values, per-cluster values by selector); a relabelled cluster
gets its rendering again, a joining one its own; the same chart packed again is no new release; values
the chart's schema refuses and a failing template are 422s that publish nothing; a fix campaign reaches
the chart's workloads through an image override."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from typing import Any

import httpx

from hub.charts.archive import chart, pack
from schemas.v1 import BundleEvent, RemovalEvent
from tests.integration.conftest import RunningFleet
from tests.integration.hub.conftest import RunningHub, unique, wait_desired

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["region", "replicas", "image"],
    "properties": {
        "region": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 5},
        "image": {"type": "string"},
    },
}
CONFIGMAP = b"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  region: {{ .Values.region | quote }}
  replicas: {{ .Values.replicas | quote }}
"""
DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image | quote }}
"""


def web_chart(extra: dict[str, bytes] | None = None) -> Any:
    return chart(
        {
            "Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "values.yaml": b"replicas: 1\n",
            "values.schema.json": json.dumps(SCHEMA).encode(),
            "templates/configmap.yaml": CONFIGMAP,
            "templates/deployment.yaml": DEPLOYMENT,
            **(extra or {}),
        }
    )


def archive(c: Any) -> dict[str, str]:
    return {"archive": base64.b64encode(pack(c)).decode()}


def repacked(c: Any) -> dict[str, str]:
    """The same chart as another tool packs it: other order, times and owners."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path in sorted(c.files, reverse=True):
            info = tarfile.TarInfo(f"{c.name}/{path}")
            info.size, info.mtime, info.uname = len(c.files[path]), 1_700_000_000, "someone"
            tar.addfile(info, io.BytesIO(c.files[path]))
    return {"archive": base64.b64encode(out.getvalue()).decode()}


async def register(client: httpx.AsyncClient, cluster: str, **labels: str) -> None:
    response = await client.post("/api/v1/clusters", json={"id": cluster, "labels": labels})
    assert response.status_code == 201, response.text


def bundle(event: BundleEvent | RemovalEvent) -> BundleEvent:
    assert isinstance(event, BundleEvent), event
    return event


def by_kind(event: BundleEvent) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in event.data.manifests}


async def test_a_chart_renders_per_cluster_and_follows_its_labels(local_fleet: RunningFleet, running_hub: Any) -> None:
    kafka = local_fleet.kafka_bootstrap
    eu, us, late = unique(), unique(), unique()
    app = unique("chart")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        await register(client, eu, tier="web", region="eu", env="prod")
        await register(client, us, tier="web", region="us", env="staging")
        body = {
            "chart": archive(web_chart()),
            "values": {"region": "${cluster.labels.region}", "image": "nginx:1.25.0"},
            "cluster_values": [{"selector": "env=prod", "values": {"replicas": 3}}],
            "namespace": "shop",
            "selector": "tier=web",
        }
        response = await client.put(f"/api/v1/applications/{app}", json=body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["source"]["kind"] == "chart" and created["source"]["namespace"] == "shop"

        first = {c: bundle((await wait_desired(kafka, c, 1))[0]) for c in (eu, us)}
        for cluster, region, replicas in ((eu, "eu", "3"), (us, "us", "1")):
            objects = by_kind(first[cluster])
            assert objects["ConfigMap"]["data"] == {"region": region, "replicas": replicas}
            assert objects["ConfigMap"]["metadata"]["namespace"] == "shop"  # helm template leaves it out
            assert first[cluster].data.revision == 1
        assert first[eu].data.digest != first[us].data.digest  # each cluster's own bundle

        shown = await client.get(f"/api/v1/applications/{app}/manifests", params={"cluster": eu})
        assert shown.status_code == 200, shown.text
        assert shown.json()["digest"] == first[eu].data.digest

        # The same chart packed by another tool, same values: no new release, nothing published.
        await hub.drained()
        outbox = await hub.outbox_counts()
        response = await client.put(f"/api/v1/applications/{app}", json={**body, "chart": repacked(web_chart())})
        assert response.status_code == 200, response.text
        assert await hub.outbox_counts() == outbox

        # A relabelled cluster that stays selected gets its rendering again (same revision, next generation).
        response = await client.put(
            f"/api/v1/clusters/{us}/labels", json={"labels": {"tier": "web", "region": "ap", "env": "staging"}}
        )
        assert response.status_code == 200, response.text
        again = bundle((await wait_desired(kafka, us, 2))[-1])
        assert (again.data.revision, again.data.generation) == (1, 2)
        assert by_kind(again)["ConfigMap"]["data"]["region"] == "ap"

        # A joining cluster gets its own.
        await register(client, late, tier="web", region="sa")
        joined = bundle((await wait_desired(kafka, late, 1))[0])
        assert by_kind(joined)["ConfigMap"]["data"]["region"] == "sa"

        # A fix campaign finds the chart's image and releases it with an override, rendered per cluster.
        response = await client.post("/api/v1/campaigns", json={"image": "nginx", "to": "1.25.5"})
        assert response.status_code == 201, response.text
        fixed = bundle((await wait_desired(kafka, eu, 2))[-1])
        assert fixed.data.revision == 2
        image = by_kind(fixed)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == "nginx:1.25.5"
        assert by_kind(fixed)["ConfigMap"]["data"]["region"] == "eu"


async def test_charts_that_do_not_render_are_refused_and_publish_nothing(
    local_fleet: RunningFleet, running_hub: Any
) -> None:
    cluster = unique()
    app = unique("chart")
    hub: RunningHub
    async with running_hub() as hub:
        client = hub.client
        await register(client, cluster, region="eu")
        base = {"values": {"region": "eu", "image": "nginx:1.25.0"}, "selector": ""}

        await hub.drained()
        outbox = await hub.outbox_counts()
        response = await client.put(
            f"/api/v1/applications/{app}",
            json={**base, "chart": archive(web_chart()), "values": {**base["values"], "replicas": 0}},
        )
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert "chart web-1.0.0" in detail and "replicas" in detail and cluster in detail

        broken = web_chart({"templates/broken.yaml": b"a: 1\nb: {{ .Values.nothing.here }}\n"})
        response = await client.put(f"/api/v1/applications/{app}", json={**base, "chart": archive(broken)})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert "templates/broken.yaml" in detail and "line 2" in detail

        response = await client.put(
            f"/api/v1/applications/{app}",
            json={**base, "chart": archive(web_chart()), "values": {"region": "${cluster.labels.zone}", "image": "x"}},
        )
        assert response.status_code == 422, response.text
        assert "zone" in response.json()["detail"]

        response = await client.put(f"/api/v1/applications/{app}", json={**base, "chart": {"archive": "bm90IGEgdGFy"}})
        assert response.status_code == 422, response.text
        assert "not a gzipped tar archive" in response.json()["detail"]

        assert (await client.get(f"/api/v1/applications/{app}")).status_code == 404
        assert await hub.outbox_counts() == outbox
