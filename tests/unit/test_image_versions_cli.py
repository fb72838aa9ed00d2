"""`fleetcast versions --image ... --older-than ...`: pages followed, the table, the summary, rows apart."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from deploy.cli import build_parser
from hub.client import commands
from hub.client.config import ClientSettings
from hub.client.http import HubClient, HubError
from hub.client.images import render_image_versions

NGINX = "docker.io/library/nginx"


def row(cluster: str, tag: str, **extra: Any) -> dict[str, Any]:
    values = {
        "cluster": cluster,
        "application": "web",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "web",
        "container": "web",
        "container_type": "container",
        "reference": f"nginx:{tag}",
        "tag": tag,
        "variant": None,
        "digest": None,
    }
    return values | extra


ITEMS = [
    row("c1", "1.25", kind=None, namespace=None, name=None, container=None),
    row("c2", "1.27.3", container="setup", container_type="init"),
    row("c3", "1.27.3-alpine", kind="CronJob", name="backup"),
]
APART = [row("c4", "latest", reference="nginx")]


def answer(request: httpx.Request) -> httpx.Response:
    """The hub: pages of 2 over ITEMS, whatever limit was asked (a hub may cap it)."""
    params = request.url.params
    start = int(params.get("cursor", "0"))
    items = ITEMS[start : start + 2]
    body = {
        "image": NGINX,
        "query": {},
        "summary": f"3 clusters, 1 application run {NGINX} older than 1.27.4",
        "totals": {"clusters": 3, "applications": 1, "rows": 3},
        "items": items,
        "next_cursor": str(start + 2) if start + 2 < len(ITEMS) else None,
        "unordered_totals": {"clusters": 1, "applications": 1, "rows": 1},
        "unordered": APART,
        "unordered_next_cursor": None,
        "seen": dict(params.multi_items()),
    }
    return httpx.Response(200, json=body)


def run(argv: list[str]) -> tuple[Any, str, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    args = build_parser().parse_args(argv)
    settings = ClientSettings(hub_url="http://hub", token="t")
    with HubClient(settings, transport=httpx.MockTransport(handler)) as client:
        data, text = args.handler(client, args)
    return data, text, requests


def test_the_query_follows_pages_and_shows_rows_summary_and_rows_apart() -> None:
    data, text, requests = run(
        [
            "versions",
            "--image",
            "nginx",
            "--older-than",
            "1.27.4",
            "--not",
            "1.27.2",
            "--not",
            "1.27.1",
            "-l",
            "env=prod",
        ]
    )
    assert [r.url.path for r in requests] == ["/api/v1/images/nginx/versions"] * 2
    first = requests[0].url.params
    assert first.get_list("not") == ["1.27.2", "1.27.1"]
    assert (first["older_than"], first["selector"], first["limit"]) == ("1.27.4", "env=prod", "100")
    assert "newer_than" not in first
    assert requests[1].url.params["cursor"] == "2"
    assert [r["tag"] for r in data["items"]] == ["1.25", "1.27.3", "1.27.3-alpine"]
    lines = text.splitlines()
    assert lines[0].split() == ["CLUSTER", "APPLICATION", "OBJECT", "CONTAINER", "IMAGE"]
    assert lines[1].split() == ["c1", "web", "-", "-", "nginx:1.25"]
    assert lines[2].split() == ["c2", "web", "Deployment/shop/web", "setup", "(init)", "nginx:1.27.3"]
    assert lines[3].split() == ["c3", "web", "CronJob/shop/backup", "web", "nginx:1.27.3-alpine"]
    assert lines[4] == f"3 clusters, 1 application run {NGINX} older than 1.27.4"
    assert "Not ordered" in lines[6] and "1 container on 1 cluster" in lines[6]
    assert lines[8].split() == ["c4", "web", "Deployment/shop/web", "web", "nginx"]
    json.dumps(data)  # -o json prints it as is


def test_a_limit_stops_following_pages() -> None:
    data, text, requests = run(["versions", "--image", "nginx", "--older-than", "1.27.4", "--limit", "1"])
    assert len(requests) == 1 and requests[0].url.params["limit"] == "1"
    assert len(data["items"]) == 1
    assert "... and 2 more rows (--limit N or --all)" in text


def test_all_rows() -> None:
    data, _text, requests = run(["versions", "--image", "nginx", "--newer-than", "1.0", "--all"])
    assert requests[0].url.params["limit"] == "1000"
    assert len(data["items"]) == 3


def test_without_bounds_the_per_tag_summary_stays() -> None:
    args = build_parser().parse_args(["versions", "--image", "nginx"])
    assert not commands.wants_version_query(args)
    args = build_parser().parse_args(["versions", "--older-than", "1.2"])
    with pytest.raises(HubError, match="need --image"):
        commands.wants_version_query(args)


def test_nothing_matching() -> None:
    body = {
        "summary": f"0 clusters, 0 applications run {NGINX} older than 1.0",
        "totals": {"clusters": 0, "applications": 0, "rows": 0},
        "items": [],
        "unordered_totals": {"clusters": 0, "applications": 0, "rows": 0},
        "unordered": [],
    }
    assert render_image_versions(body) == body["summary"]
